package stix

import (
	"bytes"
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
	// and of any bundle property other than "objects". Zero means
	// DefaultMaxObjectSize. Set it before the first call to Next. The
	// caller bounds the total input, for example with io.LimitReader.
	MaxObjectSize int64

	name  string
	in    input
	state int
	index int
	sc    scratch
	err   error // sticky error

	// Bundle properties, or the members of a single top-level object.
	envelope []rawMember
	isBundle bool
}

type rawMember struct {
	key   string
	value []byte
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
	return &Decoder{name: name, in: input{r: r}}
}

// Offset returns the number of input bytes consumed so far (for a gzip
// file, decompressed bytes).
func (d *Decoder) Offset() int64 { return d.in.offset() }

func (d *Decoder) max() int64 {
	if d.MaxObjectSize > 0 {
		return d.MaxObjectSize
	}
	return DefaultMaxObjectSize
}

// Next returns the next object, upgraded to STIX 2.1 and validated. It
// returns io.EOF after the last one. Any other error is a *DecodeError
// (errors of the underlying reader are wrapped in one), after which the
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
			c, err := d.peek()
			if err != nil {
				return nil, d.eof(err)
			}
			if d.index > 0 {
				// After an element: ',' or ']'.
				switch c {
				case ',':
					d.in.pos++
					if c, err = d.peek(); err != nil {
						return nil, d.eof(err)
					}
					if c == ']' {
						return nil, d.syntax("looking for beginning of value")
					}
				case ']':
				default:
					return nil, d.syntax("after array element")
				}
			}
			if c == ']' {
				d.in.pos++
				if d.isBundle {
					d.state = stateAfter
				} else {
					d.state = stateDone
				}
				continue
			}
			return d.object()
		case stateAfter:
			if err := d.members(true); err != nil {
				return nil, err
			}
			if err := d.checkEnvelope(true); err != nil {
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
			_, err := d.peek()
			if err == io.EOF {
				return nil, io.EOF
			}
			if err != nil {
				return nil, err
			}
			return nil, d.errorf(d.Offset(), errors.New("unexpected data after the end of the input"))
		}
	}
}

// peek returns the next byte that is not white space, without consuming
// it; io.EOF at the end of the input, or a *DecodeError.
func (d *Decoder) peek() (byte, error) {
	c, err := d.in.peek()
	if err != nil && err != io.EOF {
		return 0, d.errorf(d.Offset(), err)
	}
	return c, err
}

// syntax returns the error for an unexpected byte (or end of input).
func (d *Decoder) syntax(context string) error {
	c, err := d.in.peek()
	if err != nil {
		if err == io.EOF {
			return d.errorf(d.Offset(), errors.New("unexpected end of input"))
		}
		return d.errorf(d.Offset(), err)
	}
	return d.errorf(d.Offset(), fmt.Errorf("invalid JSON: invalid character %q %s", c, context))
}

// start reads the beginning of the input: '[' of an array of objects, or
// '{' of a bundle or of a single object, whose properties up to "objects"
// it reads.
func (d *Decoder) start() error {
	c, err := d.peek()
	if err == io.EOF {
		return d.errorf(0, errors.New("empty input: want a STIX bundle, an array of objects or an object"))
	}
	if err != nil {
		return err
	}
	switch c {
	case '[':
		d.in.pos++
		d.state = stateArray
		return nil
	case '{':
		d.in.pos++
	default:
		return d.errorf(d.Offset(), errors.New("want a STIX bundle, an array of objects or an object"))
	}
	if err := d.members(false); err != nil {
		return err
	}
	if d.state == stateArray {
		return d.checkEnvelope(false)
	}
	// The object ended without an "objects" array.
	if d.envelopeType() == "bundle" {
		d.isBundle = true
		d.state = stateDone
		return d.checkEnvelope(true)
	}
	d.state = stateSingle
	return nil
}

// members reads the members of the top-level object, after '{' or after
// the objects array (after is true), up to its '}' or, first time, up to
// the '[' of "objects", when it switches to stateArray.
func (d *Decoder) members(after bool) error {
	first := !after
	for {
		c, err := d.peek()
		if err != nil {
			return d.eof(err)
		}
		if c == '}' {
			d.in.pos++
			return nil
		}
		if !first {
			if c != ',' {
				return d.syntax("after object member")
			}
			d.in.pos++
			if c, err = d.peek(); err != nil {
				return d.eof(err)
			}
		}
		first = false
		if c != '"' {
			return d.syntax("looking for beginning of object key string")
		}
		kraw, err := d.value()
		if err != nil {
			return err
		}
		var key string
		if err := json.Unmarshal(kraw, &key); err != nil {
			return d.errorf(d.Offset(), fmt.Errorf("invalid JSON: %w", err))
		}
		if c, err = d.peek(); err != nil {
			return d.eof(err)
		}
		if c != ':' {
			return d.syntax("after object key")
		}
		d.in.pos++
		if key == "objects" {
			if c, err = d.peek(); err != nil {
				return d.eof(err)
			}
			if after {
				return d.errorf(d.Offset(), errors.New(`bundle has two "objects" properties`))
			}
			if c == '[' {
				if typ := d.envelopeType(); typ != "" && typ != "bundle" {
					return d.errorf(d.Offset(), fmt.Errorf("type %q with an \"objects\" array: want a bundle", typ))
				}
				d.in.pos++
				d.isBundle = true
				d.state = stateArray
				return nil
			}
			// A bundle's (or an untyped envelope's) "objects" that is not
			// an array is a malformed bundle, not a single object.
			if typ := d.envelopeType(); typ == "" || typ == "bundle" {
				return d.errorf(d.Offset(), fmt.Errorf(`"objects" is %s: want an array of STIX objects`, kindAt(c)))
			}
			return d.errorf(d.Offset(), errors.New(`"objects" of a single top-level object is not supported: wrap the object in a bundle`))
		}
		if _, err := d.peek(); err != nil {
			return d.eof(err)
		}
		v, err := d.value()
		if err != nil {
			return err
		}
		d.envelope = append(d.envelope, rawMember{key: key, value: bytes.Clone(v)})
	}
}

