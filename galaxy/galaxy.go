// Package galaxy turns MISP galaxy cluster files into STIX 2.1 objects that
// keep their provenance.
//
// A MISP galaxy cluster file (https://github.com/MISP/misp-galaxy, format
// described in its README and in the MISP "galaxy format" RFC draft,
// https://www.misp-standard.org/rfc/misp-standard-galaxy-format.html) is one
// JSON object with the galaxy's metadata and a "values" array of clusters.
// Decode reads such a file (plain or gzip-compressed) and gives one STIX
// object per cluster, plus one STIX "relationship" per related cluster that
// lives in the same file.
//
// # Mapping
//
//   - Galaxy types threat-actor and mitre-intrusion-set give intrusion-set
//     objects; malpedia gives malware objects with is_family true.
//   - The STIX id is stix.DeterministicID(type, "misp-galaxy:<galaxy type>:<cluster uuid>")
//     (see ObjectID), never the cluster uuid itself: mitre-intrusion-set
//     reuses ATT&CK's UUIDs, and culprit links objects from different sources
//     with explicit same-as links instead of merging them.
//   - name is the cluster value (for mitre-* galaxies the " - G0032" suffix
//     that repeats meta.external_id is dropped); aliases are meta.synonyms,
//     deduplicated ignoring case, without the name. The verbatim value is
//     kept in x_misp_value.
//   - created and modified: clusters carry no timestamps, so both are derived
//     from the galaxy file's integer "version": created is
//     2015-01-01T00:00:00Z and modified that plus version seconds (see
//     Timestamp). Re-importing the same galaxy version therefore gives
//     identical objects, and a newer version has a later modified, so it
//     replaces the older one. These timestamps say nothing about when a
//     cluster was written.
//   - external_references: {"source_name": "misp-galaxy:<type>",
//     "external_id": <cluster uuid>} first; for mitre-* galaxies the ATT&CK
//     id from meta.external_id as {"source_name": "mitre-attack",
//     "external_id": "G0032"}; then each meta.refs URL as
//     {"source_name": "reference", "url": ...}.
//   - Custom properties: x_misp_galaxy, x_misp_cluster_uuid, x_misp_value,
//     x_misp_country (ISO 3166-1 alpha-2), x_misp_cfr_suspected_state_sponsor,
//     x_misp_cfr_suspected_victims, x_misp_cfr_target_category,
//     x_misp_attribution_confidence (0-100), x_misp_meta (every meta entry
//     not mapped losslessly above, verbatim), and x_misp_related (related
//     clusters whose dest-uuid is not in the same file, for the importer
//     to resolve against other galaxies with Link, or Pending and Relate).
//   - related[] entries whose dest-uuid is in the same file become
//     "relationship" objects between the two deterministic ids (Link does
//     the same across files, e.g. threat-actor "similar" mitre-intrusion-set),
//     with id DeterministicID("relationship", "misp-galaxy:<source galaxy>:<source uuid>:<type>:<target galaxy>:<target uuid>"), MISP's
//     relation type as relationship_type ("similar", "uses", "revoked-by"...;
//     characters outside [a-z0-9-] become "-"), the tags in x_misp_tags, and
//     the estimative-language likelihood tag mapped to a STIX confidence
//     with the DNI scale of STIX 2.1 Appendix A (see Likelihood).
//   - A cluster with "revoked": true gives a revoked object.
//
// # Not supported
//
// Galaxy types other than those listed in ObjectType; the galaxy definition
// files (galaxies/*.json). The galaxy's "authors" and "source" are reported
// in File, not copied to each object; meta.refs entries that are not
// absolute URLs are kept in x_misp_meta instead of external_references.
package galaxy

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/stix"
)

// Default limits of a Decoder.
const (
	DefaultMaxFileSize  = 256 << 20 // uncompressed bytes of one cluster file
	DefaultMaxValueSize = 1 << 20   // bytes of one cluster (one element of "values")
)

// Timestamp returns the modified time given to objects of a galaxy file of
// the given version: 2015-01-01T00:00:00Z plus version seconds. It increases
// with the version, so a newer galaxy file replaces the objects of an older
// one. Timestamp(0) is the created time of every object.
func Timestamp(version int64) time.Time {
	return time.Date(2015, time.January, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(version) * time.Second)
}

