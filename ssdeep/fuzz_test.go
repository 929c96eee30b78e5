package ssdeep

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"3::", "3:aaX8v:aV", `3:aaX8v:aV,"Hello World example"`,
		"24576:cSahQzDAOUSGqluqLgJLyT4KgO+bBxB8tGRGdv:c275gJm8zFxfS",
		"0:a:b", "6442450944:a:b", "3:a", "3:a:b:c", "03:a:b", "-3:a:b", "3:é:b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		if !d.Valid() {
			t.Fatalf("Parse(%q) = %q, not Valid", s, d)
		}
		// String is the canonical form: it parses back to the same digest.
		d2, err := Parse(d.String())
		if err != nil || d2 != d {
			t.Fatalf("Parse(%q) = %q, but Parse(String()) = %q, %v", s, d, d2, err)
		}
		if got := Compare(d, d); got != 100 {
			t.Fatalf("Compare(%q, itself) = %d, want 100", d, got)
		}
		n := d.Normalize()
		if n.Normalize() != n || Compare(n, d) != 100 {
			t.Fatalf("Normalize(%q) = %q: not idempotent or not equal under Compare", d, n)
		}
	})
}

func FuzzCompare(f *testing.F) {
	f.Add(uint32(3), "aaX8v", "aV", uint32(3), "aaX8n", "aF")
	f.Add(uint32(1536), "ABYIlLFrQyLi+rffMxqNisaQx4V5roEIfGJZN8qbV76EX1UP09weXA3oJrusBTOZ", "MayfkMY+BES09JXAnyrZalI+YQ",
		uint32(3072), "MayfkMY+BES09JXAnyrZalI+Yw", "B53yfkMY")
	f.Add(uint32(6), "AAAAAAAAAAAAAAAAAAAAAAAAAA", "ab", uint32(12), "abcabcabc", "AAAAAAA")
	f.Add(uint32(0xffffffff), "abcdefgh", "abcdefgh", uint32(0x7fffffff), "abcdefgh", "abcdefgh")
	f.Fuzz(func(t *testing.T, bs1 uint32, a1, a2 string, bs2 uint32, b1, b2 string) {
		a := Digest{BlockSize: bs1, Part1: a1, Part2: a2}
		b := Digest{BlockSize: bs2, Part1: b1, Part2: b2}
		s := Compare(a, b)
		if s < 0 || s > 100 {
			t.Fatalf("Compare(%q, %q) = %d, out of 0..100", a, b, s)
		}
		if r := Compare(b, a); r != s {
			t.Fatalf("Compare(%q, %q) = %d but reversed %d", a, b, s, r)
		}
		if Compare(a.Normalize(), b) != s {
			t.Fatalf("normalising %q changed its score against %q", a, b)
		}
		// The index finds the same score.
		if a.Valid() {
			x := NewIndex()
			if err := x.Add(a, 1); err != nil {
				t.Fatal(err)
			}
			got := x.Search(b, 1)
			if s == 0 && len(got) != 0 || s > 0 && (len(got) != 1 || got[0].Score != s) {
				t.Fatalf("index search %q in {%q} = %v, want score %d", b, a, got, s)
			}
		}
	})
}

func FuzzHasher(f *testing.F) {
	f.Add([]byte("Hello, World!\n"), uint8(3))
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6}, 500), uint8(64))
	f.Add(genRandom(newXorshift(1), 5000), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want := Sum(data)
		h := New()
		step := int(chunk) + 1
		for rest := data; len(rest) > 0; {
			n := min(step, len(rest))
			if m, err := h.Write(rest[:n]); m != n || err != nil {
				t.Fatalf("Write(%d bytes) = %d, %v", n, m, err)
			}
			rest = rest[n:]
		}
		got := h.Sum()
		if got != want {
			t.Fatalf("streamed in %d-byte writes = %s, Sum = %s", step, got, want)
		}
		if !got.Valid() || len(got.Part2) > SpamSumLength/2 {
			t.Fatalf("digest %q not valid or part 2 not truncated", got)
		}
		long := h.SumUntruncated()
		if long.BlockSize != got.BlockSize || long.Part1 != got.Part1 || !long.Valid() {
			t.Fatalf("untruncated %q disagrees with %q", long, got)
		}
		if len(long.Part2) <= SpamSumLength/2 && long.Part2 != got.Part2 {
			t.Fatalf("untruncated part 2 %q short but differs from %q", long.Part2, got.Part2)
		}
		if d, err := Parse(got.String()); err != nil || d != got {
			t.Fatalf("Parse(%s) = %q, %v", got, d, err)
		}
	})
}

func FuzzReadIndex(f *testing.F) {
	x := NewIndex()
	for i, d := range testPopulation(30) {
		if err := x.Add(d, uint64(i)); err != nil {
			f.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:40])
	f.Add([]byte("SSDEEPIX\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ReadIndex(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if _, err := x.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, out.Bytes()) {
			t.Fatalf("WriteTo(ReadIndex(data)) is not a prefix of data")
		}
	})
}