func (d *Decoder) eof(err error) error {
	if err == io.EOF {
		return d.errorf(d.Offset(), errors.New("unexpected end of input"))
	}
	return err
}

// value reads the next JSON value and checks its syntax. The result is
// valid until the next read.
func (d *Decoder) value() ([]byte, error) {
	start := d.Offset()
	v, err := d.in.value(d.max())
	switch {
	case err == errTooLarge:
		return nil, d.errorf(start, fmt.Errorf("%w: more than %d bytes", ErrObjectTooLarge, d.max()))
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return nil, d.errorf(d.Offset(), errors.New("unexpected end of input"))
	case err != nil:
		return nil, d.errorf(d.Offset(), err)
	}
	if !validJSON(v) {
		var x any
		err := json.Unmarshal(v, &x)
		off := start
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset > 0 {
			off += se.Offset - 1
		}
		return nil, d.errorf(off, fmt.Errorf("invalid JSON: %w", err))
	}
	return v, nil
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
	start := d.Offset()
	raw, err := d.value()
	if err != nil {
		return nil, err
	}
	return d.parse(raw, start)
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

// errTooLarge is returned by input.value for a value larger than its bound.
var errTooLarge = errors.New("value too large")

// input is a buffered reader of JSON text that finds where each value ends
// (without checking its syntax), so that the Decoder never holds more than
// one value of bounded size.
type input struct {
	r   io.Reader
	buf []byte // buf[pos:] is unread
	pos int
	off int64 // input offset of buf[0]
	err error // read error, reported once the buffer is consumed
}

func (in *input) offset() int64 { return in.off + int64(in.pos) }

// fill reads more input, keeping buf[keep:]. It returns false when no more
// data can come (in.err is set).
func (in *input) fill(keep int) bool {
	if in.err != nil {
		return false
	}
	if keep > 0 {
		n := copy(in.buf, in.buf[keep:])
		in.buf = in.buf[:n]
		in.off += int64(keep)
		in.pos -= keep
	}
	if cap(in.buf)-len(in.buf) < 32<<10 {
		nb := make([]byte, len(in.buf), max(64<<10, 2*cap(in.buf)))
		copy(nb, in.buf)
		in.buf = nb
	}
	for i := 0; i < 100; i++ {
		n, err := in.r.Read(in.buf[len(in.buf):cap(in.buf)])
		in.buf = in.buf[:len(in.buf)+n]
		if err != nil {
			in.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	in.err = io.ErrNoProgress
	return false
}

// peek skips white space and returns the next byte, or the read error
// (io.EOF at the end).
func (in *input) peek() (byte, error) {
	for {
		for in.pos < len(in.buf) {
			switch c := in.buf[in.pos]; c {
			case ' ', '\t', '\n', '\r':
				in.pos++
			default:
				return c, nil
			}
		}
		if !in.fill(in.pos) {
			return 0, in.err
		}
	}
}

// value returns the next JSON value, which starts at buf[pos] (after
// peek), and consumes it. It tracks strings and nesting only; the caller
// checks the syntax. A value longer than max gives errTooLarge.
func (in *input) value(max int64) ([]byte, error) {
	// Scan state, relative to the value's start so that it survives fill.
	i, depth, inString := 0, 0, false
	for {
		start := in.pos
		b := in.buf[start:]
		end := -1
	scan:
		for i < len(b) {
			if inString {
				k := bytes.IndexByte(b[i:], '"')
				if k < 0 {
					i = len(b)
					break
				}
				q := i + k
				n := 0
				for p := q - 1; p >= 0 && b[p] == '\\'; p-- {
					n++
				}
				i = q + 1
				if n%2 == 0 {
					inString = false
					if depth == 0 {
						end = i
						break scan
					}
				}
				continue
			}
			switch b[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth <= 0 {
					if depth < 0 { // a closing delimiter where a value should be
						end = i
					} else {
						end = i + 1
					}
					break scan
				}
			case ',', ' ', '\t', '\n', '\r', ':':
				if depth == 0 {
					end = i
					break scan
				}
			}
			i++
		}
		if end >= 0 {
			if end == 0 { // nothing before a delimiter: return one byte for the syntax error
				end = 1
			}
			if int64(end) > max {
				return nil, errTooLarge
			}
			in.pos = start + end
			return b[:end], nil
		}
		if int64(i) > max {
			return nil, errTooLarge
		}
		if !in.fill(start) {
			if in.err == io.EOF && depth == 0 && !inString && i > 0 {
				// A scalar at the very end of the input.
				in.pos = start + i
				return in.buf[start : start+i], nil
			}
			if in.err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, in.err
		}
	}
}

// kindAt names the kind of JSON value that starts with c, for errors.
func kindAt(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
