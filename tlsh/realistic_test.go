package tlsh

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
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

	"github.com/culprit-cti/culprit/internal/corpus"
)

var realIndexSize = flag.Int("tlsh.indexsize", 1_000_000, "digests in the realistic index benchmark")

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
// the programs' hash) because hashing takes a while. Files without a
// digest (shorter than 50 bytes, or too uniform) are left out, as they
// would be of an index: the result may be shorter than n, and pos maps
// each digest to its item.
func realistic(tb testing.TB, n int, seed uint64, copyShare float64) (cfg corpus.Config, items []corpus.Item, ds []Digest, pos []int) {
	tb.Helper()
	progs, err := programs()
	if err != nil {
		tb.Skipf("cannot build the corpus programs: %v", err)
	}
	cfg = corpus.Config{N: n, Seed: seed, Programs: progs, CopyShare: copyShare}
	items = corpus.Plan(cfg)
	h := sha256.New()
	for _, p := range progs {
		h.Write(p)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("culprit-tlsh-real-v1-%d-%d-%g-%s.txt",
		n, seed, copyShare, hex.EncodeToString(h.Sum(nil))[:12]))
	if data, err := os.ReadFile(path); err == nil {
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			var i int
			var s string
			if _, err := fmt.Sscan(l, &i, &s); err != nil {
				tb.Fatal(err)
			}
			d, err := Parse(s)
			if err != nil {
				tb.Fatal(err)
			}
			ds, pos = append(ds, d), append(pos, i)
		}
		return cfg, items, ds, pos
	}
	type result struct {
		d  Digest
		ok bool
	}
	all := corpus.Digests(cfg, items, func(b []byte) result {
		d, err := Sum(b)
		return result{d, err == nil}
	})
	for i, r := range all {
		if r.ok {
			ds, pos = append(ds, r.d), append(pos, i)
		}
	}
	if f, err := os.Create(path + ".tmp"); err == nil {
		w := bufio.NewWriter(f)
		for j, d := range ds {
			fmt.Fprintln(w, pos[j], d)
		}
		if w.Flush() == nil && f.Close() == nil {
			os.Rename(path+".tmp", path)
		}
	}
	return cfg, items, ds, pos
}

// editedQueries are n edits of new files of a population that have a
// digest: each a file of the index with a few runs overwritten.
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
		if d, err := Sum(b); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// processCPU is the CPU time (user and system) of the whole process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latencies runs f once per query and returns the sorted wall and process
