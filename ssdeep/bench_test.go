package ssdeep

import (
	"testing"
)

// benchInput returns n pseudo-random bytes (the oracle's generator).
func benchInput(n int) []byte { return genRandom(newXorshift(42), n) }

func BenchmarkHasher(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20, 64 << 20} {
		data := benchInput(size)
		b.Run(sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			h := New()
			for b.Loop() {
				h.Reset()
				h.Write(data)
				_ = h.Sum()
			}
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// BenchmarkSum hashes with the size known in advance, as the ssdeep tool
// hashes files.
func BenchmarkSum(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20, 64 << 20} {
		data := benchInput(size)
		b.Run(sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				_ = Sum(data)
			}
		})
	}
}
