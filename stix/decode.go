package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxObjectSize is the default bound on the size of one object in the
// input (16 MiB). The largest object in ATT&CK Enterprise 18.1 is about
// 60 KB.
const DefaultMaxObjectSize = 16 << 20

// ErrObjectTooLarge is wrapped by the DecodeError for an object larger than
// Decoder.MaxObjectSize.
var ErrObjectTooLarge = errors.New("object too large")

// DecodeError is an error in the input of a Decoder or of ParseObject. Its
// message names everything that is known, for example
//
//	enterprise.json: object 17 (attack-pattern--0042a9f5-…) at byte 12345: missing "created"
type DecodeError struct {
	File       string // input name given to NewDecoder; "" for ParseObject
	Offset     int64  // byte offset in the (decompressed) input of the object or of the error; -1 if unknown
	Index      int    // ordinal number of the object in the input, counting from 1; 0 if not about one object
	ObjectID   string // the object's "id", if it could be read
	ObjectType string // the object's "type", if it could be read
	Err        error  // what is wrong
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	sep := ""
	if e.Index > 0 {
		b.WriteString("object ")
		b.WriteString(strconv.Itoa(e.Index))
		sep = " "
	}
	switch {
	case e.ObjectID != "":
		b.WriteString(sep)
		b.WriteString("(" + truncate(e.ObjectID, 120) + ")")
		sep = " "
	case e.ObjectType != "":
		b.WriteString(sep)
		b.WriteString("(type " + truncate(e.ObjectType, 64) + ")")
		sep = " "
	}
	if e.Offset >= 0 {
		b.WriteString(sep)
		b.WriteString("at byte ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
		sep = " "
	}
	if sep != "" {
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decoder reads STIX objects one at a time from a bundle, from a JSON array
// of objects or from a single object, without holding more than one object
// in memory (see the package documentation for the accepted input).
type Decoder struct {
	// MaxObjectSize bounds the size in bytes of one object in the input
	// (with the white space before it) and of any bundle property other
	// than "objects". Zero means DefaultMaxObjectSize. Set it before the
	// first call to Next. The caller bounds the total input, for example
	// with io.LimitReader.
	MaxObjectSize int64

	name  string
	lr    *limitReader
	dec   *json.Decoder
	state int
	index int
	buf   json.RawMessage
	sc    scratch
	err   error // sticky error

	// Bundle envelope, for a top-level object.
	envelope []rawMember
	isBundle bool
}

type rawMember struct {
	key   string
	value json.RawMessage
}

const (
	stateStart  = iota
	stateArray  // inside the top-level array or the bundle's objects array
	stateAfter  // after the objects array, inside the bundle
	stateSingle // a single object is ready in envelope
	stateDone
)

// NewDecoder returns a Decoder reading r. name names the input in errors
// (usually the file name).
func NewDecoder(r io.Reader, name string) *Decoder {
	lr := &limitReader{r: r, limit: -1}
	dec := json.NewDecoder(lr)
	return &Decoder{name: name, lr: lr, dec: dec}
}

// Offset returns the number of input bytes consumed so far (for a gzip
// file, decompressed bytes).
func (d *Decoder) Offset() int64 { return d.dec.InputOffset() }

func (d *Decoder) max() int64 {
	if d.MaxObjectSize > 0 {
		return d.MaxObjectSize
	}
	return DefaultMaxObjectSize
}

// Next returns the next object, upgraded to STIX 2.1 and validated. It
// returns io.EOF after the last one. Any other error is a *DecodeError (or
// an error from the underlying reader wrapped in one), after which the
// Decoder is done and returns the same error again.
func (d *Decoder) Next() (*Object, error) {
	if d.err != nil {
		return nil, d.err
	}
	o, err := d.next()
	if err != nil {
		d.err = err
		return nil, err
	}
	return o, nil
}

func (d *Decoder) next() (*Object, error) {
	for {
		switch d.state {
		case stateStart:
			if err := d.start(); err != nil {
				return nil, err
			}
		case stateArray:
			d.bound()
			if !d.dec.More() {
				if _, err := d.token(); err != nil { // ']'
					return nil, err
				}
				if !d.isBundle {
					d.state = stateDone
					continue
				}
				d.state = stateAfter
				continue
			}
			return d.object()
		case stateAfter:
			if err := d.envelopeRest(); err != nil {
				return nil, err
			}
			d.state = stateDone
		case stateSingle:
			d.state = stateDone
			d.index = 1
			raw := joinMembers(d.envelope)
			d.envelope = nil
			return d.parse(raw, 0)
		case stateDone:
			d.bound()
			if _, err := d.dec.Token(); err != io.EOF {
				if err != nil {
					return nil, d.errorf(d.Offset(), err)
				}
				return nil, d.errorf(d.Offset(), errors.New("unexpected data after the end of the input"))
			}
			return nil, io.EOF
		}
	}
}

// boundSlack allows for white space and a separator before a value.
const boundSlack = 64 << 10

// bound limits the reader so that the next value can end at most
// MaxObjectSize (plus boundSlack) bytes past the current offset: the
// decoder never buffers more than that, whatever the input.
func (d *Decoder) bound() {
	d.lr.limit = d.Offset() + d.max() + boundSlack
}

func (d *Decoder) token() (json.Token, error) {
	t, err := d.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) { // Token's offsets are exact
			return nil, d.errorf(se.Offset, fmt.Errorf("invalid JSON: %w", err))
		}
		return nil, d.readError(err)
	}
	return t, nil
}

// start reads the beginning of the input: '[' of an array of objects, or
// '{' of a bundle or of a single object, whose properties up to "objects"
// it reads.
func (d *Decoder) start() error {
	d.bound()
	t, err := d.dec.Token()
	if err == io.EOF {
		return d.errorf(0, errors.New("empty input: want a STIX bundle, an array of objects or an object"))
	}
	if err != nil {
		return d.readError(err)
	}
	switch t {
	case json.Delim('['):
		d.state = stateArray
		return nil
	case json.Delim('{'):
	default:
		return d.errorf(d.Offset(), errors.New("want a STIX bundle, an array of objects or an object"))
	}
	for {
		d.bound()
		if !d.dec.More() {
			if _, err := d.token(); err != nil { // '}'
				return err
			}
			return d.endOfTopObject()
		}
		key, err := d.key()
		if err != nil {
			return err
		}
		if key == "objects" {
			d.bound()
			t, err := d.token()
			if err != nil {
				return err
			}
			if t == json.Delim('[') {
				if typ := d.envelopeType(); typ != "" && typ != "bundle" {
					return d.errorf(d.Offset(), fmt.Errorf("type %q with an \"objects\" array: want a bundle", typ))
				}
				d.isBundle = true
				d.state = stateArray
				return d.checkEnvelope(false)
			}
			return d.errorf(d.Offset(), errors.New(`"objects" of a single top-level object is not supported: wrap the object in a bundle`))
		}
		var v json.RawMessage
		if err := d.decode(&v); err != nil {
			return err
		}
		d.envelope = append(d.envelope, rawMember{key: key, value: v})
	}
}

func (d *Decoder) key() (string, error) {
	t, err := d.token()
	if err != nil {
		return "", err
	}
	k, ok := t.(string)
	if !ok {
		return "", d.errorf(d.Offset(), errors.New("malformed object"))
	}
	return k, nil
}

func (d *Decoder) decode(v *json.RawMessage) error {
	d.bound()
	if err := d.dec.Decode(v); err != nil {
		return d.readError(err)
	}
	return nil
}

// readError turns an error of json.Decoder into a DecodeError.
func (d *Decoder) readError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, errLimit):
		return d.errorf(d.Offset(), fmt.Errorf("%w: more than %d bytes", ErrObjectTooLarge, d.max()))
	case errors.As(err, &se):
		return d.errorf(d.syntaxErrorOffset(se), fmt.Errorf("invalid JSON: %w", err))
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return d.errorf(d.Offset(), errors.New("unexpected end of input"))
	}
	return d.errorf(d.Offset(), err)
}

