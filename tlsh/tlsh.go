// Package tlsh computes TLSH digests (Trend Micro Locality Sensitive Hash)
// and finds stored digests near a query.
//
// TLSH summarises an input by counting, over a sliding window of 5 bytes,
// Pearson hashes of 6 byte triplets into 256 buckets. The digest keeps 128 of
// them, each coded in 2 bits by the quartile its count falls in, behind a
// 3-byte header: a checksum, the log of the input length (lvalue) and the
// ratios of the first and second quartile to the third. Similar inputs get
// digests at a small Distance; 30 or less is usually taken as "same family".
// The algorithm is described in J. Oliver, C. Cheng, Y. Chen, "TLSH - A
// Locality Sensitive Hash", 4th Cybercrime and Trustworthy Computing
// Workshop, 2013.
//
// This package is byte-identical to the reference implementation
// (github.com/trendmicro/tlsh, version 4) in its default build: 128 buckets,
// a 1-byte checksum and version-4 strings that start with "T1". It is tested
// against the reference's own regression vectors and against Debian's
// tlsh_unittest.
//
// Hash with New and io.Writer, or with Sum for a byte slice. Index stores
// digests and answers radius queries exactly, much faster than a scan.
package tlsh

import (
	"errors"
	"fmt"
	"slices"
)

// Minimum input lengths, in bytes, as in the reference.
const (
	MinLen             = 50  // default mode
	MinLenConservative = 256 // conservative mode
)

// Errors that Sum wraps when an input has no digest. Test for them with
// errors.Is.
var (
	// ErrTooShort: fewer than MinLen (or, in conservative mode,
	// MinLenConservative) bytes were written.
	ErrTooShort = errors.New("tlsh: input too short")
	// ErrTooLong: more than MaxLen bytes were written.
	ErrTooLong = errors.New("tlsh: input too long")
	// ErrNoVariety: the input lacks the variety TLSH needs; half or more of
	// the buckets are empty (for example a run of one repeated byte).
	ErrNoVariety = errors.New("tlsh: input lacks variety")
)

// Option changes how a Hasher computes its digest.
type Option int

// Conservative requires at least MinLenConservative bytes of input, as the
// reference's conservative option does. The digest itself is the same.
const Conservative Option = 1

// Hasher computes a TLSH digest of everything written to it. Write never
// fails and never allocates. A Hasher is not safe for concurrent use; separate
// Hashers are independent. The zero value is ready to use, in default mode.
type Hasher struct {
	buckets [256]uint32
	n       uint64 // bytes written
	// w1..w4 are the previous 4 bytes, w1 the most recent.
	w1, w2, w3, w4 byte
	checksum       byte
	conservative   bool
}

// New returns a Hasher with the given options.
func New(opts ...Option) *Hasher {
	h := new(Hasher)
	for _, o := range opts {
		if o == Conservative {
			h.conservative = true
		}
	}
	return h
}

// Sum returns the digest of b; see (*Hasher).Sum for the errors.
func Sum(b []byte, opts ...Option) (Digest, error) {
	h := New(opts...)
	h.Write(b)
	return h.Sum()
}

// Reset forgets all input, keeping the options.
func (h *Hasher) Reset() {
	*h = Hasher{conservative: h.conservative}
}

// Len returns the number of bytes written since creation or Reset.
func (h *Hasher) Len() uint64 { return h.n }

// Write adds p to the input. It always returns len(p), nil.
func (h *Hasher) Write(p []byte) (int, error) {
	n := len(p)
	// The first 4 bytes of the stream only fill the window.
	for h.n < 4 && len(p) > 0 {
		h.w4, h.w3, h.w2, h.w1 = h.w3, h.w2, h.w1, p[0]
		h.n++
		p = p[1:]
	}
	if len(p) > 0 {
		h.update(p)
		h.n += uint64(len(p))
	}
	return n, nil
}

// salted[k][x] is the first Pearson step of triplet k for a newest byte x:
// pearson[s_k ^ x], where s_0 = pearson[0] = 1 salts the checksum and
// s_1..s_6 = pearson[2], pearson[3], pearson[5], pearson[7], pearson[11],
// pearson[13] salt the six bucket triplets, as in the reference.
var salted = func() (f [7][256]byte) {
	for k, s := range [7]byte{1, 49, 12, 178, 166, 84, 230} {
		for x := range 256 {
			f[k][x] = pearson[s^byte(x)]
		}
	}
	return f
}()

