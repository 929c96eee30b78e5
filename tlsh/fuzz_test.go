package tlsh

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("T11454F120A8989D5CF8CAC182F93A3E8D475C317365C5B4911C3C4A9CA5438F5E8FB6EB")
	f.Add("1454F120A8989D5CF8CAC182F93A3E8D475C317365C5B4911C3C4A9CA5438F5E8FB6EB")
	f.Add("TNULL")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		// A parsed digest prints back as its input, up to case and prefix.
		want := strings.ToUpper(s)
		if len(s) == OldStringLen {
			want = "T1" + want
		}
		if got := d.String(); got != want {
			t.Fatalf("Parse(%q).String() = %q, want %q", s, got, want)
		}
		if got, err := Parse(d.OldString()); err != nil || got != d {
			t.Fatalf("Parse(OldString) = %v, %v; want %v", got, err, d)
		}
		if Distance(d, d, true) != 0 {
			t.Fatalf("Distance(d, d) != 0 for %q", s)
		}
		back, err := FromParts(d.Parts())
		if err != nil || back != d {
			t.Fatalf("FromParts(Parts) = %v, %v; want %v", back, err, d)
		}
	})
}

func FuzzHasher(f *testing.F) {
	f.Add([]byte("This is a test for Lili Diao. This is a string. Hello Hello Hello"), uint8(7))
	f.Add(bytes.Repeat([]byte{0}, 300), uint8(1))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		d, err := Sum(b)
		if err != nil {
			if !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrNoVariety) {
				t.Fatalf("Sum(%d bytes) error %v is neither ErrTooShort nor ErrNoVariety", len(b), err)
			}
			return
		}
		if len(b) < MinLen {
			t.Fatalf("Sum(%d bytes) succeeded, want ErrTooShort", len(b))
		}
		p, err := Parse(d.String())
		if err != nil || p != d {
			t.Fatalf("Parse(%s) = %v, %v; want the digest back", d, p, err)
		}
		// Chunked writes give the same digest.
		h := New()
		step := int(chunk)%16 + 1
		for i := 0; i < len(b); i += step {
			h.Write(b[i:min(len(b), i+step)])
		}
		if got, err := h.Sum(); err != nil || got != d {
			t.Fatalf("chunked Sum = %v, %v; want %v", got, err, d)
		}
	})
}

func FuzzReadIndex(f *testing.F) {
	x := NewIndex()
	for i, d := range population(3, 40) {
		mustAdd(f, x, d, uint32(i))
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(indexMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		y, err := ReadIndex(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever was accepted writes back identically and answers queries.
		var out bytes.Buffer
		n, err := y.WriteTo(&out)
		if err != nil || n != int64(out.Len()) {
			t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, out.Len())
		}
		if !bytes.Equal(out.Bytes(), b[:out.Len()]) {
			t.Fatal("WriteTo(ReadIndex(b)) is not a prefix of b")
		}
		if y.Len() > 0 {
			y.Search(y.digests[0], DefaultMaxDist, true)
		}
	})
}
