// Package ssdeep computes and compares context-triggered piecewise hashes
// (CTPH, "ssdeep" digests), identical to libfuzzy 2.14.1, and searches large
// collections of them exactly.
//
// The algorithm is the one published by Jesse Kornblum ("Identifying almost
// identical files using context triggered piecewise hashing", DFRWS 2006),
// itself built on Andrew Tridgell's spamsum. A rolling hash over a 7-byte
// window decides where the input is cut into pieces; each piece contributes
// one base64 character (a 6-bit FNV-style hash of the piece) to the digest.
// A digest holds two such strings, for a block size b and for 2b, so that
// digests of inputs of different sizes can still be compared.
//
// Hasher streams: it runs every candidate block size at once and chooses at
// the end, dropping block sizes that can no longer be chosen, exactly like
// libfuzzy's fuzzy_state. It never buffers its input and never allocates
// after New.
//
// Compare scores two digests from 0 (unrelated) to 100 (near identical)
// following fuzzy_compare: runs of more than three identical characters are
// cut to three, block sizes must be equal or differ by a factor of two, the
// two strings compared must share a 7-character substring, and the score is
// derived from their edit distance (insertions and deletions cost 1, a
// substitution 2), capped for small block sizes.
//
// Index finds every stored digest scoring at least a threshold against a
// query, exactly the set a full scan with Compare finds, without scanning.
package ssdeep

import (
	"errors"
	"fmt"
	"io"
)

const (
	rollingWindow  = 7
	minBlockSize   = 3
	hashInit       = 0x27
	numBlockHashes = 31
	// SpamSumLength is the maximum length of each part of a digest
	// (part 2 of a truncated digest holds at most half of it).
	SpamSumLength = 64
	// MaxInputSize is the largest input libfuzzy accepts: block size
	// 3·2^30 times 64 characters (192 GiB).
	MaxInputSize = uint64(minBlockSize<<(numBlockHashes-1)) * SpamSumLength
)

// ErrTooLarge is returned by (*Hasher).Write once the input would exceed
// MaxInputSize.
var ErrTooLarge = errors.New("ssdeep: input larger than 192 GiB")

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// sumTable[h<<6|c] is the piece hash after feeding byte c (low 6 bits) to
// state h: the 32-bit FNV-1 step (h*0x01000193 ^ c) reduced modulo 64, which
// only depends on the low 6 bits of h and c.
var sumTable = func() (t [64 * 64]byte) {
	for h := range 64 {
		for c := range 64 {
			t[h<<6|c] = byte((uint32(h)*0x01000193 ^ uint32(c)) & 63)
		}
	}
	return t
}()

// blockHash is the digest of one candidate block size, 3·2^index.
type blockHash struct {
	digest     [SpamSumLength]byte
	dindex     int  // characters emitted; digest[dindex] may hold a pending last one
	halfdigest byte // last character as seen while dindex < 32 (truncated part 2)
}

// Hasher computes an ssdeep digest of the bytes written to it. The zero
// value is not ready: use New. A Hasher must not be used by several
// goroutines at once; separate Hashers are independent.
type Hasher struct {
	total        uint64
	fixed        uint64 // announced total size, if sized
	reduceBorder uint64
	bhstart      int // smallest block size still a candidate
	bhend        int // one past the largest block size started
	bhendLimit   int
	halfEnd      int // block sizes below halfEnd have 32+ characters and keep halfh apart
	rollmask     uint32
	sized        bool
	needLast     bool
	overflow     bool
	lasth        byte

	// rolling hash over the last 7 bytes (window holds them in its low 56 bits)
	h1, h2, h3 uint32
	window     uint64

	// Piece hashes per block size, 8 per word (block size i in byte i%8 of
	// word i/8), so that one step updates 8 of them at once: hs is reset at
	// every cut; halfs is reset only while the digest is shorter than 32
	// characters, so it equals hs until then and is kept apart only below
	// halfEnd. Bytes outside the live ranges hold garbage.
	hs, halfs [5]uint64 // one spare word: run always loads two
	bh        [numBlockHashes]blockHash
}

// New returns a Hasher ready for input.
func New() *Hasher {
	h := new(Hasher)
	h.Reset()
	return h
}

