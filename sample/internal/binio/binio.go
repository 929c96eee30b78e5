// Package binio reads fixed-layout binary structures from untrusted files
// with bounds checks on every access. Reads never extend past the declared
// file size and never allocate more than MaxRead bytes at once, whatever the
// file's headers claim.
package binio

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxRead is the largest single read a Reader performs (4 MiB).
const MaxRead = 4 << 20

// ErrOutOfBounds reports a read that would extend past the end of the file
// or beyond MaxRead.
var ErrOutOfBounds = errors.New("out of bounds")

// Reader reads bounded windows of an io.ReaderAt of known size.
type Reader struct {
	R    io.ReaderAt
	Size int64
}

// Bytes returns the n bytes at off. It fails with ErrOutOfBounds when
// off < 0, n < 0, n > MaxRead or off+n > Size.
func (r Reader) Bytes(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || n > MaxRead || off > r.Size || int64(n) > r.Size-off {
		return nil, fmt.Errorf("%d bytes at offset 0x%x (file size 0x%x): %w", n, off, r.Size, ErrOutOfBounds)
	}
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	if _, err := r.R.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF)) {
		return nil, fmt.Errorf("reading %d bytes at offset 0x%x: %w", n, off, err)
	}
	return b, nil
}

// Upto returns at most n bytes at off, fewer when the file ends first, and
// nil when off is outside the file. n is clamped to MaxRead.
func (r Reader) Upto(off int64, n int) []byte {
	if off < 0 || off >= r.Size || n <= 0 {
		return nil
	}
	if n > MaxRead {
		n = MaxRead
	}
	if int64(n) > r.Size-off {
		n = int(r.Size - off)
	}
	b, err := r.Bytes(off, n)
	if err != nil {
		return nil
	}
	return b
}

// CString returns the NUL-terminated string at off, reading at most max
// bytes. A string that reaches max or the end of the file without a NUL is
// returned as read, with ok false.
func (r Reader) CString(off int64, max int) (s string, ok bool) {
	// Most names are short: try a small window before the full one.
	if max > 64 {
		b := r.Upto(off, 64)
		for i, c := range b {
			if c == 0 {
				return string(b[:i]), true
			}
		}
		if len(b) < 64 {
			return string(b), false // the file ends within the window
		}
	}
	b := r.Upto(off, max)
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), true
		}
	}
	return string(b), false
}

// Entropy returns the Shannon entropy, in bits per byte (0 to 8), of the n
// bytes at off, clipped to the file. It streams through a fixed buffer.
func (r Reader) Entropy(off, n int64) float64 {
	if off < 0 || off >= r.Size || n <= 0 {
		return 0
	}
	if n > r.Size-off {
		n = r.Size - off
	}
	var counts [256]int64
	buf := make([]byte, min(n, 64<<10))
	var total int64
	for total < n {
		k := int64(len(buf))
		if k > n-total {
			k = n - total
		}
		m, err := r.R.ReadAt(buf[:k], off+total)
		for _, c := range buf[:m] {
			counts[c]++
		}
		total += int64(m)
		if err != nil || m == 0 {
			break
		}
	}
	return EntropyOf(&counts, total)
}

// EntropyOf returns the Shannon entropy in bits per byte of a byte
// histogram with the given total.
func EntropyOf(counts *[256]int64, total int64) float64 {
	if total == 0 {
		return 0
	}
	var h float64
	t := float64(total)
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / t
		h -= p * math.Log2(p)
	}
	// Round to 4 decimals so reports are stable across platforms.
	return math.Round(h*1e4) / 1e4
}
