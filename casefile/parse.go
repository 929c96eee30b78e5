package casefile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/culprit-cti/culprit/errs"
)

// MaxSize is the largest case accepted, in bytes, after any gzip
// decompression. A case is one incident; anything larger is a mistake (or an
// attack on the parser) and is refused without being read in full.
const MaxSize = 16 << 20

// ErrNoEvidence is returned (wrapped) for a case that holds no techniques,
// software, indicators, samples or claims.
var ErrNoEvidence = errors.New("case has no evidence")

// ErrTooLarge is returned (wrapped) for a case larger than MaxSize. Its
// kind is errs.TooLarge, as for every input over a limit.
var ErrTooLarge = errs.E(errs.TooLarge, "case larger than %d MiB", MaxSize>>20)

// Warning is a problem in a case that does not stop it from being
// attributed: an unknown key, a malformed value that was dropped, claims that
// contradict each other. Warnings are for the analyst to read; the case is
// still usable.
type Warning struct {
	Line    int    // 1-based line in a YAML case file; 0 when not known (STIX bundles)
	Field   string // where: "techniques[2].id", "indicator--…", or "" for the whole case
	Message string
}

// String formats w as "line 12: techniques[2]: message", leaving out the
// parts that are unknown.
func (w Warning) String() string {
	var b strings.Builder
	if w.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", w.Line)
	}
	if w.Field != "" {
		b.WriteString(w.Field)
		b.WriteString(": ")
	}
	b.WriteString(w.Message)
	return b.String()
}

// ParseFile reads the case in the file at path; see Parse. A file larger than
// MaxSize is refused before it is read.
func ParseFile(path string) (*Case, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open case: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("open case: %w", err)
	}
	if fi.IsDir() {
		return nil, nil, fmt.Errorf("case %s is a directory", path)
	}
	if fi.Size() > MaxSize {
		return nil, nil, fmt.Errorf("case %s is %d bytes: %w", path, fi.Size(), ErrTooLarge)
	}
	return Parse(path, f)
}

// Parse reads one case from r. name is used in messages and, when the case
// does not name itself, as the case name (its base name without extensions).
//
// The format is detected from the content, not the name: gzip-compressed
// input is decompressed first; a JSON object is a STIX 2.0 or 2.1 bundle;
// anything else is a YAML case file (see the package documentation). At
// most MaxSize bytes are read, after decompression.
//
// Parse returns an error when the input cannot be read or parsed at all, or
// when it holds no evidence (ErrNoEvidence). Everything else that is wrong
// with the case is reported as a Warning, and the case is returned without
// the offending part.
func Parse(name string, r io.Reader) (*Case, []Warning, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read case %s: %w", name, err)
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("read case %s: %w", name, err)
		}
		data, err = readLimited(zr)
		if err != nil {
			return nil, nil, fmt.Errorf("read case %s: gzip: %w", name, err)
		}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	var (
		c     *Case
		warns []Warning
	)
	if isJSONObject(data) {
		c, warns, err = parseBundle(name, data)
	} else {
		c, warns, err = parseYAML(data)
	}
	if err != nil {
		return nil, warns, fmt.Errorf("case %s: %w", name, err)
	}
	if c.Name == "" {
		c.Name = baseName(name)
	}
	if c.empty() {
		return nil, warns, fmt.Errorf("case %s: %w (techniques, software, indicators, samples or claims)", name, ErrNoEvidence)
	}
	return c, warns, nil
}

// isJSONObject reports whether data is one JSON object (and so, for a case,
// a STIX bundle). A YAML flow mapping such as {techniques: [T1485]} also
// starts with a brace but is not valid JSON.
func isJSONObject(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}

// readLimited reads all of r, failing with ErrTooLarge after MaxSize bytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	return data, nil
}

// baseName turns "dir/sony-2014.case.yaml.gz" into "sony-2014", and a name
// without a usable base (such as "" or "/") into "case".
func baseName(name string) string {
	b := filepath.Base(name)
	if i := strings.IndexByte(b, '.'); i > 0 {
		b = b[:i]
	}
	if b == "" || b == "." || b == string(filepath.Separator) {
		return "case"
	}
	return b
}

// empty reports whether c holds no evidence about the actor. The victim alone
// is not evidence: it only sets a prior.
func (c *Case) empty() bool {
	return len(c.Techniques) == 0 && len(c.Software) == 0 && len(c.Indicators) == 0 &&
		len(c.Samples) == 0 && len(c.Claims) == 0
}
