package ssdeep

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time (user + system) of the calling thread.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD on Linux
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVsTool hashes one 64 MiB file with Debian's ssdeep and with
// SumReader, alternating, and reports both throughputs and their ratio
// (go/c > 1 means faster than the C tool). The tool's start-up time,
// measured on an empty file, is subtracted. Because the machine may be
// shared, it also reports the same figures in CPU time (the tool's rusage,
// the hashing thread's rusage): go/c-cpu is the load-independent ratio.
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
	run := func(path string) (wall, cpu time.Duration, out string) {
		start := time.Now()
		cmd := exec.Command(tool, "-s", "-b", path)
		o, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), string(o)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cTime, goTime, cCPU, goCPU time.Duration
	for b.Loop() {
		startup, startupCPU, _ := run(empty)
		t, cpu, out := run(big)
		cTime += max(t-startup, time.Millisecond)
		cCPU += max(cpu-startupCPU, time.Millisecond)

		start, startCPU := time.Now(), threadCPU()
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
		goCPU += threadCPU() - startCPU
		if want := d.String() + ",\"big.bin\"\n"; out[len(out)-len(want):] != want {
			b.Fatalf("ssdeep printed %q, SumReader gave %s", out, d)
		}
	}
	n := float64(b.N)
	b.ReportMetric(size/1e6/(cTime.Seconds()/n), "c-MB/s")
	b.ReportMetric(size/1e6/(goTime.Seconds()/n), "go-MB/s")
	b.ReportMetric(cTime.Seconds()/goTime.Seconds(), "go/c")
	b.ReportMetric(size/1e6/(cCPU.Seconds()/n), "c-cpu-MB/s")
	b.ReportMetric(size/1e6/(goCPU.Seconds()/n), "go-cpu-MB/s")
	b.ReportMetric(cCPU.Seconds()/goCPU.Seconds(), "go/c-cpu")
}
