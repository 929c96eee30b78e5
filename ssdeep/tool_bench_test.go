package ssdeep

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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

// toolRatioFloor is what TestThroughputVersusTool requires of the same-run
// ratio in CPU time. The target is 1.5 (docs/bench/ssdeep.md records the
// measured figure); the floor sits below it so that a noisy machine does not
// fail CI, while losing the word-parallel piece hashes (about 1.0) does.
const toolRatioFloor = 1.3

// TestThroughputVersusTool is the regression check of hashing speed against
// Debian's ssdeep (libfuzzy 2.14.1): both hash the same three 16 MiB files
// (random, text, binary-like) in the same run, each reading them from disk,
// and the ratio of CPU times must stay above toolRatioFloor. The tool runs
// once over the three files; its start-up, measured on an empty file, is
// subtracted, so start-up is excluded on both sides. Each side's best of
// three rounds counts, and the digests must agree.
func TestThroughputVersusTool(t *testing.T) {
	if testing.Short() {
		t.Skip("timing comparison skipped in -short mode")
	}
	if raceEnabled {
		t.Skip("timing comparison is meaningless under the race detector")
	}
	tool, err := exec.LookPath("ssdeep")
	if err != nil {
		t.Skip("ssdeep not installed (apt-get install ssdeep): comparison skipped")
	}
	dir := t.TempDir()
	const size = 16 << 20
	rnd := newXorshift(7)
	words := strings.Fields("the of and attack actor malware sample loader implant beacon persistence credential")
	inputs := map[string][]byte{"random": benchInput(size)}
	var text, bin []byte
	for len(text) < size {
		text = append(text, words[rnd.next()%uint64(len(words))]...)
		text = append(text, " \n"[rnd.next()%2])
	}
	for len(bin) < size {
		switch rnd.next() % 3 {
		case 0:
			bin = append(bin, make([]byte, rnd.next()%64)...)
		case 1:
			bin = append(bin, byte(rnd.next()%16), 0, 0, 0)
		default:
			bin = append(bin, genRandom(rnd, 32)...)
		}
	}
	inputs["text"], inputs["binary"] = text[:size], bin[:size]
	var names []string
	for name, b := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	runTool := func(args ...string) (cpu, wall time.Duration, out string) {
		cmd := exec.Command(tool, append([]string{"-s", "-b"}, args...)...)
		cmd.Dir = dir
		start := time.Now()
		o, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", tool, args, err)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), time.Since(start), string(o)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	runGo := func() (cpu, wall time.Duration, digests map[string]string) {
		digests = make(map[string]string)
		start, c0 := time.Now(), threadCPU()
		for _, name := range names {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			d, err := SumReader(f, size)
			f.Close()
			if err != nil {
				t.Fatalf("SumReader(%s): %v", name, err)
			}
			digests[name] = d.String()
		}
		return threadCPU() - c0, time.Since(start), digests
	}
	best := func(a, b time.Duration) time.Duration {
		if a == 0 || b < a {
			return b
		}
		return a
	}
	var toolCPU, toolWall, startCPU, startWall, goCPU, goWall time.Duration
	var out string
	var digests map[string]string
	for range 3 {
		c, w, _ := runTool(empty)
		startCPU, startWall = best(startCPU, c), best(startWall, w)
		c, w, out = runTool(names...)
		toolCPU, toolWall = best(toolCPU, c), best(toolWall, w)
		c, w, digests = runGo()
		goCPU, goWall = best(goCPU, c), best(goWall, w)
	}
	for _, name := range names {
		if want := digests[name] + ",\"" + name + "\"\n"; !strings.Contains(out, want) {
			t.Errorf("ssdeep printed %q, SumReader gave %s for %s", out, digests[name], name)
		}
	}
	mb := float64(len(names)*size) / 1e6
	toolCPU -= startCPU
	toolWall -= startWall
	ratio := toolCPU.Seconds() / goCPU.Seconds()
	t.Logf("%s (libfuzzy 2.14.1), %.0f MB (random, text, binary-like), best of 3, start-up (%v CPU) subtracted", tool, mb, startCPU)
	t.Logf("CPU time:  Go %.0f MB/s, ssdeep %.0f MB/s, ratio %.2f", mb/goCPU.Seconds(), mb/toolCPU.Seconds(), ratio)
	t.Logf("wall time: Go %.0f MB/s, ssdeep %.0f MB/s, ratio %.2f", mb/goWall.Seconds(), mb/toolWall.Seconds(), toolWall.Seconds()/goWall.Seconds())
	if ratio < toolRatioFloor {
		t.Errorf("ssdeep hashing is %.2f times Debian ssdeep's throughput, want at least %.2f", ratio, toolRatioFloor)
	}
}
