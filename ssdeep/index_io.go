package ssdeep

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/internal/frame"
)

// Index file format, version 1 (all integers little-endian; the header and
// the checksum are internal/frame's):
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

// WriteTo writes the index to w in the versioned format ReadIndex reads.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	fw := frame.NewWriter(w, indexMagic, indexVersion, uint64(len(x.ids)))
	var buf [2 * SpamSumLength]byte
	var rec [11 + 96]byte
	for e := range x.ids {
		exp, p1, p2 := x.entry(uint32(e), &buf)
		binary.LittleEndian.PutUint64(rec[:], x.ids[e])
		rec[8], rec[9], rec[10] = byte(exp), byte(len(p1)), byte(len(p2))
		fw.Write(pack(rec[:11], p1, p2)) // a write error is kept and returned by Close
	}
	n, err := fw.Close()
	if err != nil {
		return n, fmt.Errorf("ssdeep: write index: %w", err)
	}
	return n, nil
}

// ErrCorrupt is wrapped by ReadIndex errors about the data itself.
var ErrCorrupt = errors.New("corrupt ssdeep index")

// ReadIndex reads an index written by WriteTo. It checks every field and
// the checksum, and allocates only as entries actually arrive, whatever
// count the header declares. It may read (buffer) past the end of the
// index.
func ReadIndex(r io.Reader) (*Index, error) {
	fr, v, count, err := frame.NewReader(bufio.NewReaderSize(r, 64<<10), indexMagic)
	switch {
	case errors.Is(err, frame.ErrMagic):
		return nil, fmt.Errorf("ssdeep: read index: %w: bad magic", ErrCorrupt)
	case err != nil:
		return nil, fmt.Errorf("ssdeep: read index: %w", eofIsCorrupt(err))
	case v != indexVersion:
		return nil, fmt.Errorf("ssdeep: read index: unsupported version %d (want %d)", v, indexVersion)
	case count > maxEntries:
		return nil, fmt.Errorf("ssdeep: read index: %w: %d entries declared", ErrCorrupt, count)
	}
	x := NewIndex()
	var rec [11]byte
	var packed [96]byte
	var p [2 * SpamSumLength]byte
	var norm [SpamSumLength]byte
	for e := uint64(0); e < count; e++ {
		if err := fr.ReadFull(rec[:]); err != nil {
			return nil, fmt.Errorf("ssdeep: read index entry %d: %w", e, eofIsCorrupt(err))
		}
		id := binary.LittleEndian.Uint64(rec[:])
		exp, n1, n2 := int(rec[8]), int(rec[9]), int(rec[10])
		if exp >= numBlockHashes || n1 > SpamSumLength || n2 > SpamSumLength {
			return nil, fmt.Errorf("ssdeep: read index entry %d: %w: bad sizes", e, ErrCorrupt)
		}
		m := packedLen(n1 + n2)
		if err := fr.ReadFull(packed[:m]); err != nil {
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
	if err := fr.Close(); err != nil {
		if errors.Is(err, frame.ErrChecksum) {
			return nil, fmt.Errorf("ssdeep: read index: %w: %v", ErrCorrupt, err)
		}
		return nil, fmt.Errorf("ssdeep: read index: %w", eofIsCorrupt(err))
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
