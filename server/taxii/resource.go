package taxii

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/stix"
)

// Discovery is the discovery resource (section 4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots"`
}

// APIRoot is the api-root resource (section 4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is the collection resource (section 5.2.1).
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

// Collections is the collections resource (section 5.1.1).
type Collections struct {
	Collections []Collection `json:"collections"`
}

// ManifestRecord is one entry of a manifest (section 5.3.1).
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// Manifest is the manifest resource (section 5.3.1).
type Manifest struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// Envelope is the envelope resource (section 3.7).
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// AppendJSON appends the envelope as JSON, as encoding/json writes it
// with HTML escaping off, except that each object is copied as it is:
// objects are stored compact and valid (stix.ParseObject), and copying
// them saves the re-validation and compaction encoding/json gives every
// json.RawMessage, which was most of the cost of a TAXII page.
func (e Envelope) AppendJSON(b []byte) []byte {
	n := len(e.Next) + 40
	for _, o := range e.Objects {
		n += len(o) + 1
	}
	b = slices.Grow(b, n)
	b = append(b, `{"more":`...)
	b = strconv.AppendBool(b, e.More)
	if e.Next != "" {
		b = append(b, `,"next":`...)
		b = appendString(b, e.Next)
	}
	if len(e.Objects) > 0 {
		b = append(b, `,"objects":[`...)
		for i, o := range e.Objects {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, o...)
		}
		b = append(b, ']')
	}
	return append(b, '}', '\n')
}

// appendString appends s as a JSON string without HTML escaping.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// VersionList is the versions resource (section 5.7.1).
type VersionList struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// StatusDetail is one object of a status (section 4.3.1).
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Status is the status resource (section 4.3.1).
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"` // "complete" or "pending"
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// Error is the error message resource (section 3.6.1).
type Error struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorID     string `json:"error_id,omitempty"`
	HTTPStatus  string `json:"http_status,omitempty"`
}

// MaxObjects bounds the objects of one POSTed envelope.
const MaxObjects = 10000

// DecodeEnvelope reads a POSTed envelope of at most max bytes and parses
// its objects as STIX 2.1 (section 5.5: the request body is an envelope;
// "more" and "next" are ignored in a request). Errors are of kind Invalid
// or TooLarge and name the object at fault by its index.
func DecodeEnvelope(r io.Reader, max int64) ([]*stix.Object, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "read envelope")
	}
	if int64(len(b)) > max {
		return nil, errs.E(errs.TooLarge, "envelope larger than %d bytes", max)
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&env); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "envelope: not a JSON object with an objects array")
	}
	if dec.More() {
		return nil, errs.E(errs.Invalid, "envelope: data after the JSON object")
	}
	if len(env.Objects) == 0 {
		return nil, errs.E(errs.Invalid, "envelope: no objects")
	}
	if len(env.Objects) > MaxObjects {
		return nil, errs.E(errs.TooLarge, "envelope: %d objects, at most %d at once", len(env.Objects), MaxObjects)
	}
	objs := make([]*stix.Object, 0, len(env.Objects))
	for i, raw := range env.Objects {
		o, err := stix.ParseObject(raw)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "envelope: objects[%d]", i)
		}
		objs = append(objs, o)
	}
	return objs, nil
}