// Reset discards all input, returning h to the state New returns.
func (h *Hasher) Reset() {
	h.total, h.fixed = 0, 0
	h.reduceBorder = minBlockSize * SpamSumLength
	h.bhstart, h.bhend, h.bhendLimit, h.halfEnd = 0, 1, numBlockHashes-1, 0
	h.rollmask = 0
	h.sized, h.needLast, h.overflow, h.lasth = false, false, false, 0
	h.h1, h.h2, h.h3, h.window = 0, 0, 0, 0
	h.hs, h.halfs = [5]uint64{hashInit}, [5]uint64{hashInit}
	h.bh[0].dindex, h.bh[0].digest[0], h.bh[0].halfdigest = 0, 0, 0
}

// setSize announces the total input size, which lets the hasher skip block
// sizes that cannot be chosen (libfuzzy's fuzzy_set_total_input_length).
// The caller must then write exactly n bytes.
func (h *Hasher) setSize(n uint64) {
	bi := 0
	for uint64(minBlockSize<<uint(bi))*SpamSumLength < n {
		bi++
		if bi == numBlockHashes-2 {
			break
		}
	}
	h.sized, h.fixed, h.bhendLimit = true, n, bi+1
}

// Sum returns the ssdeep digest of data, as the ssdeep tool prints it.
// Data larger than MaxInputSize is hashed up to that size.
func Sum(data []byte) Digest {
	var h Hasher
	h.Reset()
	if uint64(len(data)) > MaxInputSize {
		data = data[:MaxInputSize]
	}
	h.setSize(uint64(len(data)))
	h.Write(data) //nolint:errcheck // cannot fail: size checked above
	return h.Sum()
}

// SumReader returns the ssdeep digest of the size bytes read from r, as
// the ssdeep tool prints it. Knowing the size in advance lets it skip the
// block sizes that cannot be chosen, as the ssdeep tool does for files. It
// fails if r holds fewer or more than size bytes.
func SumReader(r io.Reader, size int64) (Digest, error) {
	if size < 0 || uint64(size) > MaxInputSize {
		return Digest{}, fmt.Errorf("ssdeep: input size %d out of range", size)
	}
	var h Hasher
	h.Reset()
	h.setSize(uint64(size))
	n, err := io.CopyBuffer(&h, io.LimitReader(r, size), make([]byte, 64<<10))
	if err != nil {
		return Digest{}, fmt.Errorf("ssdeep: read input: %w", err)
	}
	if n != size {
		return Digest{}, fmt.Errorf("ssdeep: input is %d bytes, want %d: %w", n, size, io.ErrUnexpectedEOF)
	}
	var one [1]byte
	if m, _ := r.Read(one[:]); m != 0 {
		return Digest{}, fmt.Errorf("ssdeep: input longer than %d bytes", size)
	}
	return h.Sum(), nil
}

// Write adds p to the input. It returns ErrTooLarge, having consumed
// nothing, if the total input would exceed MaxInputSize; otherwise it
// consumes all of p and returns a nil error.
func (h *Hasher) Write(p []byte) (int, error) {
	if h.overflow || uint64(len(p)) > MaxInputSize-h.total {
		h.overflow = true
		return 0, ErrTooLarge
	}
	h.total += uint64(len(p))
	for rest := p; len(rest) > 0; {
		rest = rest[h.run(rest):]
	}
	return len(p), nil
}

// run hashes p up to and including its first cut point and returns the
// number of bytes it consumed. The piece hashes of the live block sizes
// (bhstart up to bhend, and up to halfEnd for halfs) usually span at most 8
// block sizes: they are then read as one word each for hs and halfs,
// starting at bhstart whatever its alignment, so one step updates all of
// them, and written back at the end. Otherwise runSlow does the same with
// the words in memory.
func (h *Hasher) run(p []byte) int {
	if h.needLast || h.bhend-h.bhstart > 8 || h.halfEnd-h.bhstart > 8 {
		return h.runSlow(p)
	}
	lo, sh := h.bhstart>>3, 8*uint(h.bhstart&7)
	w := h.hs[lo]>>sh | h.hs[lo+1]<<(64-sh)
	half := h.halfEnd > h.bhstart
	f := h.halfs[lo]>>sh | h.halfs[lo+1]<<(64-sh)
	h1, h2, h3, win := h.h1, h.h2, h.h3, h.window
	rollmask := h.rollmask
	n := len(p)
	for i, c := range p {
		h2 = h2 - h1 + rollingWindow*uint32(c)
		h1 = h1 + uint32(c) - uint32(win>>48)
		win = (win<<8 | uint64(c)) & (1<<56 - 1)
		h3 = h3<<5 ^ uint32(c)

		cb := uint64(c&63) * lsb
		w = sumStep(w, cb)
		if half {
			f = sumStep(f, cb)
		}

		horg := h1 + h2 + h3 + 1
		if horg == 0 { // 0xffffffff is not -1 modulo 3
			continue
		}
		d := horg / minBlockSize
		if d&rollmask != 0 || d*minBlockSize != horg {
			continue
		}
		n = i + 1
		h.h1, h.h2, h.h3, h.window = h1, h2, h3, win
		putWord(&h.hs, lo, sh, w)
		if half {
			putWord(&h.halfs, lo, sh, f)
		}
		h.cut(d >> uint(h.bhstart))
		return n
	}
	h.h1, h.h2, h.h3, h.window = h1, h2, h3, win
	putWord(&h.hs, lo, sh, w)
	if half {
		putWord(&h.halfs, lo, sh, f)
	}
	return n
}

