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
			// Brute force on a few queries.
			start := time.Now()
			const scans = 8
			for i := range scans {
				bruteForceCount(pop, queries[i], DefaultMaxDist, lengthTerm)
			}
			scanTime := time.Since(start) / scans

			results := 0
			i := 0
			for b.Loop() {
				results += len(x.Search(queries[i%len(queries)], DefaultMaxDist, lengthTerm))
				i++
			}
			perQuery := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(results)/float64(b.N), "results/op")
			b.ReportMetric(float64(scanTime.Microseconds()), "scan-µs")
			b.ReportMetric(float64(scanTime)/float64(perQuery), "speedup")
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
