package ssdeep

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkVsTool hashes one 64 MiB file with Debian's ssdeep and with
// SumReader, alternating, and reports both throughputs and their ratio
// (go/c > 1 means faster than the C tool). The tool's start-up time,
// measured on an empty file, is subtracted.
func BenchmarkVsTool(b *testing.B) {
	tool, err := exec.LookPath("ssdeep")
	if err != nil {
		b.Skip("ssdeep not installed (apt-get install ssdeep)")
	}
	dir := b.TempDir()
	const size = 64 << 20
	big := filepath.Join(dir, "big.bin")
	empty := filepath.Join(dir, "empty.bin")
	if err := os.WriteFile(big, benchInput(size), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	run := func(path string) (time.Duration, string) {
		start := time.Now()
		out, err := exec.Command(tool, "-s", "-b", path).Output()
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start), string(out)
	}
	var cTime, goTime time.Duration
	for b.Loop() {
		startup, _ := run(empty)
		t, out := run(big)
		cTime += max(t-startup, time.Millisecond)

		start := time.Now()
		f, err := os.Open(big)
		if err != nil {
			b.Fatal(err)
		}
		d, err := SumReader(f, size)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		goTime += time.Since(start)
		if want := d.String() + ",\"big.bin\"\n"; out[len(out)-len(want):] != want {
			b.Fatalf("ssdeep printed %q, SumReader gave %s", out, d)
		}
	}
	n := float64(b.N)
	b.ReportMetric(size/1e6/(cTime.Seconds()/n), "c-MB/s")
	b.ReportMetric(size/1e6/(goTime.Seconds()/n), "go-MB/s")
	b.ReportMetric(cTime.Seconds()/goTime.Seconds(), "go/c")
}