// putWord stores v as the 8 bytes of ws starting at byte lo*8 + sh/8,
// the inverse of the unaligned read in run.
func putWord(ws *[5]uint64, lo int, sh uint, v uint64) {
	ws[lo] = ws[lo]&(1<<sh-1) | v<<sh
	ws[lo+1] = ws[lo+1]&^(1<<sh-1) | v>>(64-sh)
}

// runSlow is run for any number of live words and the last block size.
func (h *Hasher) runSlow(p []byte) int {
	h1, h2, h3, win := h.h1, h.h2, h.h3, h.window
	hs := h.hs[h.bhstart>>3 : (h.bhend-1)>>3+1]
	halfs := h.halfs[:0]
	if h.halfEnd > h.bhstart {
		halfs = h.halfs[h.bhstart>>3 : (h.halfEnd-1)>>3+1]
	}
	for i, c := range p {
		h2 = h2 - h1 + rollingWindow*uint32(c)
		h1 = h1 + uint32(c) - uint32(win>>48)
		win = (win<<8 | uint64(c)) & (1<<56 - 1)
		h3 = h3<<5 ^ uint32(c)

		cb := uint64(c&63) * lsb
		for i, v := range hs {
			hs[i] = sumStep(v, cb)
		}
		for i, v := range halfs {
			halfs[i] = sumStep(v, cb)
		}
		if h.needLast {
			h.lasth = sumTable[int(h.lasth)<<6|int(c&63)]
		}

		horg := h1 + h2 + h3 + 1
		if horg == 0 {
			continue
		}
		d := horg / minBlockSize
		if d&h.rollmask != 0 || d*minBlockSize != horg {
			continue
		}
		h.h1, h.h2, h.h3, h.window = h1, h2, h3, win
		h.cut(d >> uint(h.bhstart))
		return i + 1
	}
	h.h1, h.h2, h.h3, h.window = h1, h2, h3, win
	return len(p)
}

const lsb = 0x0101010101010101

// sumStep is the piece hash step for 8 states at once: each byte v of x
// becomes (v·0x01000193 ^ c) mod 64, cb being c mod 64 in every byte.
// v·0x01000193 ≡ 16v + 2v + v (mod 64); the three terms are taken modulo
// 64 first so that no byte carries into the next.
func sumStep(x, cb uint64) uint64 {
	m := (x&(3*lsb))<<4 + (x&(31*lsb))<<1 + x
	return (m ^ cb) & (63 * lsb)
}

func getByte(w *[5]uint64, i int) byte { return byte(w[i>>3] >> (8 * uint(i&7))) }

func setByte(w *[5]uint64, i int, v byte) {
	sh := 8 * uint(i&7)
	w[i>>3] = w[i>>3]&^(0xff<<sh) | uint64(v)<<sh
}

// hsAt returns block i's piece hash.
func (h *Hasher) hsAt(i int) byte { return getByte(&h.hs, i) }

// halfh returns block i's piece hash for the truncated part 2.
func (h *Hasher) halfh(i int) byte {
	if i < h.halfEnd {
		return getByte(&h.halfs, i)
	}
	return getByte(&h.hs, i)
}