// syntaxErrorOffset returns the input offset of the syntax error se of
// json.Decoder.Decode. The offset in se is not reliable for a stream, so
// the value is scanned again from its start, which the decoder still holds.
func (d *Decoder) syntaxErrorOffset(se *json.SyntaxError) int64 {
	data, _ := io.ReadAll(d.dec.Buffered())
	var v any
	var se2 *json.SyntaxError
	if err := json.Unmarshal(data, &v); errors.As(err, &se2) && se2.Offset > 0 {
		return d.Offset() + se2.Offset - 1
	}
	return d.Offset()
}

func (d *Decoder) envelopeType() string {
	for _, m := range d.envelope {
		if m.key == "type" {
			var s string
			if json.Unmarshal(m.value, &s) == nil {
				return s
			}
		}
	}
	return ""
}

// endOfTopObject handles the end of a top-level object without an
// "objects" array: a bundle without objects, or a single object.
func (d *Decoder) endOfTopObject() error {
	if d.envelopeType() == "bundle" {
		d.isBundle = true
		d.state = stateDone
		return d.checkEnvelope(true)
	}
	d.state = stateSingle
	return nil
}

// envelopeRest reads the bundle properties after "objects".
func (d *Decoder) envelopeRest() error {
	for {
		d.bound()
		if !d.dec.More() {
			if _, err := d.token(); err != nil { // '}'
				return err
			}
			return d.checkEnvelope(true)
		}
		key, err := d.key()
		if err != nil {
			return err
		}
		if key == "objects" {
			return d.errorf(d.Offset(), errors.New(`bundle has two "objects" properties`))
		}
		var v json.RawMessage
		if err := d.decode(&v); err != nil {
			return err
		}
		d.envelope = append(d.envelope, rawMember{key: key, value: v})
	}
}

