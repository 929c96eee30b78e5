package tlsh

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The index file format, version 1, all integers little-endian:
//
//	magic   [8]byte "TLSHIDX\x00"
//	version uint32  1
//	count   uint64  number of entries, at most MaxIndexLen
//	entries count × 39 bytes: checksum, lvalue, q ratios (q1 low nibble),
//	        the 32 code bytes (buckets 4i..4i+3 in byte i, bucket 4i+j in
//	        bits 2j..2j+1), then the ID as uint32
//	crc     uint32  CRC-32C of everything before it
//
// The postings are not stored: ReadIndex rebuilds them in linear time, which
// is quicker than reading them would be and means a damaged file cannot
// yield wrong search results.
const (
	indexMagic   = "TLSHIDX\x00"
	indexVersion = 1
	entrySize    = 35 + 4
)

// MaxIndexLen is the largest number of entries an Index holds.
const MaxIndexLen = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteTo writes the index in its binary format (see ReadIndex) to w. It
// implements io.WriterTo.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	cw := &countingWriter{w: w}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(cw, crc), 1<<16)
	var hdr [20]byte
	copy(hdr[:], indexMagic)
	binary.LittleEndian.PutUint32(hdr[8:], indexVersion)
	binary.LittleEndian.PutUint64(hdr[12:], uint64(len(x.digests)))
	bw.Write(hdr[:])
	var e [entrySize]byte
	for i, d := range x.digests {
		e[0], e[1], e[2] = d.checksum, d.lvalue, d.q
		copy(e[3:35], d.code[:])
		binary.LittleEndian.PutUint32(e[35:], x.ids[i])
		bw.Write(e[:]) // a write error is kept by bw and returned by Flush
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("tlsh: write index: %w", err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	if _, err := cw.Write(sum[:]); err != nil {
		return cw.n, fmt.Errorf("tlsh: write index: %w", err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadIndex reads an index written by WriteTo. It reads exactly the bytes
// WriteTo wrote, and fails on a damaged, truncated or unknown-version
// index, or one of more than MaxIndexLen entries.
func ReadIndex(r io.Reader) (*Index, error) {
	crc := crc32.New(castagnoli)
	tr := io.TeeReader(r, crc)
	var hdr [20]byte
	if _, err := io.ReadFull(tr, hdr[:]); err != nil {
		return nil, fmt.Errorf("tlsh: read index header: %w", noEOF(err))
	}
	if string(hdr[:8]) != indexMagic {
		return nil, errors.New("tlsh: read index: not a TLSH index")
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != indexVersion {
		return nil, fmt.Errorf("tlsh: read index: version %d, want %d", v, indexVersion)
	}
	n := binary.LittleEndian.Uint64(hdr[12:])
	if n > MaxIndexLen {
		return nil, fmt.Errorf("tlsh: read index: %d entries, at most %d allowed", n, MaxIndexLen)
	}
	x := NewIndex()
	// Grow with the data actually read, not with the declared count.
	x.digests = make([]Digest, 0, min(n, 1<<16))
	x.ids = make([]uint32, 0, min(n, 1<<16))
	buf := make([]byte, entrySize*4096)
	for left := n; left > 0; {
		k := min(left, 4096)
		b := buf[:k*entrySize]
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, fmt.Errorf("tlsh: read index entries: %w", noEOF(err))
		}
		for len(b) > 0 {
			var d Digest
			d.checksum, d.lvalue, d.q = b[0], b[1], b[2]
			copy(d.code[:], b[3:35])
			x.digests = append(x.digests, d)
			x.ids = append(x.ids, binary.LittleEndian.Uint32(b[35:]))
			b = b[entrySize:]
		}
		left -= k
	}
	want := crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return nil, fmt.Errorf("tlsh: read index checksum: %w", noEOF(err))
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return nil, fmt.Errorf("tlsh: read index: checksum %08x, want %08x: damaged index", got, want)
	}
	x.build()
	return x, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
