package ssdeep

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func mathPow(x, y float64) float64 { return math.Pow(x, y) }

// bruteForce is the reference: Compare against every digest.
func bruteForce(stored []Digest, q Digest, minScore int) []Match {
	var out []Match
	for i, d := range stored {
		if s := Compare(q, d); s >= max(minScore, 1) {
			out = append(out, Match{ID: uint64(i), Score: s})
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int { return cmp.Compare(b.Score, a.Score) })
	return out
}

func testPopulation(n int) []Digest {
	ds := population(popConfig{n: n, family: 25, minSize: 256, maxSize: 48 << 10, seed: 7})
	// A few digests with short parts, shared by several entries.
	ds = append(ds, Sum([]byte("abc")), Sum([]byte("abc")), Sum([]byte("Hello, World!")), Sum(nil))
	return ds
}

// TestIndexMatchesBruteForce checks that Search returns exactly what a scan
// with Compare returns, on families of near neighbours, with merges of the
// tail into the table on the way.
func TestIndexMatchesBruteForce(t *testing.T) {
	n, stride := 3000, 4
	if testing.Short() || raceEnabled {
		n, stride = 800, 8
	}
	stored := testPopulation(n)
	x := NewIndex()
	x.mergeMin = 100 // merge often
	for i, d := range stored {
		if err := x.Add(d, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if x.frozen == 0 || x.frozen == len(stored) && len(stored)%100 != 0 {
		t.Logf("frozen %d of %d", x.frozen, len(stored))
	}
	// Queries: every 4th stored digest, fresh variants, and odd ones.
	var queries []Digest
	for i := 0; i < len(stored); i += stride {
		queries = append(queries, stored[i])
	}
	queries = append(queries, testPopulation(200)[:200]...) // same seed: relatives of stored families
	queries = append(queries,
		Digest{BlockSize: 3, Part1: "abc", Part2: "abc"},
		Digest{BlockSize: 6, Part1: "AAAAAAAAAAAAAAAAAAAA", Part2: "AAAAAAAAAAAA"},
		Digest{BlockSize: 7, Part1: "abcdefgh", Part2: "abcdefgh"},
	)
	nonEmpty := 0
	for qi, q := range queries {
		for _, minScore := range []int{1, 40, 80} {
			got := x.Search(q, minScore)
			want := bruteForce(stored, q, minScore)
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Fatalf("query %d %s, minScore %d: Search differs from brute force (-want +got):\n%s", qi, q, minScore, diff)
			}
			if qi%10 == 0 {
				if diff := gocmp.Diff(want, x.scan(q, minScore)); diff != "" {
					t.Fatalf("query %d: Index.scan differs from brute force (-want +got):\n%s", qi, diff)
				}
			}
			if minScore == 1 && len(want) > 1 {
				nonEmpty++
			}
		}
	}
	// The test must be able to fail: the population has to hold neighbours.
	if nonEmpty < len(queries)/2 {
		t.Errorf("only %d of %d queries have more than one result; population too sparse", nonEmpty, len(queries))
	}
	// Queries not valid for the index still agree with brute force.
	for _, q := range []Digest{
		{BlockSize: 48, Part1: "a!b!c!d!e!f!g!h", Part2: "x"},
		{BlockSize: 0},
		{BlockSize: 3, Part1: string(bytes.Repeat([]byte("ab"), 40))},
	} {
		got, want := x.Search(q, 1), bruteForce(stored, q, 1)
		if diff := gocmp.Diff(want, got, cmpEmpty); diff != "" {
			t.Errorf("query %q: (-want +got):\n%s", q, diff)
		}
	}
}

var cmpEmpty = gocmp.Comparer(func(a, b []Match) bool {
	return len(a) == 0 && len(b) == 0 || slices.Equal(a, b)
})

func TestIndexAddRejectsInvalid(t *testing.T) {
	for _, d := range []Digest{
		{BlockSize: 5, Part1: "abc", Part2: "abc"},
		{BlockSize: 3, Part1: "a:c", Part2: ""},
		{BlockSize: 3, Part1: string(bytes.Repeat([]byte("a"), 65))},
	} {
		if err := NewIndex().Add(d, 1); err == nil {
			t.Errorf("Add(%q) = nil, want an error", d)
		}
	}
}

func TestPackUnpack(t *testing.T) {
	for n1 := 0; n1 <= 64; n1 += 7 {
		for n2 := 0; n2 <= 64; n2 += 5 {
			t.Run(fmt.Sprintf("%d+%d", n1, n2), func(t *testing.T) {
				p1, p2 := make([]byte, n1), make([]byte, n2)
				for i := range p1 {
					p1[i] = byte(i*7) & 63
				}
				for i := range p2 {
					p2[i] = byte(63 - i)
				}
				b := pack(nil, p1, p2)
				if len(b) != packedLen(n1+n2) {
					t.Fatalf("packed %d bytes, want %d", len(b), packedLen(n1+n2))
				}
				got := make([]byte, n1+n2)
				if !unpack(got, b, n1+n2) {
					t.Fatal("unpack: non-zero padding")
				}
				if want := append(slices.Clone(p1), p2...); !bytes.Equal(got, want) {
					t.Errorf("unpack(pack) = %v, want %v", got, want)
				}
			})
		}
	}
}

func TestIndexPersistence(t *testing.T) {
	stored := testPopulation(500)
	x := NewIndex()
	x.mergeMin = 64
	for i, d := range stored {
		if err := x.Add(d, uint64(i)*3); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n, err := x.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	file := buf.Bytes()
	y, err := ReadIndex(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if y.Len() != x.Len() {
		t.Fatalf("read %d entries, want %d", y.Len(), x.Len())
	}
	for i := 0; i < len(stored); i += 7 {
		if diff := gocmp.Diff(x.Search(stored[i], 1), y.Search(stored[i], 1)); diff != "" {
			t.Fatalf("query %d after reload (-before +after):\n%s", i, diff)
		}
	}
	var again bytes.Buffer
	if _, err := y.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), file) {
		t.Errorf("rewritten index differs from the original (err %v)", err)
	}

	corrupt := func(f func(b []byte) []byte) []byte { return f(slices.Clone(file)) }
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"magic", corrupt(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"version", corrupt(func(b []byte) []byte { b[8] = 2; return b })},
		{"huge count", corrupt(func(b []byte) []byte { b[19] = 0x7f; return b })},
		{"truncated", file[:len(file)/2]},
		{"no checksum", file[:len(file)-4]},
		{"flipped bit", corrupt(func(b []byte) []byte { b[len(b)/2] ^= 4; return b })},
		{"bad exponent", corrupt(func(b []byte) []byte { b[20+8] = 31; return b })},
		{"long part", corrupt(func(b []byte) []byte { b[20+9] = 65; return b })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadIndex(bytes.NewReader(tc.data)); err == nil {
				t.Errorf("ReadIndex = nil error, want one")
			}
		})
	}
}

