package tlsh

import (
	"math/rand/v2"
	"testing"
)

func benchInput(n int) []byte {
	rnd := rand.New(rand.NewPCG(11, 12))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// BenchmarkWrite measures hashing throughput on random data (MB/s).
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		buf := benchInput(size)
		b.Run(byteSize(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			h := New()
			for b.Loop() {
				h.Reset()
				h.Write(buf)
				if _, err := h.Sum(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func BenchmarkDistance(b *testing.B) {
	x, _ := Sum(benchInput(5000))
	y, _ := Sum(benchInput(7000)[100:])
	for b.Loop() {
		Distance(x, y, true)
	}
}
