package tlsh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/internal/frame"
)

// The index file format, version 1, all integers little-endian (the header
// and the checksum are internal/frame's):
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

// WriteTo writes the index in its binary format (see ReadIndex) to w. It
// implements io.WriterTo.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	fw := frame.NewWriter(w, indexMagic, indexVersion, uint64(len(x.digests)))
	var e [entrySize]byte
	for i, d := range x.digests {
		e[0], e[1], e[2] = d.checksum, d.lvalue, d.q
		copy(e[3:35], d.code[:])
		binary.LittleEndian.PutUint32(e[35:], x.ids[i])
		fw.Write(e[:]) // a write error is kept and returned by Close
	}
	n, err := fw.Close()
	if err != nil {
		return n, fmt.Errorf("tlsh: write index: %w", err)
	}
	return n, nil
}

// ReadIndex reads an index written by WriteTo. It reads exactly the bytes
// WriteTo wrote, and fails on a damaged, truncated or unknown-version
// index, or one of more than MaxIndexLen entries.
func ReadIndex(r io.Reader) (*Index, error) {
	fr, v, n, err := frame.NewReader(r, indexMagic)
	switch {
	case errors.Is(err, frame.ErrMagic):
		return nil, errors.New("tlsh: read index: not a TLSH index")
	case err != nil:
		return nil, fmt.Errorf("tlsh: read index: %w", err)
	case v != indexVersion:
		return nil, fmt.Errorf("tlsh: read index: version %d, want %d", v, indexVersion)
	case n > MaxIndexLen:
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
		if err := fr.ReadFull(b); err != nil {
			return nil, fmt.Errorf("tlsh: read index entries: %w", err)
		}
		for len(b) > 0 {
			var d Digest
			d.checksum, d.lvalue, d.q = b[0], b[1], b[2]
			copy(d.code[:], b[3:35])
			x.add(d, binary.LittleEndian.Uint32(b[35:]))
			b = b[entrySize:]
		}
		left -= k
	}
	if err := fr.Close(); err != nil {
		return nil, fmt.Errorf("tlsh: read index: %w: damaged index", err)
	}
	x.build()
	return x, nil
}
