package ssdeep

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/internal/corpus"
)

// programs are the compiled Go programs the realistic populations slice,
// built once per test process.
var programs = sync.OnceValues(func() ([][]byte, error) {
	dir, err := os.MkdirTemp("", "culprit-corpus-programs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	return corpus.Programs(dir)
})

// realCopyShare is the share of exact copies in a realistic population.
const realCopyShare = 0.4

// realistic returns the config, plan and digests of a realistic population
// of n files (internal/corpus), cached in the temporary directory (keyed by
// the programs' hash) because hashing takes a while.
func realistic(tb testing.TB, n int, seed uint64, copyShare float64) (corpus.Config, []corpus.Item, []Digest) {
	tb.Helper()
	progs, err := programs()
	if err != nil {
		tb.Skipf("cannot build the corpus programs: %v", err)
	}
	cfg := corpus.Config{N: n, Seed: seed, Programs: progs, CopyShare: copyShare}
	items := corpus.Plan(cfg)
	h := sha256.New()
	for _, p := range progs {
		h.Write(p)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("culprit-ssdeep-real-v3-%d-%d-%g-%s.txt",
		n, seed, copyShare, hex.EncodeToString(h.Sum(nil))[:12]))
	if data, err := os.ReadFile(path); err == nil {
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) == n {
			ds := make([]Digest, n)
			for i, l := range lines {
				if ds[i], err = Parse(l); err != nil {
					tb.Fatal(err)
				}
			}
			return cfg, items, ds
		}
	}
	ds := corpus.Digests(cfg, items, Sum)
	if f, err := os.Create(path + ".tmp"); err == nil {
		w := bufio.NewWriter(f)
		for _, d := range ds {
			fmt.Fprintln(w, d)
		}
		if w.Flush() == nil && f.Close() == nil {
			os.Rename(path+".tmp", path)
		}
	}
	return cfg, items, ds
}

// editedQueries are n edits of new files of a population: each a file of
// the index with a few runs overwritten.
func editedQueries(cfg corpus.Config, items []corpus.Item, n int) []Digest {
	rnd := rand.New(rand.NewPCG(5, 6))
	var out []Digest
	for len(out) < n {
		i := rnd.IntN(len(items))
		if items[i].CopyOf >= 0 || items[i].Kind == corpus.Tiny {
			continue
		}
		b := corpus.Bytes(cfg, items, i, nil)
		corpus.Edit(rnd, b)
		out = append(out, Sum(b))
	}
	return out
}

// latencies runs f once per query and returns the sorted wall times, and
// the sorted CPU times of the process (all its threads: Search may use
// several). The machine is shared, so wall time carries the neighbours'
// load; CPU time does not.
func latencies(queries []Digest, f func(Digest)) (wall, cpu []time.Duration) {
	wall = make([]time.Duration, len(queries))
	cpu = make([]time.Duration, len(queries))
	for i, q := range queries {
		start, c0 := time.Now(), processCPU()
		f(q)
		wall[i], cpu[i] = time.Since(start), processCPU()-c0
	}
	slices.Sort(wall)
	slices.Sort(cpu)
	return wall, cpu
}

// processCPU is the CPU time (user and system) of the whole process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mean(ds []time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s / time.Duration(max(len(ds), 1))
}

func pct(ds []time.Duration, p float64) time.Duration {
	return ds[min(len(ds)-1, int(p*float64(len(ds))))]
}

