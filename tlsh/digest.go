package tlsh

import (
	"errors"
	"fmt"
	"strconv"
)

// Digest is a TLSH digest: 35 bytes for 128 buckets and a 1-byte checksum.
// It is a comparable value; the zero Digest is not the digest of any input.
type Digest struct {
	checksum byte
	lvalue   byte
	// q holds the q1 ratio in its low and the q2 ratio in its high nibble.
	q byte
	// code[i] holds the 2-bit codes of buckets 4i..4i+3, bucket 4i+j in
	// bits 2j and 2j+1.
	code [32]byte
}

// Lengths of a digest's string forms.
const (
	StringLen    = 72 // "T1" and 70 hex digits
	OldStringLen = 70 // the format before version 4, without "T1"
)

const hexDigits = "0123456789ABCDEF"

func swapNibbles(b byte) byte { return b<<4 | b>>4 }

// String returns the digest in the version-4 form: "T1" and 70 upper-case
// hex digits. The header bytes appear with their nibbles swapped and the
// code bytes last-first, as the reference writes them.
func (d Digest) String() string {
	var buf [StringLen]byte
	buf[0], buf[1] = 'T', '1'
	d.appendHex(buf[2:2])
	return string(buf[:])
}

// OldString returns the digest without the "T1" prefix, as TLSH before
// version 4 (and Debian's tlsh_unittest 3.4) writes it.
func (d Digest) OldString() string {
	var buf [OldStringLen]byte
	d.appendHex(buf[:0])
	return string(buf[:])
}

func (d Digest) appendHex(dst []byte) []byte {
	put := func(b byte) { dst = append(dst, hexDigits[b>>4], hexDigits[b&15]) }
	put(swapNibbles(d.checksum))
	put(swapNibbles(d.lvalue))
	put(swapNibbles(d.q))
	for i := len(d.code) - 1; i >= 0; i-- {
		put(d.code[i])
	}
	return dst
}

// MarshalText returns d.String().
func (d Digest) MarshalText() ([]byte, error) {
	return d.appendHex(append(make([]byte, 0, StringLen), 'T', '1')), nil
}

// UnmarshalText parses text as Parse does.
func (d *Digest) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Parse parses a digest in the version-4 form ("T1" and 70 hex digits) or
// the older form (70 hex digits). Hex digits may be upper or lower case.
func Parse(s string) (Digest, error) {
	h := s
	switch len(s) {
	case StringLen:
		if s[0] != 'T' || s[1] != '1' {
			return Digest{}, parseError(s, "version prefix is not T1")
		}
		h = s[2:]
	case OldStringLen:
	default:
		return Digest{}, parseError(s, "length "+strconv.Itoa(len(s))+", want 72 or 70")
	}
	var raw [35]byte
	for i := range raw {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return Digest{}, parseError(s, "not a hex digit at offset "+strconv.Itoa(len(s)-len(h)+2*i))
		}
		raw[i] = hi<<4 | lo
	}
	d := Digest{checksum: swapNibbles(raw[0]), lvalue: swapNibbles(raw[1]), q: swapNibbles(raw[2])}
	for i := range d.code {
		d.code[i] = raw[3+len(d.code)-1-i]
	}
	return d, nil
}

func parseError(s, why string) error {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return fmt.Errorf("tlsh: parse digest %q: %s", s, why)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Parts is a digest decoded into its fields.
type Parts struct {
	Checksum int // 0..255
	LValue   int // length class, 0..255
	Q1Ratio  int // 0..15
	Q2Ratio  int // 0..15
	// Buckets are the 2-bit codes (0..3) of the 128 buckets, numbered as the
	// reference's BucketValue numbers them: in the order of the hex digits of
	// the string form, high bits first. Buckets[i] is the code of Pearson
	// bucket 127-i.
	Buckets [128]uint8
}

// Parts decodes d.
func (d Digest) Parts() Parts {
	p := Parts{
		Checksum: int(d.checksum),
		LValue:   int(d.lvalue),
		Q1Ratio:  int(d.q & 15),
		Q2Ratio:  int(d.q >> 4),
	}
	for i := range p.Buckets {
		k := 127 - i
		p.Buckets[i] = d.code[k/4] >> (2 * (k % 4)) & 3
	}
	return p
}

// FromParts builds the digest with the given parts. It fails if a field is
// out of range.
func FromParts(p Parts) (Digest, error) {
	switch {
	case p.Checksum < 0 || p.Checksum > 255:
		return Digest{}, errors.New("tlsh: checksum out of range 0..255")
	case p.LValue < 0 || p.LValue > 255:
		return Digest{}, errors.New("tlsh: lvalue out of range 0..255")
	case p.Q1Ratio < 0 || p.Q1Ratio > 15 || p.Q2Ratio < 0 || p.Q2Ratio > 15:
		return Digest{}, errors.New("tlsh: q ratio out of range 0..15")
	}
	d := Digest{checksum: byte(p.Checksum), lvalue: byte(p.LValue), q: byte(p.Q1Ratio) | byte(p.Q2Ratio)<<4}
	for i, v := range p.Buckets {
		if v > 3 {
			return Digest{}, fmt.Errorf("tlsh: bucket %d code %d out of range 0..3", i, v)
		}
		k := 127 - i
		d.code[k/4] |= v << (2 * (k % 4))
	}
	return d, nil
}

// Distance returns the TLSH distance between a and b (the reference's
// totalDiff): 0 for equal digests, growing with dissimilarity, without an
// upper bound of practical interest. With lengthTerm false the difference
// in input length is left out. The distance is symmetric but not a metric:
// the triangle inequality does not hold.
//
// It is the sum of non-negative parts: the length term (length classes
// 0 or 1 apart cost 0 or 1, further apart 12 per class, the classes counted
// around a circle of 256), the same for each q ratio (around a circle of 16,
// 12 per step beyond the first), 1 if the checksums differ, and the body:
// over the 128 buckets, the difference of the 2-bit codes, a difference of
// 3 costing 6.
func Distance(a, b Digest, lengthTerm bool) int {
	d := headerDistance(a, b, lengthTerm)
	if a.checksum != b.checksum {
		d++
	}
	return d + bodyDistance(&a.code, &b.code)
}

// headerDistance is the length term (if wanted) and the q ratio terms.
func headerDistance(a, b Digest, lengthTerm bool) int {
	d := 0
	if lengthTerm {
		d = lengthCost(a.lvalue - b.lvalue)
	}
	return d + qCost(a.q-b.q) + qCost(a.q>>4-b.q>>4)
}

// lengthCost is the length term for two lvalues whose difference, modulo
// 256, is delta.
func lengthCost(delta byte) int {
	m := int(delta)
	if m > 128 {
		m = 256 - m
	}
	if m <= 1 {
		return m
	}
	return 12 * m
}

// qCost is the term for two q ratios whose difference, modulo 16, is in the
// low nibble of delta.
func qCost(delta byte) int {
	m := int(delta & 15)
	if m > 8 {
		m = 16 - m
	}
	if m <= 1 {
		return m
	}
	return 12 * (m - 1)
}

func bodyDistance(a, b *[32]byte) int {
	d := 0
	for i := range a {
		d += int(byteDiff[a[i]][b[i]])
	}
	return d
}
