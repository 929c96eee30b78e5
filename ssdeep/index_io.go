package ssdeep

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Index file format, version 1 (all integers little-endian):
//
//	magic    "SSDEEPIX"
//	version  uint32 = 1
//	count    uint64, number of entries
//	count ×  id uint64, block size exponent uint8 (block size 3·2^e, e ≤ 30),
//	         len(part1) uint8, len(part2) uint8 (each ≤ 64),
//	         both normalised parts as 6-bit values, 4 to 3 bytes, zero padded
//	crc      uint32, CRC-32C of everything before it
//
// The bucket table is not stored: ReadIndex rebuilds it from the entries
// (no input is hashed again), which keeps the file small (about 67 bytes
// a digest) and easy to validate; it takes as long as adding the digests
// (about 10-20 s a million on a busy 2-core machine).
const (
	indexMagic   = "SSDEEPIX"
	indexVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteTo writes the index to w in the versioned format ReadIndex reads.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	crc := crc32.New(castagnoli)
	cw := &countWriter{w: io.MultiWriter(w, crc)}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var hdr [20]byte
	copy(hdr[:], indexMagic)
	binary.LittleEndian.PutUint32(hdr[8:], indexVersion)
	binary.LittleEndian.PutUint64(hdr[12:], uint64(len(x.ids)))
	bw.Write(hdr[:])
	var buf [2 * SpamSumLength]byte
	var rec [11 + 96]byte
	for e := range x.ids {
		exp, p1, p2 := x.entry(uint32(e), &buf)
		binary.LittleEndian.PutUint64(rec[:], x.ids[e])
		rec[8], rec[9], rec[10] = byte(exp), byte(len(p1)), byte(len(p2))
		b := pack(rec[:11], p1, p2)
		if _, err := bw.Write(b); err != nil {
			return cw.n, fmt.Errorf("ssdeep: write index: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("ssdeep: write index: %w", err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	n, err := w.Write(sum[:])
	if err != nil {
		return cw.n + int64(n), fmt.Errorf("ssdeep: write index: %w", err)
	}
	return cw.n + int64(n), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ErrCorrupt is wrapped by ReadIndex errors about the data itself.
var ErrCorrupt = errors.New("corrupt ssdeep index")

// ReadIndex reads an index written by WriteTo. It checks every field and
// the checksum, and allocates only as entries actually arrive, whatever
// count the header declares. It may read (buffer) past the end of the
// index.
func ReadIndex(r io.Reader) (*Index, error) {
	crc := crc32.New(castagnoli)
	br := bufio.NewReaderSize(r, 64<<10)
	tr := io.TeeReader(br, crc)
	var hdr [20]byte
	if _, err := io.ReadFull(tr, hdr[:]); err != nil {
		return nil, fmt.Errorf("ssdeep: read index header: %w", eofIsCorrupt(err))
	}
	if string(hdr[:8]) != indexMagic {
		return nil, fmt.Errorf("ssdeep: read index: %w: bad magic", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != indexVersion {
		return nil, fmt.Errorf("ssdeep: read index: unsupported version %d (want %d)", v, indexVersion)
	}
	count := binary.LittleEndian.Uint64(hdr[12:])
	if count > maxEntries {
		return nil, fmt.Errorf("ssdeep: read index: %w: %d entries declared", ErrCorrupt, count)
	}
	x := NewIndex()
	var rec [11]byte
	var packed [96]byte
	var p [2 * SpamSumLength]byte
	var norm [SpamSumLength]byte
	for e := uint64(0); e < count; e++ {
		if _, err := io.ReadFull(tr, rec[:]); err != nil {
			return nil, fmt.Errorf("ssdeep: read index entry %d: %w", e, eofIsCorrupt(err))
		}
		id := binary.LittleEndian.Uint64(rec[:])
		exp, n1, n2 := int(rec[8]), int(rec[9]), int(rec[10])
		if exp >= numBlockHashes || n1 > SpamSumLength || n2 > SpamSumLength {
			return nil, fmt.Errorf("ssdeep: read index entry %d: %w: bad sizes", e, ErrCorrupt)
		}
		m := packedLen(n1 + n2)
		if _, err := io.ReadFull(tr, packed[:m]); err != nil {
			return nil, fmt.Errorf("ssdeep: read index entry %d: %w", e, eofIsCorrupt(err))
		}
		if !unpack(p[:n1+n2], packed[:m], n1+n2) {
			return nil, fmt.Errorf("ssdeep: read index entry %d: %w: padding", e, ErrCorrupt)
		}
		for _, part := range [2][]byte{p[:n1], p[n1 : n1+n2]} {
			if n, _ := normalize(&norm, string(part)); n != len(part) {
				return nil, fmt.Errorf("ssdeep: read index entry %d: %w: part not normalised", e, ErrCorrupt)
			}
		}
		if err := x.add(exp, p[:n1], p[n1:n1+n2], id); err != nil {
			return nil, fmt.Errorf("ssdeep: read index entry %d: %w", e, err)
		}
	}
	want := crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return nil, fmt.Errorf("ssdeep: read index checksum: %w", eofIsCorrupt(err))
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return nil, fmt.Errorf("ssdeep: read index: %w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	if len(x.ids)-x.frozen >= x.mergeMin {
		x.merge()
	}
	return x, nil
}

func eofIsCorrupt(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated", ErrCorrupt)
	}
	return err
}
