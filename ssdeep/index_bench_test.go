package ssdeep

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var benchIndexSize = flag.Int("ssdeep.indexsize", 1_000_000, "digests in the index benchmarks")

// benchPopulation returns a realistic population (see popConfig), cached
// in the temporary directory because hashing a million inputs takes a
// while: families of 20, base inputs of 512 B to 32 KiB.
func benchPopulation(b *testing.B, n int) []Digest {
	cfg := popConfig{n: n, family: 20, minSize: 512, maxSize: 32 << 10, seed: 2026}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("culprit-ssdeep-pop-v1-%d-%d-%d-%d-%d.txt",
		cfg.n, cfg.family, cfg.minSize, cfg.maxSize, cfg.seed))
	if data, err := os.ReadFile(path); err == nil {
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) == n {
			ds := make([]Digest, n)
			for i, l := range lines {
				if ds[i], err = Parse(l); err != nil {
					b.Fatal(err)
				}
			}
			return ds
		}
	}
	start := time.Now()
	ds := population(cfg)
	b.Logf("generated %d digests in %v with %d workers", n, time.Since(start), runtime.GOMAXPROCS(0))
	f, err := os.Create(path)
	if err == nil {
		w := bufio.NewWriter(f)
		for _, d := range ds {
			fmt.Fprintln(w, d)
		}
		w.Flush()
		f.Close()
	}
	return ds
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkIndex builds an index of -ssdeep.indexsize digests (default
// 1,000,000) and measures a query with Search, with the brute-force scan
// over the same packed entries (Index.scan), and with Compare over every
// digest; it reports memory per stored digest and the speedups.
func BenchmarkIndex(b *testing.B) {
	n := *benchIndexSize
	pop := benchPopulation(b, n)
	before := heapAlloc()
	start := time.Now()
	x := NewIndex()
	for i, d := range pop {
		if err := x.Add(d, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	build := time.Since(start)
	after := heapAlloc()
	perHash := float64(after-before) / float64(n)
	b.Logf("built index of %d digests in %v: %.1f bytes per digest (%d tail entries)", n, build, perHash, len(x.ids)-x.frozen)

	// Queries: stored digests spread over the population (each has its
	// family in the index) and fresh unrelated ones.
	var queries []Digest
	for i := 0; i < n; i += n / 500 {
		queries = append(queries, pop[i])
	}
	fresh := population(popConfig{n: 500, family: 1, minSize: 512, maxSize: 32 << 10, seed: 99})
	queries = append(queries, fresh...)

	var searchNs, scanNs, compareNs float64
	results := 0
	b.Run("Search", func(b *testing.B) {
		// One op is all the queries, so that few ops measure well.
		for b.Loop() {
			for _, q := range queries {
				results += len(x.Search(q, 1))
			}
		}
		searchNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N*len(queries))
		b.ReportMetric(searchNs, "ns/query")
		b.ReportMetric(float64(results)/float64(b.N*len(queries)), "results/query")
		b.ReportMetric(perHash, "bytes/digest")
	})
	b.Run("Scan", func(b *testing.B) {
		i := 0
		for b.Loop() {
			x.scan(queries[(i*37)%len(queries)], 1)
			i++
		}
		scanNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(scanNs/searchNs, "speedup")
	})
	b.Run("CompareAll", func(b *testing.B) {
		i := 0
		for b.Loop() {
			q := queries[(i*37)%len(queries)]
			for _, d := range pop {
				Compare(q, d)
			}
			i++
		}
		compareNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(compareNs/searchNs, "speedup")
	})
	var buf strings.Builder
	if _, err := x.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if _, err := ReadIndex(strings.NewReader(buf.String())); err != nil {
		b.Fatal(err)
	}
	b.Logf("index file %d bytes (%.1f per digest), ReadIndex %v", buf.Len(), float64(buf.Len())/float64(n), time.Since(start))
}

// BenchmarkSearchLimitCommonDigest measures SearchLimit(q, 1, 20) for a
// digest shared by 100,000 entries: that of an empty file ("3::", the
// short table) and that of a licence text (a chain of copies). Its cost
// should not grow with the number of copies.
func BenchmarkSearchLimitCommonDigest(b *testing.B) {
	licence := Sum(bytes.Repeat([]byte("Permission is hereby granted, free of charge, to any person. "), 40))
	x := NewIndex()
	for i := range 200_000 {
		d := Sum(nil)
		if i%2 == 1 {
			d = licence
		}
		if err := x.Add(d, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		q    Digest
	}{{"empty", Sum(nil)}, {"licence", licence}} {
		q := c.q
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, total := x.SearchLimit(q, 1, 20); total != 100_000 {
					b.Fatalf("total %d, want 100000", total)
				}
			}
		})
	}
}
