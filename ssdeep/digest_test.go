package ssdeep

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Digest
		wantErr  bool
	}{
		{"empty parts", "3::", Digest{BlockSize: 3}, false},
		{"plain", "3:aaX8v:aV", Digest{3, "aaX8v", "aV"}, false},
		{"with name", `3:aaX8v:aV,"Hello World example"`, Digest{3, "aaX8v", "aV"}, false},
		{"largest block size", "3221225472:a:b", Digest{3221225472, "a", "b"}, false},
		{"64 characters", "6:" + strings.Repeat("A", 64) + ":" + strings.Repeat("/", 64), Digest{6, strings.Repeat("A", 64), strings.Repeat("/", 64)}, false},
		{"empty", "", Digest{}, true},
		{"no parts", "3", Digest{}, true},
		{"one part", "3:abc", Digest{}, true},
		{"three parts", "3:a:b:c", Digest{}, true},
		{"zero block size", "0:a:b", Digest{}, true},
		{"block size not 3·2^n", "9:a:b", Digest{}, true},
		{"block size too large", "6442450944:a:b", Digest{}, true},
		{"leading zero", "03:a:b", Digest{}, true},
		{"sign", "+3:a:b", Digest{}, true},
		{"bad character", "3:a-b:c", Digest{}, true},
		{"part too long", "3:" + strings.Repeat("A", 65) + ":", Digest{}, true},
		{"space", "3:ab :c", Digest{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Parse(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) error %v does not wrap ErrSyntax", tc.in, err)
			}
			if diff := gocmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestCompareRules(t *testing.T) {
	const long1 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
	const long2 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdeX"
	for _, tc := range []struct {
		name string
		a, b Digest
		want int
	}{
		{"identical short", Digest{3, "8", "8"}, Digest{3, "8", "8"}, 100},
		{"identical after normalising", Digest{3, "aaaaab", "c"}, Digest{3, "aaab", "c"}, 100},
		{"short parts differ", Digest{3, "abc", "d"}, Digest{3, "abd", "d"}, 0},
		{"incompatible block sizes", Digest{96, long1, long1}, Digest{384, long1, long1}, 0},
		{"block size doubled compares part 2 with part 1", Digest{96, "x", long1}, Digest{192, long1, "y"}, 100},
		{"block size halved", Digest{192, long1, "y"}, Digest{96, "x", long2}, 97},
		{"no common 7 characters", Digest{96, "ABCDEFabcdefABCDEFabcdef", ""}, Digest{96, "ABCDEFXabcdefXABCDEFXabcdef", ""}, 0},
		{"capped at small block size", Digest{3, long1, ""}, Digest{3, long2, ""}, 32},
		{"cap lifted at 48", Digest{48, long1, ""}, Digest{48, long2, ""}, 97},
		{"runs do not count", Digest{96, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""}, Digest{96, "AAAAAAAAAAAA", "b"}, 0},
		{"malformed part", Digest{3, strings.Repeat("ab", 40), ""}, Digest{3, strings.Repeat("ab", 40), ""}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Compare(tc.a, tc.b); got != tc.want {
				t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := Compare(tc.b, tc.a); got != tc.want {
				t.Errorf("Compare(%s, %s) = %d, want %d", tc.b, tc.a, got, tc.want)
			}
		})
	}
}

func TestSumReader(t *testing.T) {
	data := genText(newXorshift(5), 100000)
	want := Sum(data)
	got, err := SumReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || got != want {
		t.Fatalf("SumReader = %s, %v; want %s", got, err, want)
	}
	for _, tc := range []struct {
		name string
		size int64
	}{
		{"shorter than declared", int64(len(data)) + 1},
		{"longer than declared", int64(len(data)) - 1},
		{"negative", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SumReader(bytes.NewReader(data), tc.size); err == nil {
				t.Errorf("SumReader(size %d) = nil error, want one", tc.size)
			}
		})
	}
	if _, err := SumReader(iotestErrReader{}, 10); err == nil {
		t.Error("SumReader(failing reader) = nil error, want one")
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestHasherReset(t *testing.T) {
	a, b := genRandom(newXorshift(1), 30000), genText(newXorshift(2), 20000)
	h := New()
	h.Write(a)
	if got, want := h.Sum(), Sum(a); got != want {
		t.Fatalf("Sum = %s, want %s", got, want)
	}
	h.Reset()
	h.Write(b)
	if got, want := h.Sum(), Sum(b); got != want {
		t.Errorf("after Reset, Sum = %s, want %s", got, want)
	}
}

func TestHasherAllocations(t *testing.T) {
	data := genRandom(newXorshift(3), 1<<16)
	h := New()
	if n := testing.AllocsPerRun(10, func() { h.Write(data) }); n != 0 {
		t.Errorf("Write allocates %v times, want 0", n)
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want Digest }{
		{Digest{3, "aaaaab", "bbbbbbbbc"}, Digest{3, "aaab", "bbbc"}},
		{Digest{3, "abc", ""}, Digest{3, "abc", ""}},
		{Digest{3, strings.Repeat("ab", 40) + "ccccc", "x"}, Digest{3, strings.Repeat("ab", 40) + "ccc", "x"}},
	} {
		if got := tc.in.Normalize(); got != tc.want {
			t.Errorf("Normalize(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestWriteTooLarge(t *testing.T) {
	h := New()
	h.total = MaxInputSize - 1
	if n, err := h.Write([]byte{1}); n != 1 || err != nil {
		t.Fatalf("Write up to the limit = %d, %v; want 1, nil", n, err)
	}
	if n, err := h.Write([]byte{1}); n != 0 || !errors.Is(err, ErrTooLarge) {
		t.Errorf("Write past the limit = %d, %v; want 0, ErrTooLarge", n, err)
	}
}
