package binio

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestBytes(t *testing.T) {
	r := Reader{R: bytes.NewReader([]byte("0123456789")), Size: 10}
	tests := []struct {
		name string
		off  int64
		n    int
		want string
		err  bool
	}{
		{"inside", 2, 3, "234", false},
		{"to end", 7, 3, "789", false},
		{"empty at end", 10, 0, "", false},
		{"past end", 8, 3, "", true},
		{"negative offset", -1, 2, "", true},
		{"huge", 0, MaxRead + 1, "", true},
		{"offset beyond", 1 << 40, 1, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Bytes(tt.off, tt.n)
			if (err != nil) != tt.err || string(got) != tt.want {
				t.Errorf("Bytes(%d, %d) = %q, %v; want %q, error %v", tt.off, tt.n, got, err, tt.want, tt.err)
			}
			if err != nil && !errors.Is(err, ErrOutOfBounds) {
				t.Errorf("error %v does not wrap ErrOutOfBounds", err)
			}
		})
	}
}

func TestCString(t *testing.T) {
	long := strings.Repeat("a", 100)
	data := []byte("abc\x00" + long + "\x00tail")
	r := Reader{R: bytes.NewReader(data), Size: int64(len(data))}
	tests := []struct {
		name string
		off  int64
		max  int
		want string
		ok   bool
	}{
		{"short", 0, 512, "abc", true},
		{"longer than first window", 4, 512, long, true},
		{"cut by max", 4, 10, long[:10], false},
		{"unterminated at eof", int64(len(data) - 4), 512, "tail", false},
		{"outside", 1 << 20, 512, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := r.CString(tt.off, tt.max)
			if got != tt.want || ok != tt.ok {
				t.Errorf("CString(%d, %d) = %q, %v; want %q, %v", tt.off, tt.max, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEntropy(t *testing.T) {
	uniform := make([]byte, 256*4)
	for i := range uniform {
		uniform[i] = byte(i)
	}
	r := Reader{R: bytes.NewReader(uniform), Size: int64(len(uniform))}
	for _, tt := range []struct {
		name   string
		off, n int64
		want   float64
	}{
		{"all byte values", 0, 1024, 8},
		{"clipped to file", 0, 1 << 40, 8},
		{"two values", 0, 2, 1},
		{"one value", 5, 1, 0},
		{"outside", 2000, 10, 0},
	} {
		if got := r.Entropy(tt.off, tt.n); got != tt.want {
			t.Errorf("%s: Entropy(%d, %d) = %v, want %v", tt.name, tt.off, tt.n, got, tt.want)
		}
	}
}