// cut handles a trigger point: the rolling hash + 1 is divisible by 3·2^i
// for i = bhstart, bhstart+1, ... while the low bit of d (the quotient
// shifted by bhstart) stays 0.
func (h *Hasher) cut(d uint32) {
	for i := h.bhstart; i < h.bhend; i++ {
		b := &h.bh[i]
		if b.dindex == 0 {
			h.fork() // first cut at this block size: start the next one
		}
		b.digest[b.dindex] = b64[h.hsAt(i)]
		b.halfdigest = b64[h.halfh(i)]
		if b.dindex < SpamSumLength-1 {
			b.dindex++
			b.digest[b.dindex] = 0
			switch {
			case b.dindex < SpamSumLength/2:
				b.halfdigest = 0
			case b.dindex == SpamSumLength/2:
				// From now on halfh goes on past cuts: keep it apart.
				// Block sizes below i already have 32 characters or more.
				setByte(&h.halfs, i, h.hsAt(i))
				h.halfEnd = i + 1
			}
			setByte(&h.hs, i, hashInit)
		} else {
			h.reduce()
		}
		if d&1 != 0 {
			break
		}
		d >>= 1
	}
}

// fork starts the next larger block size as a copy of the largest one,
// which has no characters yet (so its halfh equals its h).
func (h *Hasher) fork() {
	last := h.bhend - 1
	if h.bhend <= h.bhendLimit {
		setByte(&h.hs, h.bhend, h.hsAt(last))
		h.bh[h.bhend].dindex, h.bh[h.bhend].digest[0], h.bh[h.bhend].halfdigest = 0, 0, 0
		h.bhend++
	} else if h.bhend == numBlockHashes && !h.needLast {
		h.needLast = true
		h.lasth = h.hsAt(last)
	}
}

// reduce drops the smallest block size once it can no longer be chosen:
// the input is already too long for it and the next one has enough
// characters.
func (h *Hasher) reduce() {
	size := h.total
	if h.sized {
		size = h.fixed
	}
	if h.bhend-h.bhstart < 2 || h.reduceBorder >= size ||
		h.bh[h.bhstart+1].dindex < SpamSumLength/2 {
		return
	}
	h.bhstart++
	h.reduceBorder *= 2
	h.rollmask = h.rollmask*2 + 1
}

// Sum returns the digest of the input so far, as the ssdeep tool prints
// it: part 2 is truncated to 32 characters. It does not change h.
func (h *Hasher) Sum() Digest { return h.digest(false) }

// SumUntruncated returns the digest of the input so far with part 2 up
// to 64 characters long (libfuzzy's FUZZY_FLAG_NOTRUNC). It does not
// change h.
func (h *Hasher) SumUntruncated() Digest { return h.digest(true) }

func (h *Hasher) digest(notrunc bool) Digest {
	bi := h.bhstart
	roll := h.h1 + h.h2 + h.h3
	for uint64(minBlockSize<<uint(bi))*SpamSumLength < h.total {
		bi++
	}
	if bi >= h.bhend {
		bi = h.bhend - 1
	}
	for bi > h.bhstart && h.bh[bi].dindex < SpamSumLength/2 {
		bi--
	}
	var buf [2*SpamSumLength + 2]byte
	b := &h.bh[bi]
	p1 := append(buf[:0], b.digest[:b.dindex]...)
	if roll != 0 {
		p1 = append(p1, b64[h.hsAt(bi)])
	} else if b.digest[b.dindex] != 0 {
		p1 = append(p1, b.digest[b.dindex])
	}
	part1 := string(p1)

	var p2 []byte
	if bi < h.bhend-1 {
		b := &h.bh[bi+1]
		n := b.dindex
		if !notrunc && n > SpamSumLength/2-1 {
			n = SpamSumLength/2 - 1
		}
		p2 = append(buf[:0], b.digest[:n]...)
		if roll != 0 {
			if notrunc {
				p2 = append(p2, b64[h.hsAt(bi+1)])
			} else {
				p2 = append(p2, b64[h.halfh(bi+1)])
			}
		} else {
			c := b.halfdigest
			if notrunc {
				c = b.digest[b.dindex]
			}
			if c != 0 {
				p2 = append(p2, c)
			}
		}
	} else if roll != 0 {
		if bi == 0 {
			p2 = append(buf[:0], b64[h.hsAt(bi)])
		} else {
			p2 = append(buf[:0], b64[h.lasth])
		}
	}
	return Digest{BlockSize: minBlockSize << uint(bi), Part1: part1, Part2: string(p2)}
}
