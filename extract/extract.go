// Package extract turns prose into evidence: the indicators (addresses,
// domains, URLs, hashes, CVE and ATT&CK ids, coin addresses, Windows paths
// and registry keys), the actor, malware and tool names of the knowledge,
// and the attribution statements of a report, each with its byte offset in
// the input and a snippet of context.
//
// Input is streamed in overlapping chunks, so a file of any size is read
// in bounded memory; an item that starts in one chunk and is longer than
// the overlap is cut. Nothing is dropped for being probably benign: items
// on a MISP warninglist, and names that look like files, carry the reason
// in Item.Benign and stay in the output for the analyst to judge.
package extract

import (
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf8"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/netenrich"
)

// Kind is what an item is: an indicator type, a name or a statement.
type Kind string

// Kinds of items other than indicators (whose Kind is their ioc.Type).
const (
	KindName      Kind = "name"
	KindStatement Kind = "attribution-statement"
	KindContext   Kind = "context"
)

// Item is one thing found in the text.
type Item struct {
	Kind    Kind   `json:"kind"`
	Value   string `json:"value"`   // canonical (ioc.Normalize) for indicators
	Text    string `json:"text"`    // as written in the input (before refanging)
	Offset  int64  `json:"offset"`  // byte offset of Text in the input
	Snippet string `json:"snippet"` // the surrounding text, spaces collapsed
	// Benign names the warninglists (and culprit's own traps, "culprit:
	// ...") that say this item is probably not malicious.
	Benign []string `json:"benign,omitempty"`
	// Candidates are the knowledge objects a name may refer to: all of
	// them when the name is ambiguous.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Sentence is the sentence of a technique found by its name
	// (KindTechnique), the evidence that supports it.
	Sentence string `json:"sentence,omitempty"`
	// Statement is set for attribution statements.
	Statement *Statement `json:"statement,omitempty"`
	// Network is what Options.Network knows of an address (AS number,
	// organisation, country) or of a host's registrable domain; shown
	// with netenrich.Attribution.
	Network *netenrich.Info `json:"network,omitempty"`
}

// Options bound and tune an extraction. The zero value is usable.
type Options struct {
	// MaxBytes is the most input read; more is an error of kind
	// errs.TooLarge. Zero means DefaultMaxBytes.
	MaxBytes int64
	// Warninglists mark items as probably benign.
	Warninglists []*Warninglist
	// Names finds the knowledge's names; nil finds none.
	Names *Matcher
	// OwnDomains are the report author's domains (a vendor's site and
	// contact addresses): items under them are marked benign.
	OwnDomains []string
	// NoStatements turns off attribution statements.
	NoStatements bool
	// Stats, if set, counts the traps avoided or marked.
	Stats *Stats
	// Network, if set, enriches addresses, domains, URLs and e-mail
	// addresses (Item.Network), offline.
	Network *netenrich.DB
}

// Stats counts what an extraction refused or marked, by reason: the
// classic traps of indicator extraction (file names with a TLD as
// extension, version strings, the author's own domains).
type Stats struct {
	Traps map[string]int
}

// DefaultMaxBytes bounds the input when Options.MaxBytes is zero.
const DefaultMaxBytes = 4 << 30

// Chunking: a chunk is scanned whole, and items starting in its last
// overlap bytes are left to the next chunk, which starts overlap bytes
// before the end of this one. No item is longer than maxItem.
const (
	chunkSize = 1 << 20
	overlap   = 8 << 10
	maxItem   = 4 << 10
	snippetW  = 60
	context   = maxItem + 2*snippetW
)

// Scan reads r to its end and calls fn for each item, in order of offset
// within each chunk. It returns the first error of r or fn, or an
// errs.TooLarge error when r holds more than the bound, or errs.Invalid
// when the input is binary.
func Scan(r io.Reader, opt Options, fn func(Item) error) error {
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	s := newScanner(opt)
	// The buffer starts small and grows to a whole chunk only when the
	// input fills it: most reports are a few tens of kilobytes, and a
	// zeroed megabyte per Scan cost more than scanning them (chunks are
	// the same as with a whole-chunk buffer from the start).
	const full = chunkSize + overlap + context
	buf := make([]byte, 0, 64<<10)
	fill := func() (int, error) {
		n := 0
		for {
			k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+k]
			n += k
			if err != nil || cap(buf) >= full {
				return n, err
			}
			buf = append(make([]byte, 0, full), buf...)
		}
	}
	var base int64 // offset of buf[0] in the input
	var read int64
	from := 0 // items starting before buf[from] were reported already
	first := true
	for {
		n, err := fill()
		read += int64(n)
		if read > limit {
			return errs.E(errs.TooLarge, "input is larger than %d bytes", limit)
		}
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return errs.Wrap(errs.Unavailable, err, "read input")
		}
		if first {
			if why := binaryReason(buf); why != "" {
				return errs.E(errs.Invalid, "input is not text (%s): extract reads text, Markdown, HTML and PDF reports, not samples (use culprit sample)", why)
			}
			first = false
		}
		end := len(buf) // items starting before end are reported now
		if !eof {
			end = len(buf) - overlap
		}
		if err := s.chunk(buf, base, from, end, fn); err != nil {
			return err
		}
		if eof {
			return nil
		}
		// Keep the overlap, scanned again with the next chunk, and the
		// context before it, so that a word cut at the chunk's start is
		// not mistaken for a whole one.
		keepFrom := max(0, end-context)
		keep := copy(buf, buf[keepFrom:])
		buf = buf[:keep]
		base += int64(keepFrom)
		from = end - keepFrom
	}
}

