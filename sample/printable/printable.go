// Package printable extracts printable strings from binary data, like the
// strings(1) tool: runs of printable ASCII and of UTF-16LE code units in
// the printable ASCII range (the "wide" strings of Windows programs).
//
// An Extractor is an io.Writer, so it runs in the same single pass over a
// file as the hashers, with memory bounded by the longest string kept
// (MaxLen), whatever the input size.
package printable

import "fmt"

// Encoding says how a string was stored.
type Encoding string

// Encodings found by the Extractor.
const (
	ASCII   Encoding = "ascii"
	UTF16LE Encoding = "utf-16le"
)

// String is one extracted string.
type String struct {
	Offset   int64    `json:"offset"` // of its first byte in the input
	Encoding Encoding `json:"encoding"`
	Value    string   `json:"value"` // at most MaxLen characters
}

// Options tune an Extractor.
type Options struct {
	MinLen int // shortest run reported, in characters; 0 means 4
	MaxLen int // longer runs are cut to this many characters; 0 means 4096
}

// Extractor finds strings in the bytes written to it and passes each one
// to its callback, in order of where the string ends. Write never fails.
// It is not safe for concurrent use.
type Extractor struct {
	minLen, maxLen int
	emit           func(String)
	off            int64 // offset of the next byte written

	ascii run
	wide  [2]wideRun // UTF-16LE runs starting at even and odd offsets
}

type run struct {
	start int64
	n     int // characters in the run (may exceed len(buf))
	buf   []byte
}

type wideRun struct {
	run
	pending byte // character byte waiting for its 0x00 high byte
	have    bool
}

// New returns an Extractor that calls emit for every string found.
func New(opts Options, emit func(String)) *Extractor {
	if opts.MinLen <= 0 {
		opts.MinLen = 4
	}
	if opts.MaxLen <= 0 {
		opts.MaxLen = 4096
	}
	if opts.MaxLen < opts.MinLen {
		opts.MaxLen = opts.MinLen
	}
	return &Extractor{minLen: opts.MinLen, maxLen: opts.MaxLen, emit: emit}
}

// idle reports whether no string is open or about to be.
func (e *Extractor) idle() bool {
	return e.ascii.n == 0 && e.wide[0].n == 0 && e.wide[1].n == 0 && !e.wide[0].have && !e.wide[1].have
}

// isPrint reports whether c is printable ASCII or a tab.
func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' }

// Write scans p. It always returns len(p), nil.
func (e *Extractor) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i++ {
		c := p[i]
		// Fast path: no string open and a byte that cannot start one.
		if !isPrint(c) && e.idle() {
			continue
		}
		off := e.off + int64(i)
		pr := isPrint(c)
		// ASCII runs.
		if pr {
			if e.ascii.n == 0 {
				e.ascii.start = off
			}
			e.ascii.add(c, e.maxLen)
		} else if e.ascii.n > 0 {
			e.flush(&e.ascii, ASCII)
		}
		// UTF-16LE runs: for the run aligned with this byte's parity the
		// byte is a character, for the other it must be the zero high byte.
		q := off & 1
		w := &e.wide[q]
		if pr {
			w.pending, w.have = c, true
			if w.n == 0 {
				w.start = off
			}
		} else {
			if w.n > 0 {
				e.flush(&w.run, UTF16LE)
			}
			w.have = false
		}
		o := &e.wide[1-q]
		if o.have && c == 0 {
			o.add(o.pending, e.maxLen)
			o.have = false
		} else {
			if o.n > 0 {
				e.flush(&o.run, UTF16LE)
			}
			o.have = false
		}
	}
	e.off += int64(len(p))
	return len(p), nil
}

// add appends c to the run, keeping at most maxLen characters.
func (r *run) add(c byte, maxLen int) {
	if r.n < maxLen {
		r.buf = append(r.buf, c)
	}
	r.n++
}

func (e *Extractor) flush(r *run, enc Encoding) {
	if r.n >= e.minLen {
		e.emit(String{Offset: r.start, Encoding: enc, Value: string(r.buf)})
	}
	r.n = 0
	r.buf = r.buf[:0]
}

// Close reports the strings still open at the end of the input. Further
// writes start new strings.
func (e *Extractor) Close() error {
	if e.ascii.n > 0 {
		e.flush(&e.ascii, ASCII)
	}
	for i := range e.wide {
		if e.wide[i].n > 0 {
			e.flush(&e.wide[i].run, UTF16LE)
		}
		e.wide[i].have = false
	}
	return nil
}

// String formats s as "offset encoding value" for listings.
func (s String) String() string {
	return fmt.Sprintf("0x%08x %-8s %s", s.Offset, s.Encoding, s.Value)
}
