// Package frame is the envelope shared by the persisted indexes of tlsh and
// ssdeep, and the byte counting of similarity's: a 20-byte header (an 8-byte
// magic, a uint32 version and a uint64 entry count, little-endian), the
// body, and a CRC-32C (Castagnoli) of everything before it, little-endian.
//
// It imports nothing of culprit, so the leaf packages may use it. The
// layout is the version-1 format both indexes have always written; their
// golden tests (testdata/index-v1.golden) pin it byte for byte.
package frame

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// HeaderSize is the size of the header in bytes.
const HeaderSize = 8 + 4 + 8

// Errors a Reader returns; callers wrap them in their own terms. A
// truncated frame gives io.ErrUnexpectedEOF.
var (
	ErrMagic    = errors.New("wrong magic")
	ErrChecksum = errors.New("checksum mismatch")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CountingWriter counts the bytes written through it to W and keeps the
// first error: once Err is set, Write does nothing and returns it, so a
// long sequence of writes needs one check at the end.
type CountingWriter struct {
	W   io.Writer
	N   int64
	Err error
}

// Write writes p to W unless an earlier write failed.
func (c *CountingWriter) Write(p []byte) (int, error) {
	if c.Err != nil {
		return 0, c.Err
	}
	n, err := c.W.Write(p)
	c.N += int64(n)
	c.Err = err
	return n, err
}

// Writer writes one frame. Body writes are buffered; a write error is kept
// and returned by Close.
type Writer struct {
	cw  CountingWriter
	crc hash.Hash32
	bw  *bufio.Writer
}

// NewWriter starts a frame on w with the given header. magic must be 8
// bytes.
func NewWriter(w io.Writer, magic string, version uint32, count uint64) *Writer {
	if len(magic) != 8 {
		panic(fmt.Sprintf("frame: magic %q is not 8 bytes", magic))
	}
	fw := &Writer{cw: CountingWriter{W: w}, crc: crc32.New(castagnoli)}
	fw.bw = bufio.NewWriterSize(io.MultiWriter(&fw.cw, fw.crc), 64<<10)
	var hdr [HeaderSize]byte
	copy(hdr[:], magic)
	binary.LittleEndian.PutUint32(hdr[8:], version)
	binary.LittleEndian.PutUint64(hdr[12:], count)
	fw.bw.Write(hdr[:]) // an error is kept by bw and returned by Close
	return fw
}

// Write adds p to the body. It never fails itself: errors of the
// underlying writer surface at Close.
func (fw *Writer) Write(p []byte) (int, error) {
	return fw.bw.Write(p)
}

// Close flushes the body, writes the checksum and returns the number of
// bytes written to the underlying writer in all, with the first error.
func (fw *Writer) Close() (int64, error) {
	if err := fw.bw.Flush(); err != nil {
		return fw.cw.N, err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], fw.crc.Sum32())
	fw.cw.Write(sum[:])
	return fw.cw.N, fw.cw.Err
}

// Reader reads one frame. It reads exactly the frame's bytes from the
// underlying reader, no more (wrap it in a bufio.Reader for speed where
// reading ahead is acceptable).
type Reader struct {
	r   io.Reader
	tee io.Reader
	crc hash.Hash32
}

// NewReader reads the header from r and checks its magic. It returns the
// version and count for the caller to check, and ErrMagic or
// io.ErrUnexpectedEOF (wrapped) on a bad or short header.
func NewReader(r io.Reader, magic string) (fr *Reader, version uint32, count uint64, err error) {
	fr = &Reader{r: r, crc: crc32.New(castagnoli)}
	fr.tee = io.TeeReader(r, fr.crc)
	var hdr [HeaderSize]byte
	if err := fr.ReadFull(hdr[:]); err != nil {
		return nil, 0, 0, fmt.Errorf("header: %w", err)
	}
	if string(hdr[:8]) != magic {
		return nil, 0, 0, ErrMagic
	}
	return fr, binary.LittleEndian.Uint32(hdr[8:]), binary.LittleEndian.Uint64(hdr[12:]), nil
}

// ReadFull fills p from the body; a body that ends first gives
// io.ErrUnexpectedEOF.
func (fr *Reader) ReadFull(p []byte) error {
	if _, err := io.ReadFull(fr.tee, p); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// Close reads the checksum that ends the frame and compares it with the
// bytes read so far: ErrChecksum (wrapped, with both values) if they
// differ, io.ErrUnexpectedEOF if it is missing.
func (fr *Reader) Close() error {
	want := fr.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(fr.r, sum[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("checksum: %w", io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("checksum: %w", err)
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return fmt.Errorf("%w: %08x, want %08x", ErrChecksum, got, want)
	}
	return nil
}