// BenchmarkIndexRealistic builds an index of -ssdeep.indexsize digests of
// a realistic population (internal/corpus: compiled programs, templated
// documents, boilerplate copies, tiny files, archives; 40% exact copies)
// and times fresh queries (files of another population, not in the
// index) and edited ones (files of the index with a few runs changed)
// with SearchLimit (the 20 nearest and the total count), against the
// brute-force scan. It reports mean and p99 latencies and the speedups.
func BenchmarkIndexRealistic(b *testing.B) {
	n := *benchIndexSize
	start := time.Now()
	cfg, items, pop := realistic(b, n, 2026, realCopyShare)
	b.Logf("population of %d digests in %v", n, time.Since(start))
	start = time.Now()
	x := NewIndex()
	for i, d := range pop {
		if err := x.Add(d, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	x.mu.Lock()
	x.merge()
	x.mu.Unlock()
	b.Logf("index built in %v", time.Since(start))
	_, _, fresh := realistic(b, 400, 77, 0)
	edited := editedQueries(cfg, items, 400)
	for _, set := range []struct {
		name    string
		queries []Digest
	}{{"fresh", fresh}, {"edited", edited}} {
		b.Run(set.name, func(b *testing.B) {
			var search, searchCPU []time.Duration
			results, total := 0, 0
			for b.Loop() {
				search, searchCPU = latencies(set.queries, func(q Digest) {
					m, t := x.SearchLimit(q, 1, 20)
					results += len(m)
					total += t
				})
			}
			// The scan is slow: a tenth of the queries.
			var some []Digest
			for i := 0; i < len(set.queries); i += 10 {
				some = append(some, set.queries[i])
			}
			scan, scanCPU := latencies(some, func(q Digest) { x.scan(q, 1) })
			b.ReportMetric(float64(mean(search).Microseconds()), "mean-µs")
			b.ReportMetric(float64(pct(search, 0.99).Microseconds()), "p99-µs")
			b.ReportMetric(float64(mean(searchCPU).Microseconds()), "mean-cpu-µs")
			b.ReportMetric(float64(pct(searchCPU, 0.99).Microseconds()), "p99-cpu-µs")
			b.ReportMetric(float64(mean(scan).Microseconds()), "scan-µs")
			// A scan costs about the same for every query: its mean over the
			// tenth against Search's over all queries.
			b.ReportMetric(float64(mean(scan))/float64(mean(search)), "speedup")
			b.ReportMetric(float64(mean(scanCPU))/float64(mean(searchCPU)), "speedup-cpu")
			b.ReportMetric(float64(total)/float64(b.N*len(set.queries)), "total/query")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestIndexRealisticMatchesBruteForce checks Search against Compare over
// every stored digest, and SearchLimit against Search, on a realistic
// population of 1,000,000 digests (20,000 under the race detector or
// -short): fresh files, edited files of the index, and stored ones,
// including tiny files ("3::") and boilerplate copied thousands of times.
func TestIndexRealisticMatchesBruteForce(t *testing.T) {
	n, nq := 1_000_000, 20
	if testing.Short() || raceEnabled {
		n, nq = 20_000, 10
	}
	cfg, items, stored := realistic(t, n, 2026, realCopyShare)
	x := NewIndex()
	for i, d := range stored {
		if err := x.Add(d, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	_, _, fresh := realistic(t, nq, 78, 0)
	queries := append(fresh, editedQueries(cfg, items, nq)...)
	rnd := rand.New(rand.NewPCG(8, 9))
	for range nq {
		queries = append(queries, stored[rnd.IntN(len(stored))])
	}
	empty := Sum(nil)
	queries = append(queries, empty, stored[0])
	huge := 0
	for qi, q := range queries {
		want := bruteForce(stored, q, 1)
		got := x.Search(q, 1)
		if diff := gocmp.Diff(want, got, cmpEmpty); diff != "" {
			t.Fatalf("query %d %s: Search differs from brute force (-want +got):\n%s", qi, q, diff)
		}
		if len(want) > n/1000 {
			huge++
		}
		for _, limit := range []int{1, 20} {
			m, total := x.SearchLimit(q, 1, limit)
			if total != len(want) {
				t.Fatalf("query %d: SearchLimit(%d) total = %d, want %d", qi, limit, total, len(want))
			}
			if diff := gocmp.Diff(want[:min(limit, len(want))], m, cmpEmpty); diff != "" {
				t.Fatalf("query %d: SearchLimit(%d) is not the first %d of Search (-want +got):\n%s", qi, limit, limit, diff)
			}
		}
	}
	// The test must be able to fail where it matters: some answer sets
	// must be huge (copies of the empty file's "3::" at least).
	if huge == 0 {
		t.Errorf("no query has more than %d matches: the population lacks its boilerplate", n/1000)
	}
}

// TestIndexParallelScoring checks a query with more candidates than
// parallelMin, so that its scoring is split between goroutines, against
// the brute force, from several goroutines at once (for the race detector).
func TestIndexParallelScoring(t *testing.T) {
	rnd := rand.New(rand.NewPCG(10, 11))
	rand64 := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = b64[rnd.IntN(64)]
		}
		return string(b)
	}
	const shared = "HeaderOfATemplateSharedByAll"
	var stored []Digest
	x := NewIndex()
	for i := range 2 * parallelMin {
		d := Digest{BlockSize: 96, Part1: shared + rand64(20), Part2: rand64(16)}
		stored = append(stored, d)
		if err := x.Add(d, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	q := Digest{BlockSize: 96, Part1: shared + rand64(20), Part2: rand64(16)}
	want := bruteForce(stored, q, 1)
	if len(want) < parallelMin {
		t.Fatalf("only %d matches: the query does not reach the parallel path", len(want))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if diff := gocmp.Diff(want, x.Search(q, 1)); diff != "" {
				t.Errorf("Search differs from brute force (-want +got):\n%s", diff)
			}
			m, total := x.SearchLimit(q, 1, 10)
			if total != len(want) || !slices.Equal(m, want[:10]) {
				t.Errorf("SearchLimit(10) = %d matches of %d, want the first 10 of %d", len(m), total, len(want))
			}
		})
	}
	wg.Wait()
}