// File is a decoded galaxy cluster file.
type File struct {
	Type        string // "type", e.g. "threat-actor"
	Name        string // "name"
	UUID        string // "uuid" of the galaxy
	Version     int64  // "version"
	Source      string // "source"
	Category    string // "category"
	Description string // "description"
	Authors     []string

	// Objects holds one object per cluster, in file order, followed by the
	// relationships between clusters of this file.
	Objects []*stix.Object

	// Clusters is the number of clusters (elements of "values") decoded.
	Clusters int
	// Unresolved counts related[] entries kept in x_misp_related because
	// their dest-uuid is not a cluster of this file (Link may resolve them
	// against other files).
	Unresolved int

	ids      map[string]string // lower-case cluster uuid -> STIX id
	pending  []pending         // the unresolved related[] entries
	modified string            // STIX timestamps of this file's objects
	created  string
}

// pending is a related[] entry whose dest-uuid is not in its own file.
type pending struct {
	sourceID, sourceUUID string
	rel                  Related
}

// Error is an error in a galaxy file. Index, Value and UUID identify the
// cluster when the error concerns one (Index is -1 otherwise); Offset is the
// byte offset in the uncompressed input where decoding stood.
type Error struct {
	File   string
	Index  int
	Value  string
	UUID   string
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Index >= 0 {
		fmt.Fprintf(&b, ": cluster %d", e.Index)
		if e.Value != "" {
			fmt.Fprintf(&b, " %q", e.Value)
		}
		if e.UUID != "" {
			fmt.Fprintf(&b, " (uuid %s)", e.UUID)
		}
	}
	if e.Offset > 0 {
		fmt.Fprintf(&b, " at byte %d", e.Offset)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTooLarge is wrapped by errors about inputs over a Decoder's limits.
// Its kind is errs.TooLarge, as for every input over a limit.
var ErrTooLarge = errs.E(errs.TooLarge, "too large")

// Decoder decodes galaxy cluster files with size limits. The zero value
// uses DefaultMaxFileSize and DefaultMaxValueSize.
type Decoder struct {
	MaxFileSize  int64 // uncompressed bytes; 0 means DefaultMaxFileSize
	MaxValueSize int64 // bytes per cluster; 0 means DefaultMaxValueSize
}

// Decode reads a galaxy cluster file with the default limits. See
// Decoder.Decode.
func Decode(r io.Reader, name string) (*File, error) {
	return Decoder{}.Decode(r, name)
}

// DecodeFile opens and decodes the galaxy cluster file at path (plain or
// gzip-compressed) with the default limits.
func DecodeFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Decode(f, filepath.Base(path))
}

// Decode reads one galaxy cluster file from r, which may be gzip-compressed
// (detected by its magic number). name identifies the input in errors.
// Errors are *Error values that name the file and, where one is concerned,
// the cluster's index, value and uuid. Decode never panics on bad input and
// reads at most MaxFileSize uncompressed bytes.
func (d Decoder) Decode(r io.Reader, name string) (*File, error) {
	maxFile, maxValue := d.MaxFileSize, d.MaxValueSize
	if maxFile <= 0 {
		maxFile = DefaultMaxFileSize
	}
	if maxValue <= 0 {
		maxValue = DefaultMaxValueSize
	}
	fail := func(off int64, err error) error {
		return &Error{File: name, Index: -1, Offset: off, Err: err}
	}

	br := bufio.NewReaderSize(r, 64<<10)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fail(0, fmt.Errorf("gzip: %w", err))
		}
		defer zr.Close()
		in = zr
	}
	lr := &limitReader{r: in, n: maxFile}
	raw, err := readFile(lr, maxValue)
	if err != nil {
		if errors.Is(err, errFileLimit) {
			return nil, fail(0, fmt.Errorf("input is over the limit of %d bytes (uncompressed): %w", maxFile, ErrTooLarge))
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		var ve *valueError
		if errors.As(err, &ve) {
			return nil, &Error{File: name, Index: ve.index, Offset: ve.offset, Err: ve.err}
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fail(se.Offset, fmt.Errorf("invalid JSON: %w", err))
		}
		return nil, fail(0, err)
	}
	return build(name, raw)
}

// errFileLimit is the error of a limitReader.
var errFileLimit = errors.New("input over the size limit")

// limitReader fails with errFileLimit, instead of reporting EOF, once more
// than n bytes have been read.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errFileLimit
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errFileLimit
	}
	return n, err
}