// CPU times (the machine is shared: CPU time does not carry the
// neighbours' load).
func latencies(queries []Digest, f func(Digest)) (wall, cpu []time.Duration) {
	for _, q := range queries {
		start, c0 := time.Now(), processCPU()
		f(q)
		wall, cpu = append(wall, time.Since(start)), append(cpu, processCPU()-c0)
	}
	slices.Sort(wall)
	slices.Sort(cpu)
	return wall, cpu
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

// BenchmarkIndexRealistic builds an index of the digests of -tlsh.indexsize
// files of a realistic population (internal/corpus: compiled programs,
// templated documents, boilerplate copies, tiny files, archives; 40% exact
// copies) and times fresh queries (files of another population) and edited
// ones (files of the index with a few runs changed) with SearchLimit at
// distance 30 (the 20 nearest and the total count), against a brute-force
// scan (Distance against every stored digest).
func BenchmarkIndexRealistic(b *testing.B) {
	start := time.Now()
	cfg, items, pop, _ := realistic(b, *realIndexSize, 2026, realCopyShare)
	b.Logf("population of %d digests in %v", len(pop), time.Since(start))
	x := NewIndex()
	for i, d := range pop {
		mustAdd(b, x, d, uint32(i))
	}
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	_, _, fresh, _ := realistic(b, 400, 77, 0)
	edited := editedQueries(cfg, items, 400)
	for _, set := range []struct {
		name    string
		queries []Digest
	}{{"fresh", fresh}, {"edited", edited}} {
		b.Run(set.name, func(b *testing.B) {
			var search, searchCPU []time.Duration
			var st searchStats
			total := 0
			for b.Loop() {
				search, searchCPU = latencies(set.queries, func(q Digest) {
					_, t := x.searchLimit(q, DefaultMaxDist, true, 20, &st)
					total += t
				})
			}
			var some []Digest
			for i := 0; i < len(set.queries); i += 20 {
				some = append(some, set.queries[i])
			}
			// The scan a user without the index would run: Distance
			// against every stored digest, copies included.
			scan, scanCPU := latencies(some, func(q Digest) { bruteForceCount(pop, q, DefaultMaxDist, true) })
			b.ReportMetric(float64(mean(search).Microseconds()), "mean-µs")
			b.ReportMetric(float64(pct(search, 0.99).Microseconds()), "p99-µs")
			b.ReportMetric(float64(mean(searchCPU).Microseconds()), "mean-cpu-µs")
			b.ReportMetric(float64(pct(searchCPU, 0.99).Microseconds()), "p99-cpu-µs")
			b.ReportMetric(float64(mean(scan).Microseconds()), "scan-µs")
			b.ReportMetric(float64(mean(scan))/float64(mean(search)), "speedup")
			b.ReportMetric(float64(mean(scanCPU))/float64(mean(searchCPU)), "speedup-cpu")
			nq := float64(b.N * len(set.queries))
			b.ReportMetric(float64(total)/nq, "total/query")
			// The work per query, independent of the machine's load.
			b.ReportMetric(float64(st.lists)/nq, "lists/query")
			b.ReportMetric(float64(st.postings)/nq, "postings/query")
			b.ReportMetric(float64(st.reads)/nq, "reads/query")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestIndexRealisticMatchesBruteForce checks Search against Distance over
// every stored digest, and SearchLimit against Search, on the digests of a
// realistic population of 1,000,000 files (20,000 under the race detector
// or -short): fresh files, edited files of the index, and stored ones,
// including boilerplate copied thousands of times.
func TestIndexRealisticMatchesBruteForce(t *testing.T) {
	n, nq := 1_000_000, 20
	if testing.Short() || raceEnabled {
		n, nq = 20_000, 10
	}
	cfg, items, stored, _ := realistic(t, n, 2026, realCopyShare)
	ids := make([]uint32, len(stored))
	x := NewIndex()
	for i, d := range stored {
		ids[i] = uint32(i)
		mustAdd(t, x, d, ids[i])
	}
	_, _, fresh, _ := realistic(t, 2*nq, 78, 0)
	queries := append(fresh, editedQueries(cfg, items, nq)...)
	rnd := rand.New(rand.NewPCG(8, 9))
	for range nq {
		queries = append(queries, stored[rnd.IntN(len(stored))])
	}
	huge := 0
	for qi, q := range queries {
		want := bruteForce(stored, ids, q, DefaultMaxDist, true)
		got := x.Search(q, DefaultMaxDist, true)
		if !slices.Equal(want, got) {
			t.Fatalf("query %d %s: Search gives %d matches, brute force %d; first difference at %d", qi, q, len(got), len(want), firstDiff(want, got))
		}
		if len(want) > len(stored)/1000 {
			huge++
		}
		for _, limit := range []int{1, 20} {
			m, total := x.SearchLimit(q, DefaultMaxDist, true, limit)
			if total != len(want) {
				t.Fatalf("query %d: SearchLimit(%d) total = %d, want %d", qi, limit, total, len(want))
			}
			if w := want[:min(limit, len(want))]; !slices.Equal(w, m) {
				t.Fatalf("query %d: SearchLimit(%d) is not the first %d of Search: differs at %d", qi, limit, limit, firstDiff(w, m))
			}
		}
	}
	if huge == 0 {
		t.Errorf("no query has more than %d matches: the population lacks its boilerplate", len(stored)/1000)
	}
}

// firstDiff is the first index where a and b differ.
func firstDiff(a, b []Match) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
