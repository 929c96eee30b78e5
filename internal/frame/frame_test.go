package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"
)

const testMagic = "TESTMAGC"

func frameOf(t testing.TB, body []byte, version uint32, count uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw := NewWriter(&buf, testMagic, version, count)
	fw.Write(body)
	n, err := fw.Close()
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("Close = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	return buf.Bytes()
}

// TestLayout checks the bytes against the documented layout, built by hand.
func TestLayout(t *testing.T) {
	body := []byte("some body bytes")
	got := frameOf(t, body, 7, 3)
	var want []byte
	want = append(want, testMagic...)
	want = binary.LittleEndian.AppendUint32(want, 7)
	want = binary.LittleEndian.AppendUint64(want, 3)
	want = append(want, body...)
	want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(got, want) {
		t.Errorf("frame = %x, want %x", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 20000) // more than the buffer
	b := frameOf(t, body, 1, 42)
	// Trailing bytes after the frame must not be read.
	r := bytes.NewReader(append(b, "trailer"...))
	fr, v, n, err := NewReader(r, testMagic)
	if err != nil || v != 1 || n != 42 {
		t.Fatalf("NewReader = %d, %d, %v; want 1, 42, nil", v, n, err)
	}
	got := make([]byte, len(body))
	if err := fr.ReadFull(got); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("ReadFull = %v, body equal %v", err, bytes.Equal(got, body))
	}
	if err := fr.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "trailer" {
		t.Errorf("after the frame the reader holds %q, want %q", rest, "trailer")
	}
}

func TestDamage(t *testing.T) {
	body := []byte("a body of some length")
	good := frameOf(t, body, 1, 1)
	read := func(b []byte) error {
		fr, _, _, err := NewReader(bytes.NewReader(b), testMagic)
		if err != nil {
			return err
		}
		if err := fr.ReadFull(make([]byte, len(body))); err != nil {
			return err
		}
		return fr.Close()
	}
	for n := range len(good) {
		if err := read(good[:n]); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("first %d of %d bytes: err = %v, want io.ErrUnexpectedEOF", n, len(good), err)
		}
	}
	for i := range good {
		b := bytes.Clone(good)
		b[i] ^= 0x10
		err := read(b)
		switch {
		case i < 8:
			if !errors.Is(err, ErrMagic) {
				t.Errorf("byte %d flipped: err = %v, want ErrMagic", i, err)
			}
		default:
			if !errors.Is(err, ErrChecksum) {
				t.Errorf("byte %d flipped: err = %v, want ErrChecksum", i, err)
			}
		}
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.after {
		n := f.after
		f.after = 0
		return n, errors.New("disk full")
	}
	f.after -= len(p)
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	for _, after := range []int{0, 5, HeaderSize + 3, HeaderSize + 10} {
		fw := NewWriter(&failWriter{after: after}, testMagic, 1, 1)
		fw.Write([]byte("0123456789"))
		n, err := fw.Close()
		if err == nil || n != int64(after) {
			t.Errorf("writer failing after %d bytes: Close = %d, %v; want %d and an error", after, n, err, after)
		}
	}
}

func TestCountingWriter(t *testing.T) {
	cw := &CountingWriter{W: &failWriter{after: 7}}
	cw.Write([]byte("12345"))
	cw.Write([]byte("12345"))
	if n, err := cw.Write([]byte("1")); n != 0 || err == nil || cw.N != 7 {
		t.Errorf("after a failed write: Write = %d, %v, N = %d; want 0, the error, 7", n, err, cw.N)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(frameOf(f, []byte("body"), 1, 4))
	f.Add([]byte(testMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, _, n, err := NewReader(bytes.NewReader(b), testMagic)
		if err != nil {
			return
		}
		body := make([]byte, min(n, 1<<16))
		if fr.ReadFull(body) != nil {
			return
		}
		if fr.Close() == nil {
			// A frame that checks out re-encodes to its own prefix.
			if again := frameOf(t, body, binary.LittleEndian.Uint32(b[8:]), n); !bytes.HasPrefix(b, again) {
				t.Fatalf("frame %x re-encodes as %x", b, again)
			}
		}
	})
}