// checkEnvelope checks the bundle properties (section 8): type "bundle",
// an id bundle--UUID when complete, and a spec_version of "2.0" or "2.1"
// when present (2.0 bundles have one, 2.1 bundles none).
func (d *Decoder) checkEnvelope(complete bool) error {
	var typ, id string
	for _, m := range d.envelope {
		var s string
		switch m.key {
		case "type", "id", "spec_version":
			if err := json.Unmarshal(m.value, &s); err != nil {
				return d.errorf(d.Offset(), fmt.Errorf("bundle %q: want a string", m.key))
			}
		}
		switch m.key {
		case "type":
			typ = s
		case "id":
			id = s
		case "spec_version":
			if s != "2.0" && s != "2.1" {
				return d.errorf(d.Offset(), fmt.Errorf("unknown bundle spec_version %q (want \"2.0\" or \"2.1\")", truncate(s, 32)))
			}
		}
	}
	if typ != "" && typ != "bundle" {
		return d.errorf(d.Offset(), fmt.Errorf("type %q with an \"objects\" array: want a bundle", typ))
	}
	if id != "" {
		if err := checkID(id, "bundle"); err != nil {
			return d.errorf(d.Offset(), fmt.Errorf("bundle: %w", err))
		}
	}
	if complete {
		if typ == "" {
			return d.errorf(d.Offset(), errors.New(`bundle: missing "type"`))
		}
		if id == "" {
			return d.errorf(d.Offset(), errors.New(`bundle: missing "id"`))
		}
	}
	return nil
}

// object decodes the next element of the objects array.
func (d *Decoder) object() (*Object, error) {
	d.index++
	if err := d.dec.Decode(&d.buf); err != nil {
		return nil, d.readError(err)
	}
	end := d.Offset()
	start := end - int64(len(d.buf))
	if int64(len(d.buf)) > d.max() {
		return nil, d.errorf(start, fmt.Errorf("%w: %d bytes, more than %d", ErrObjectTooLarge, len(d.buf), d.max()))
	}
	return d.parse(d.buf, start)
}

func (d *Decoder) parse(raw []byte, start int64) (*Object, error) {
	o, err := parse(raw, &d.sc)
	if err != nil {
		if errors.Is(err, errNotObject) {
			err = errors.New("not a JSON object")
		}
		return nil, &DecodeError{File: d.name, Offset: start, Index: d.index, ObjectID: idOf(o), ObjectType: typeOf(o), Err: err}
	}
	return o, nil
}

func (d *Decoder) errorf(off int64, err error) error {
	e := &DecodeError{File: d.name, Offset: off, Err: err}
	if d.state == stateArray {
		e.Index = d.index
	}
	return e
}

// joinMembers writes the members of a single top-level object back as one
// JSON object.
func joinMembers(ms []rawMember) []byte {
	b := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.key)
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// errLimit is returned by limitReader past its limit.
var errLimit = errors.New("size limit reached")

// limitReader reads from r and fails with errLimit once n reaches limit
// (limit < 0: no limit).
type limitReader struct {
	r        io.Reader
	n, limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.limit >= 0 {
		left := l.limit - l.n
		if left <= 0 {
			return 0, errLimit
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}
