package tlsh

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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

// BenchmarkVersusReference times Debian's tlsh_unittest on a 64 MiB file
// against Sum on the same bytes in the same run, and reports both
// throughputs and their ratio (go/c > 1 means Go is faster). The file is
// large so that process start-up is negligible.
func BenchmarkVersusReference(b *testing.B) {
	tool := referenceTool(b)
	const size = 64 << 20
	data := benchInput(size)
	file := filepath.Join(b.TempDir(), "input")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	var cTime, goTime time.Duration
	for b.Loop() {
		start := time.Now()
		out, err := exec.Command(tool, "-f", file).Output()
		if err != nil {
			b.Fatalf("%s: %v", tool, err)
		}
		cTime += time.Since(start)
		start = time.Now()
		d, err := Sum(data)
		goTime += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if want := d.OldString(); string(out[:len(want)]) != want {
			b.Fatalf("tlsh_unittest gives %s, Sum gives %s", out, want)
		}
	}
	mb := float64(size) / 1e6 * float64(b.N)
	b.ReportMetric(mb/goTime.Seconds(), "go-MB/s")
	b.ReportMetric(mb/cTime.Seconds(), "c-MB/s")
	b.ReportMetric(cTime.Seconds()/goTime.Seconds(), "go/c")
	b.ReportMetric(0, "ns/op")
}