// TestIndexConcurrent runs searches while digests are added (run with -race).
func TestIndexConcurrent(t *testing.T) {
	stored := testPopulation(400)
	x := NewIndex()
	x.mergeMin = 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, d := range stored {
			if err := x.Add(d, uint64(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			// Once all are added, results are exact again.
			if diff := gocmp.Diff(bruteForce(stored, stored[0], 1), x.Search(stored[0], 1)); diff != "" {
				t.Errorf("after concurrent adds (-want +got):\n%s", diff)
			}
			return
		default:
			for _, m := range x.Search(stored[i%len(stored)], 1) {
				if m.Score < 1 || m.Score > 100 {
					t.Fatalf("score %d out of range", m.Score)
				}
			}
		}
	}
}

// TestIndexSearchLimitCommonDigest checks SearchLimit on digests shared by
// thousands of entries (that of an empty or tiny file, "3::", and a
// licence text): the first limit matches of Search, the total count, and
// a result built from limit copies, not from all of them (without the
// early stop per group it took one allocation per doubling of 20,000).
func TestIndexSearchLimitCommonDigest(t *testing.T) {
	const copies = 20_000
	licence := Sum(bytes.Repeat([]byte("Permission is hereby granted, free of charge, to any person. "), 40))
	others := testPopulation(200)
	var stored []Digest
	x := NewIndex()
	for i := range 2 * copies {
		d := others[i%len(others)]
		switch i % 4 {
		case 0:
			d = Sum(nil)
		case 1:
			d = Sum([]byte("ab"))
		case 2:
			d = licence
		}
		stored = append(stored, d)
		if err := x.Add(d, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []Digest{Sum(nil), Sum([]byte("ab")), licence} {
		want := bruteForce(stored, q, 1)
		if len(want) < copies/2 {
			t.Fatalf("query %s: %d matches, want thousands", q, len(want))
		}
		for _, limit := range []int{1, 20, 0} {
			got, total := x.SearchLimit(q, 1, limit)
			w := want
			if limit > 0 {
				w = want[:limit]
			}
			if total != len(want) || !slices.Equal(got, w) {
				t.Fatalf("query %s: SearchLimit(%d) = %d of %d, want %d of %d", q, limit, len(got), total, len(w), len(want))
			}
		}
		if raceEnabled {
			continue // the race detector allocates on its own
		}
		allocs := testing.AllocsPerRun(5, func() { x.SearchLimit(q, 1, 20) })
		if allocs > 12 {
			t.Errorf("query %s: SearchLimit(20) makes %.0f allocations, want at most 12 (the copies are read beyond the limit)", q, allocs)
		}
	}
}
