package tlsh

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

var benchPops sync.Map // size -> []Digest

// benchPopulation returns a population of n digests (see population),
// generated once per process.
func benchPopulation(n int) []Digest {
	if p, ok := benchPops.Load(n); ok {
		return p.([]Digest)
	}
	p := population(1, n)
	benchPops.Store(n, p)
	return p
}

// BenchmarkIndex builds an index of N realistic digests and measures Search
// at distance 30, with and without the length term, against a brute-force
// scan of the same entries, reporting the query time, the scan time, their
// ratio ("speedup"), the mean number of results and the heap bytes per
// stored digest. Queries are perturbed copies of stored digests.
func BenchmarkIndex(b *testing.B) {
	for _, bc := range []struct {
		n          int
		lengthTerm bool
	}{{100_000, true}, {1_000_000, true}, {1_000_000, false}} {
		n, lengthTerm := bc.n, bc.lengthTerm
		b.Run(fmt.Sprintf("N=%d/len=%v", n, lengthTerm), func(b *testing.B) {
			pop := benchPopulation(n)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			x := NewIndex()
			for i, d := range pop {
				mustAdd(b, x, d, uint32(i))
			}
			x.mu.Lock()
			x.build()
			x.mu.Unlock()
			runtime.GC()
			runtime.ReadMemStats(&after)
			perHash := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)

			rnd := rand.New(rand.NewPCG(5, 5))
			queries := make([]Digest, 256)
			for i := range queries {
				queries[i] = perturb(rnd, pop[rnd.IntN(len(pop))])
			}
			// Search every query; every 64th also brute force, timed
			// separately, so that both see the same machine load.
			var searchTime, scanTime time.Duration
			scans, results, i := 0, 0, 0
			for b.Loop() {
				q := queries[i%len(queries)]
				start := time.Now()
				results += len(x.Search(q, DefaultMaxDist, lengthTerm))
				searchTime += time.Since(start)
				if i%64 == 0 {
					start = time.Now()
					bruteForceCount(pop, q, DefaultMaxDist, lengthTerm)
					scanTime += time.Since(start)
					scans++
				}
				i++
			}
			perQuery := searchTime / time.Duration(b.N)
			perScan := scanTime / time.Duration(scans)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(perQuery.Microseconds()), "query-µs")
			b.ReportMetric(float64(results)/float64(b.N), "results/op")
			b.ReportMetric(float64(perScan.Microseconds()), "scan-µs")
			b.ReportMetric(float64(perScan)/float64(perQuery), "speedup")
			b.ReportMetric(perHash, "bytes/hash")
			runtime.KeepAlive(x)
		})
	}
}

func bruteForceCount(pop []Digest, q Digest, maxDist int, lengthTerm bool) int {
	n := 0
	for _, d := range pop {
		if Distance(q, d, lengthTerm) <= maxDist {
			n++
		}
	}
	return n
}

// BenchmarkIndexBuild measures building the postings of 100,000 entries.
func BenchmarkIndexBuild(b *testing.B) {
	pop := benchPopulation(100_000)
	for b.Loop() {
		x := NewIndex()
		for i, d := range pop {
			mustAdd(b, x, d, uint32(i))
		}
		x.mu.Lock()
		x.build()
		x.mu.Unlock()
	}
}

// BenchmarkSearchLimitCommonDigest measures SearchLimit(q, 30, true, 20)
// for a digest stored 100,000 times (a file copied everywhere, such as a
// licence text) among 100,000 others: its cost should not grow with the
// number of copies, as a group's chain is read only as far as the limit.
func BenchmarkSearchLimitCommonDigest(b *testing.B) {
	pop := benchPopulation(100_000)
	common := pop[0]
	x := NewIndex()
	for i, d := range pop {
		mustAdd(b, x, d, uint32(i))
		mustAdd(b, x, common, uint32(len(pop)+i))
	}
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	want := len(x.Search(common, DefaultMaxDist, true))
	for b.Loop() {
		if m, total := x.SearchLimit(common, DefaultMaxDist, true, 20); total != want || len(m) != 20 {
			b.Fatalf("SearchLimit = %d matches of %d, want 20 of %d", len(m), total, want)
		}
	}
}