// update hashes p, with a full window of previous bytes in w1..w4. Where the
// CPU has AVX-512 VBMI, blocks of 64 bytes have their 21 table lookups per
// byte done 64 at a time (blockVBMI, about 3 GB/s); what is left per byte is
// the serial checksum step and the six bucket increments, about twice as fast
// as the scalar loop. Digests are the same either way (TestVectorMatchesScalar).
func (h *Hasher) update(p []byte) {
	if !haveVBMI || len(p) < 4+64 {
		h.updateScalar(p)
		return
	}
	h.updateBlocks(p)
}

// updateBlocks is update with the vector kernel, for len(p) >= 68.
func (h *Hasher) updateBlocks(p []byte) {
	// The kernel reads the 4 bytes before each block from p itself, so the
	// first 4 bytes, whose window is still in w1..w4, are scalar.
	h.updateScalar(p[:4])
	var out [7 * 64]byte
	b := &h.buckets
	t := &pearson
	c := h.checksum
	i := 4
	for ; i+64 <= len(p); i += 64 {
		blockVBMI(&out, &p[i], &saltVec)
		// One position at a time, so that the serial checksum chain
		// overlaps with the increments instead of running before them
		// (that alone is 1.4 times faster).
		for j := range 64 {
			c = t[out[j]^c]
			b[out[64+j]]++
			b[out[128+j]]++
			b[out[192+j]]++
			b[out[256+j]]++
			b[out[320+j]]++
			b[out[384+j]]++
		}
	}
	h.checksum = c
	h.w1, h.w2, h.w3, h.w4 = p[i-1], p[i-2], p[i-3], p[i-4]
	h.updateScalar(p[i:])
}

// updateScalar is update one byte at a time. Each byte x makes the six
// triplets (x, a, b) for pairs a, b of the previous 4 bytes that TLSH uses,
// each salted and Pearson-hashed into a bucket, and the checksum chains x,
// the byte before it and the previous checksum. All indexes are bytes into
// 256-entry arrays, so there are no bounds checks; the window lives in
// locals.
func (h *Hasher) updateScalar(p []byte) {
	b := &h.buckets
	t := &pearson
	f := &salted
	c := h.checksum
	w1, w2, w3, w4 := h.w1, h.w2, h.w3, h.w4
	for _, x := range p {
		c = t[t[f[0][x]^w1]^c]
		b[t[t[f[1][x]^w1]^w2]]++
		b[t[t[f[2][x]^w1]^w3]]++
		b[t[t[f[3][x]^w2]^w3]]++
		b[t[t[f[4][x]^w2]^w4]]++
		b[t[t[f[5][x]^w1]^w4]]++
		b[t[t[f[6][x]^w3]^w4]]++
		w4, w3, w2, w1 = w3, w2, w1, x
	}
	h.checksum = c
	h.w1, h.w2, h.w3, h.w4 = w1, w2, w3, w4
}

// Sum returns the digest of the input written so far, without changing the
// Hasher. It fails, wrapping ErrTooShort, ErrTooLong or ErrNoVariety, where
// the reference gives no digest.
func (h *Hasher) Sum() (Digest, error) {
	min := uint64(MinLen)
	if h.conservative {
		min = MinLenConservative
	}
	switch {
	case h.n < min:
		return Digest{}, fmt.Errorf("%w: %d bytes, at least %d needed", ErrTooShort, h.n, min)
	case h.n > MaxLen:
		return Digest{}, fmt.Errorf("%w: %d bytes, at most %d allowed", ErrTooLong, h.n, uint64(MaxLen))
	}
	var sorted [128]uint32
	copy(sorted[:], h.buckets[:128])
	nonzero := 0
	for _, v := range sorted {
		if v > 0 {
			nonzero++
		}
	}
	if nonzero <= 64 {
		return Digest{}, fmt.Errorf("%w: %d of 128 buckets used, more than 64 needed", ErrNoVariety, nonzero)
	}
	slices.Sort(sorted[:])
	q1, q2, q3 := sorted[31], sorted[63], sorted[95]
	// With more than 64 non-empty buckets, q3 (the 96th smallest) is > 0.
	var d Digest
	for i := range d.code {
		var v byte
		for j := range 4 {
			k := h.buckets[4*i+j]
			switch {
			case k > q3:
				v |= 3 << (2 * j)
			case k > q2:
				v |= 2 << (2 * j)
			case k > q1:
				v |= 1 << (2 * j)
			}
		}
		d.code[i] = v
	}
	d.checksum = h.checksum
	d.lvalue = lvalue(h.n)
	d.q = qratio(q1, q3) | qratio(q2, q3)<<4
	return d, nil
}

// qratio is (q*100/q3) mod 16 computed as the reference does: the product in
// 32-bit unsigned arithmetic, the division in single precision, truncated.
func qratio(q, q3 uint32) byte {
	return byte(uint32(float32(q*100)/float32(q3)) % 16)
}