// rawFile is a cluster file as read, before mapping.
type rawFile struct {
	Type        string
	Name        string
	UUID        string
	Version     int64
	Source      string
	Category    string
	Description string
	Authors     []string
	hasValues   bool
	Values      []rawCluster
}

// Related is one element of a cluster's "related" array, as kept in
// x_misp_related when its dest-uuid is not a cluster of the same file.
type Related struct {
	DestUUID string   `json:"dest-uuid"`
	Type     string   `json:"type"`
	Tags     []string `json:"tags,omitempty"`
}

// valueError is an error about one element of "values" found while reading.
type valueError struct {
	index  int
	offset int64
	err    error
}

func (e *valueError) Error() string { return e.err.Error() }

func (e *valueError) Unwrap() error { return e.err }

// readFile reads the top-level object token by token, so that each cluster
// is decoded on its own and checked against maxValue.
func readFile(r io.Reader, maxValue int64) (*rawFile, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	f := &rawFile{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q in the galaxy object", key)
		}
		seen[key] = true
		switch key {
		case "values":
			f.hasValues = true
			if err := readValues(dec, f, maxValue); err != nil {
				return nil, err
			}
		case "type", "name", "uuid", "source", "category", "description":
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, fmt.Errorf("galaxy %q: %w", key, err)
			}
			switch key {
			case "type":
				f.Type = s
			case "name":
				f.Name = s
			case "uuid":
				f.UUID = s
			case "source":
				f.Source = s
			case "category":
				f.Category = s
			case "description":
				f.Description = s
			}
		case "version":
			var n json.Number
			if err := dec.Decode(&n); err != nil {
				return nil, fmt.Errorf("galaxy \"version\": %w", err)
			}
			v, err := n.Int64()
			if err != nil || v < 0 || v > 1<<40 {
				return nil, fmt.Errorf("galaxy \"version\" %s is not a non-negative integer", n)
			}
			f.Version = v
		case "authors":
			if err := dec.Decode(&f.Authors); err != nil {
				return nil, fmt.Errorf("galaxy \"authors\": %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, err
		}
		return nil, errors.New("data after the galaxy object")
	}
	return f, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return errors.New("empty input")
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("invalid galaxy file: want %q, found %v", string(want), tok)
	}
	return nil
}

func readValues(dec *json.Decoder, f *rawFile, maxValue int64) error {
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("\"values\": %w", err)
	}
	for i := 0; dec.More(); i++ {
		off := dec.InputOffset()
		c := rawCluster{offset: off}
		err := dec.Decode(&c)
		// The file limit bounds what Decode buffers; the cluster limit is
		// checked on the bytes the cluster took.
		if size := dec.InputOffset() - off; size > maxValue {
			return &valueError{index: i, offset: off, err: fmt.Errorf("cluster is %d bytes, over the limit of %d: %w", size, maxValue, ErrTooLarge)}
		}
		if err != nil {
			return &valueError{index: i, offset: off, err: err}
		}
		f.Values = append(f.Values, c)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return err
	}
	return nil
}

// rawCluster is one element of "values".
type rawCluster struct {
	offset      int64                      // byte offset of the element in the input
	Value       string                     `json:"value"`
	UUID        string                     `json:"uuid"`
	Description string                     `json:"description"`
	Revoked     bool                       `json:"revoked"`
	Meta        map[string]json.RawMessage `json:"meta"`
	Related     []Related                  `json:"related"`
}

var (
	uuidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	galaxyRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	relTypeBad = regexp.MustCompile(`[^a-z0-9-]+`)
)

// ObjectType returns the STIX type culprit gives to clusters of a galaxy
// type, and false for galaxy types it does not import.
func ObjectType(galaxyType string) (string, bool) {
	switch galaxyType {
	case "threat-actor", "mitre-intrusion-set":
		return "intrusion-set", true
	case "malpedia":
		return "malware", true
	}
	return "", false
}

// ObjectID returns the STIX id of the object made from the cluster with
// uuid clusterUUID in a galaxy of type galaxyType. The importer uses it to
// resolve x_misp_related entries against other galaxies. It returns "" for
// galaxy types ObjectType does not know.
func ObjectID(galaxyType, clusterUUID string) string {
	typ, ok := ObjectType(galaxyType)
	if !ok {
		return ""
	}
	return stix.DeterministicID(typ, "misp-galaxy:"+galaxyType+":"+strings.ToLower(clusterUUID))
}