// All returns every item of r (see Scan).
func All(r io.Reader, opt Options) ([]Item, error) {
	var out []Item
	err := Scan(r, opt, func(it Item) error { out = append(out, it); return nil })
	return out, err
}

// binaryReason says why the start of an input is not text, or "".
// Text in any encoding culprit reads (UTF-8, Latin-1 prose) has no NUL
// bytes and few control characters.
func binaryReason(b []byte) string {
	head := b[:min(len(b), 8192)]
	switch {
	case bytes.HasPrefix(head, []byte("MZ")) && bytes.IndexByte(head, 0) >= 0:
		return "a Windows executable"
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "an ELF executable"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a ZIP archive"
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		return "gzip-compressed"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "a PDF: read it with the PDF reader (culprit extract report.pdf)"
	}
	ctl := 0
	for _, c := range head {
		if c == 0 {
			return "it holds NUL bytes"
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b {
			ctl++
		}
	}
	if ctl*20 > len(head) {
		return "more than 5% control characters"
	}
	return ""
}

// snippet returns the text around b[start:end], at most snippetW bytes on
// each side, cut at UTF-8 boundaries, whitespace runs collapsed to one space.
func snippet(b []byte, start, end int) string {
	return string(appendSnippet(nil, b, start, end))
}

// appendSnippet appends the snippet of b[start:end] to dst.
func appendSnippet(dst, b []byte, start, end int) []byte {
	lo, hi := max(0, start-snippetW), min(len(b), end+snippetW)
	for lo > 0 && lo < start && !utf8.RuneStart(b[lo]) {
		lo++
	}
	for hi < len(b) && hi > end && !utf8.RuneStart(b[hi]) {
		hi--
	}
	for lo < hi && isSnippetSpace[b[lo]] {
		lo++
	}
	for hi > lo && isSnippetSpace[b[hi-1]] {
		hi--
	}
	// The window is copied whole and collapsed in place, eight bytes at a
	// time: a word without control bytes or adjacent spaces (most of
	// prose) is moved as it is. The byte-at-a-time loop this replaces was
	// 11% of BenchmarkIndicatorsAndNames.
	out := append(dst, b[lo:hi]...)
	s := out[len(dst):]
	const ones, highs, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	w, r := 0, 0
	var high uint64
	prevSpace := false // s[w-1] is a space
	for r < len(s) {
		if r+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[r:])
			// ctl: 0x80 in each ASCII byte below 0x20; sp: in each space.
			ctl := ^((x&low7 + (0x80-0x20)*ones) | x) & highs
			if ctl != 0 {
				// Tabs, line breaks, form feeds (9 to 13) become
				// spaces here; other control bytes take the byte loop.
				v := x & low7
				ws := (v + (0x80-9)*ones) &^ (v + (0x80-14)*ones) &^ x & highs
				if ctl == ws {
					mask := (ws >> 7) * 0xff
					x = x&^mask | mask&(0x20*ones)
					ctl = 0
				}
			}
			y := x ^ 0x20*ones
			sp := ^((y&low7 + low7) | y | low7)
			if ctl == 0 && sp&(sp>>8) == 0 && !(prevSpace && sp&0x80 != 0) {
				binary.LittleEndian.PutUint64(s[w:], x)
				w, r = w+8, r+8
				high |= x
				prevSpace = sp>>56 != 0
				continue
			}
		}
		for stop := min(r+8, len(s)); r < stop; r++ {
			c := s[r]
			if isSnippetSpace[c] {
				if !prevSpace {
					s[w] = ' '
					w++
					prevSpace = true
				}
				continue
			}
			s[w] = c
			w++
			prevSpace = false
			high |= uint64(c)
		}
	}
	s = s[:w]
	if high&highs != 0 && !utf8.Valid(s) {
		return bytes.ToValidUTF8(s, []byte("\uFFFD"))
	}
	return s
}

// isSnippetSpace marks the bytes a snippet collapses: ASCII white space.
var isSnippetSpace = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, '\f': true, '\v': true}

// IsIndicator reports whether k is an indicator type.
func IsIndicator(k Kind) bool {
	for _, t := range ioc.Types {
		if Kind(t) == k {
			return true
		}
	}
	return false
}
