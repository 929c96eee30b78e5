package tlsh

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// digestString lets go-cmp compare and print digests.
var digestString = gocmp.Transformer("String", Digest.String)

// bruteForce is the definition Search must meet.
func bruteForce(pop []Digest, ids []uint32, q Digest, maxDist int, lengthTerm bool) []Match {
	var out []Match
	for i, d := range pop {
		if dist := Distance(q, d, lengthTerm); dist <= maxDist {
			out = append(out, Match{ID: ids[i], Digest: d, Distance: dist})
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func TestIndexMatchesBruteForce(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1000
	}
	pop := population(21, n)
	rnd := rand.New(rand.NewPCG(21, 22))
	ids := make([]uint32, len(pop))
	x := NewIndex()
	for i, d := range pop {
		ids[i] = uint32(rnd.IntN(len(pop))) // repeated IDs are allowed
		mustAdd(t, x, d, ids[i])
	}
	queries := make([]Digest, 0, 40)
	for len(queries) < cap(queries) {
		q := pop[rnd.IntN(len(pop))]
		if len(queries)%2 == 1 {
			q = perturb(rnd, q)
		}
		queries = append(queries, q)
	}
	queries = append(queries, Digest{}) // far from everything
	all := []int{0, 1, 15, 16, 30, 31, 47, 63, 64, 100, 400}
	some := []int{0, 30, 31, 64}
	check := func(t *testing.T, x *Index, pop []Digest, ids []uint32, dists []int) {
		t.Helper()
		nonEmpty := 0
		for _, lengthTerm := range []bool{true, false} {
			for qi, q := range queries {
				// Brute force once at the largest radius; smaller radii
				// keep a prefix of it, in the same order.
				wantAll := bruteForce(pop, ids, q, slices.Max(dists), lengthTerm)
				for _, maxDist := range dists {
					want := slices.DeleteFunc(slices.Clone(wantAll), func(m Match) bool { return m.Distance > maxDist })
					if len(want) == 0 {
						want = nil
					}
					got := x.Search(q, maxDist, lengthTerm)
					if slices.Equal(want, got) {
						// fast path: go-cmp is slow on large result sets
					} else if diff := gocmp.Diff(want, got, digestString); diff != "" {
						t.Fatalf("query %d (%v), maxDist %d, lengthTerm %v: Search differs from brute force (-want +got):\n%s",
							qi, q, maxDist, lengthTerm, diff)
					}
					if maxDist == 30 && len(want) > 1 {
						nonEmpty++
					}
				}
			}
		}
		if nonEmpty < len(queries)/2 {
			t.Errorf("only %d queries at distance 30 found a neighbour besides themselves: the population is too sparse to test", nonEmpty)
		}
	}
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	t.Run("built", func(t *testing.T) { check(t, x, pop, ids, all) })

	// Entries added after the postings were built are found by the scan of
	// pending entries, and merged into the postings by the first Search
	// that finds more than pendingLimit of them.
	more := population(23, pendingLimit(len(pop))+10)
	for i, d := range more {
		pop = append(pop, perturb(rnd, d))
		ids = append(ids, uint32(i))
		mustAdd(t, x, pop[len(pop)-1], ids[len(ids)-1])
		if i == 100 {
			t.Run("pending", func(t *testing.T) { check(t, x, pop, ids, some) })
		}
	}
	t.Run("merged", func(t *testing.T) {
		if pending := len(pop) - x.built; pending <= pendingLimit(x.built) {
			t.Fatalf("%d entries pending, want more than %d", pending, pendingLimit(x.built))
		}
		x.Search(queries[0], 0, true) // merges
		if x.built != len(pop) {
			t.Fatalf("built = %d after Search, want %d", x.built, len(pop))
		}
		check(t, x, pop, ids, some)
	})
	t.Run("reloaded", func(t *testing.T) {
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		y, err := ReadIndex(&buf)
		if err != nil {
			t.Fatal(err)
		}
		check(t, y, pop, ids, some)
	})
}

// TestIndexPostingsInvariant checks the postings after incremental merges
// against a from-scratch build.
func TestIndexPostingsInvariant(t *testing.T) {
	pop := population(31, 3000)
	x := NewIndex()
	for i, d := range pop {
		mustAdd(t, x, d, uint32(i))
		if i%700 == 0 {
			x.mu.Lock()
			x.build()
			x.mu.Unlock()
		}
	}
	x.build()
	// Only the first of each group of equal digests has postings.
	distinct := map[Digest]bool{}
	for _, d := range pop {
		distinct[d] = true
	}
	if len(distinct) == len(pop) {
		t.Fatal("population has no equal digests: the groups are not exercised")
	}
	for s := range numSegments {
		g := &x.seg[s]
		if got, want := len(g.post), len(distinct); got != want {
			t.Fatalf("segment %d: %d postings, want %d (distinct digests)", s, got, want)
		}
		seen := make([]bool, len(pop))
		for v := range segValues {
			if g.start[v] > g.start[v+1] {
				t.Fatalf("segment %d: start[%d] = %d > start[%d] = %d", s, v, g.start[v], v+1, g.start[v+1])
			}
			for k := g.start[v]; k < g.start[v+1]; k++ {
				p := g.post[k].pos
				if seen[p] {
					t.Fatalf("segment %d: position %d listed twice", s, p)
				}
				seen[p] = true
				if k > g.start[v] && (g.post[k-1].hdr > g.post[k].hdr || g.post[k-1].hdr == g.post[k].hdr && g.post[k-1].pos > p) {
					t.Fatalf("segment %d, value %#x: postings not ordered by header, then position", s, v)
				}
				if !x.isFirst(p) {
					t.Fatalf("segment %d: position %d listed, but it is a copy of %d", s, p, x.first[p])
				}
				if got := segValue(&pop[p], s); got != uint16(v) {
					t.Fatalf("segment %d: position %d listed under %#x, has value %#x", s, p, v, got)
				}
				if g.post[k].hdr != headerKey(&pop[p]) {
					t.Fatalf("segment %d: position %d has header %#x, want %#x", s, p, g.post[k].hdr, headerKey(&pop[p]))
				}
				if want := segValue(&pop[p], s^1); g.post[k].partner != want {
					t.Fatalf("segment %d: position %d has partner value %#x, want %#x", s, p, g.post[k].partner, want)
				}
			}
		}
	}
}

func TestIndexEdgeCases(t *testing.T) {
	x := NewIndex()
	var q Digest
	if got := x.Search(q, 30, true); len(got) != 0 {
		t.Errorf("Search on empty index = %v, want none", got)
	}
	mustAdd(t, x, q, 7)
	if got := x.Search(q, -1, true); len(got) != 0 {
		t.Errorf("Search(maxDist -1) = %v, want none", got)
	}
	want := []Match{{ID: 7, Digest: q, Distance: 0}}
	if diff := gocmp.Diff(want, x.Search(q, 0, false), digestString); diff != "" {
		t.Errorf("Search(self) mismatch (-want +got):\n%s", diff)
	}
	if x.Len() != 1 {
		t.Errorf("Len = %d, want 1", x.Len())
	}
}

// TestIndexConcurrent runs Add and Search from several goroutines (for the
// race detector) and checks the final contents.
func TestIndexConcurrent(t *testing.T) {
	pop := population(41, 2400)
	x := NewIndex()
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := w; i < len(pop); i += 4 {
				if err := x.Add(pop[i], uint32(i)); err != nil {
					t.Error(err)
					return
				}
				if i%97 == 0 {
					x.Search(pop[i], DefaultMaxDist, true)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	if x.Len() != len(pop) {
		t.Fatalf("Len = %d, want %d", x.Len(), len(pop))
	}
	ids := make([]uint32, len(pop))
	for i := range ids {
		ids[i] = uint32(i)
	}
	for _, q := range pop[:50] {
		want := bruteForce(pop, ids, q, DefaultMaxDist, true)
		got := x.Search(q, DefaultMaxDist, true)
		// Insertion order differed from pop's, so compare as sets.
		sortByID := func(m []Match) {
			slices.SortFunc(m, func(a, b Match) int { return cmp.Compare(a.ID, b.ID) })
		}
		sortByID(want)
		sortByID(got)
		if diff := gocmp.Diff(want, got, digestString); diff != "" {
			t.Fatalf("Search(%v) mismatch (-want +got):\n%s", q, diff)
		}
	}
}

func mustAdd(tb testing.TB, x *Index, d Digest, id uint32) {
	tb.Helper()
	if err := x.Add(d, id); err != nil {
		tb.Fatal(err)
	}
}

func TestReadIndexErrors(t *testing.T) {
	x := NewIndex()
	for i, d := range population(51, 30) {
		mustAdd(t, x, d, uint32(i))
	}
	var buf bytes.Buffer
	n, err := x.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || n != 20+30*entrySize+4 {
		t.Fatalf("WriteTo = %d, %v; buffer has %d bytes, want %d", n, err, buf.Len(), 20+30*entrySize+4)
	}
	good := buf.Bytes()
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"bad version", edit(func(b []byte) []byte { b[8] = 2; return b })},
		{"too many entries", edit(func(b []byte) []byte { b[19] = 0x40; return b })},
		{"count beyond data", edit(func(b []byte) []byte { b[12]++; return b })},
		{"flipped bit", edit(func(b []byte) []byte { b[100] ^= 4; return b })},
		{"truncated entries", good[:200]},
		{"no checksum", good[:len(good)-4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadIndex(bytes.NewReader(tt.in)); err == nil {
				t.Error("ReadIndex succeeded, want an error")
			}
		})
	}
	y, err := ReadIndex(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.digests, y.digests) || !slices.Equal(x.ids, y.ids) {
		t.Error("ReadIndex(WriteTo(x)) has other entries than x")
	}
}

// TestIndexTopSegmentValue is a regression test: postings of the segment
// value 0xffff (all eight buckets in the top quartile) were never visited,
// because the end of their list was read at start[v+1] with v+1 wrapping
// to 0 in 16 bits.
func TestIndexTopSegmentValue(t *testing.T) {
	var d Digest
	for i := range d.code {
		d.code[i] = 0xff
	}
	d.lvalue, d.q = 40, 0x11
	x := NewIndex()
	mustAdd(t, x, d, 1)
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	if got := x.Search(d, 0, true); len(got) != 1 || got[0].ID != 1 {
		t.Errorf("Search(d) on an index of d = %v, want d", got)
	}
}

// TestIndexHeaderRanges checks Search against brute force where posting
// lists are long (entries share most segment values) and their headers
// wrap: length classes and q2 ratios next to 0 and to their top, where the
// header intervals Search enters a list at wrap around.
func TestIndexHeaderRanges(t *testing.T) {
	rnd := rand.New(rand.NewPCG(31, 32))
	var base Digest
	for i := range base.code {
		base.code[i] = byte(rnd.Uint32())
	}
	edges := []byte{0, 1, 2, 3, 125, 126, 127, 128, 129, 130, 252, 253, 254, 255}
	header := func(d *Digest) {
		d.lvalue = edges[rnd.IntN(len(edges))]
		if rnd.IntN(4) == 0 {
			d.lvalue = byte(rnd.Uint32())
		}
		d.q = byte(rnd.Uint32())
		if rnd.IntN(2) == 0 {
			d.q = d.q&0x0f | []byte{0x00, 0x10, 0xe0, 0xf0}[rnd.IntN(4)]
		}
		d.checksum = byte(rnd.IntN(2))
	}
	var pop []Digest
	for range 4000 {
		d := base
		for range rnd.IntN(6) { // a few buckets moved by one
			b := rnd.IntN(128)
			c := byte(min(3, max(0, int(d.code[b/4]>>(2*(b%4))&3)+[]int{-1, 1}[rnd.IntN(2)])))
			d.code[b/4] = d.code[b/4]&^(3<<(2*(b%4))) | byte(c)<<(2*(b%4))
		}
		header(&d)
		pop = append(pop, d)
	}
	ids := make([]uint32, len(pop))
	x := NewIndex()
	for i, d := range pop {
		ids[i] = uint32(i)
		mustAdd(t, x, d, ids[i])
	}
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	long := 0
	for v := range segValues {
		if x.seg[0].start[v+1]-x.seg[0].start[v] > 1000 {
			long++
		}
	}
	if long == 0 {
		t.Fatal("no posting list longer than 1000: the test does not reach the header intervals")
	}
	found := 0
	for qi := range 60 {
		q := pop[rnd.IntN(len(pop))]
		header(&q)
		for _, lengthTerm := range []bool{true, false} {
			wantAll := bruteForce(pop, ids, q, 63, lengthTerm)
			for _, maxDist := range []int{0, 1, 15, 16, 24, 30, 31, 32, 47, 63} {
				want := slices.DeleteFunc(slices.Clone(wantAll), func(m Match) bool { return m.Distance > maxDist })
				if len(want) == 0 {
					want = nil
				}
				got := x.Search(q, maxDist, lengthTerm)
				if !slices.Equal(want, got) {
					t.Fatalf("query %d (%v), maxDist %d, lengthTerm %v: Search gives %d matches, brute force %d",
						qi, q, maxDist, lengthTerm, len(got), len(want))
				}
				found += len(want)
			}
		}
	}
	if found == 0 {
		t.Fatal("no query found anything: the test checks nothing")
	}
}

// TestIndexGroupLimit checks SearchLimit on groups of copies whose IDs come
// in any order: a search under a limit reads only the first copies of a
// sorted chain, so a chain out of (ID, position) order would give the wrong
// prefix. Copies are added before the build (their chains are sorted by it)
// and after it (pending, out of order until the next build).
func TestIndexGroupLimit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(31, 32))
	base := population(31, 40)
	var pop []Digest
	var ids []uint32
	x := NewIndex()
	add := func(k int) {
		for range k {
			d := base[rnd.IntN(len(base))]
			if rnd.IntN(3) == 0 {
				d = perturb(rnd, d)
			}
			pop, ids = append(pop, d), append(ids, uint32(rnd.IntN(500)))
			mustAdd(t, x, d, ids[len(ids)-1])
		}
	}
	check := func(t *testing.T) {
		t.Helper()
		for qi, q := range base[:10] {
			want := bruteForce(pop, ids, q, DefaultMaxDist, true)
			for _, limit := range []int{1, 3, 20, 0} {
				got, total := x.SearchLimit(q, DefaultMaxDist, true, limit)
				w := want
				if limit > 0 {
					w = want[:min(limit, len(want))]
				}
				if total != len(want) || !slices.Equal(w, got) {
					t.Fatalf("query %d: SearchLimit(%d) = %d matches of %d, want %d of %d; first difference at %d",
						qi, limit, len(got), total, len(w), len(want), firstDiff(w, got))
				}
			}
		}
	}
	// groups checks the groups against the digests: each is the set of
	// positions of one digest, its first position the earliest of them.
	groups := func(t *testing.T) {
		t.Helper()
		want := map[Digest][]uint32{}
		for p, d := range pop {
			want[d] = append(want[d], uint32(p))
		}
		if x.nGroups != len(want) {
			t.Fatalf("%d groups, want %d", x.nGroups, len(want))
		}
		for _, ps := range want {
			f := ps[0]
			if !x.isFirst(f) || x.size[f] != uint32(len(ps)) {
				t.Fatalf("position %d: first %v, size %d; want first, size %d", f, x.isFirst(f), x.size[f], len(ps))
			}
			got := []uint32{f}
			last := f
			for q := x.dupNext[f]; q != 0; q = x.dupNext[q-1] {
				got, last = append(got, q-1), q-1
				if x.first[q-1] != f {
					t.Fatalf("copy %d: first %d, want %d", q-1, x.first[q-1], f)
				}
			}
			if slices.Sort(got); !slices.Equal(got, ps) || x.first[f] != last {
				t.Fatalf("group of %d: chain %v ending at %d, want %v ending at %d", f, got, last, ps, x.first[f])
			}
		}
	}
	add(3000)
	t.Run("groups", groups)
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	t.Run("sorted groups", groups)
	if len(x.unsorted) != 0 {
		t.Fatalf("%d groups out of order after build", len(x.unsorted))
	}
	t.Run("built", check)
	add(200)
	if len(x.unsorted) == 0 {
		t.Fatal("no group out of order after adding copies with random IDs: the test does not test")
	}
	t.Run("pending", check)
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	t.Run("rebuilt", check)
	t.Run("rebuilt groups", groups)
}

// TestSegmentLowerBound checks the skip-list bisection against a linear
// search, on lists starting and ending at every offset within a block.
func TestSegmentLowerBound(t *testing.T) {
	rnd := rand.New(rand.NewPCG(41, 42))
	var g segment
	for range 600 {
		g.post = append(g.post, posting{hdr: uint16(rnd.IntN(40))})
	}
	for lo := 0; lo < len(g.post); {
		hi := min(len(g.post), lo+1+rnd.IntN(100))
		slices.SortFunc(g.post[lo:hi], func(a, b posting) int { return cmp.Compare(a.hdr, b.hdr) })
		lo = hi
	}
	for k := 0; k < len(g.post); k += skipStep {
		g.skip = append(g.skip, g.post[k].hdr)
	}
	for lo := 0; lo < len(g.post); lo++ {
		hi := lo
		for hi < len(g.post) && (hi == lo || g.post[hi-1].hdr <= g.post[hi].hdr) {
			hi++
		}
		for h := range uint16(42) {
			want := uint32(lo)
			for want < uint32(hi) && g.post[want].hdr < h {
				want++
			}
			if got := g.lowerBound(uint32(lo), uint32(hi), h); got != want {
				t.Fatalf("lowerBound(%d, %d, %d) = %d, want %d", lo, hi, h, got, want)
			}
		}
	}
}

// TestIndexMemory guards the memory target: at most 200 bytes of heap per
// stored digest at 1,000,000 distinct digests (the synthetic population of
// BenchmarkIndex), postings, groups and offsets included.
func TestIndexMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds an index of 1,000,000 digests")
	}
	const n = 1_000_000
	pop := benchPopulation(n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	x := NewIndex()
	for i, d := range pop {
		mustAdd(t, x, d, uint32(i))
	}
	x.mu.Lock()
	x.build()
	x.mu.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&after)
	perHash := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.1f bytes per stored digest", perHash)
	if perHash > 200 {
		t.Errorf("%.1f bytes per stored digest, want at most 200", perHash)
	}
	runtime.KeepAlive(x)
}

// TestScanPlanCovers checks scanPlan's levels with the predicate visit
// applies to a posting, pair by pair: for every distance and budget, an
// entry none of whose postings would pass must have pairs summing beyond
// the budget. Pairs are independent but for their sum, so the least sum
// of non-passing pairs, found by enumerating each pair's two segment
// distances, decides it exactly.
func TestScanPlanCovers(t *testing.T) {
	for D := range 80 {
		plan := scanPlan(D)
		// passes reports whether the posting of segment s, at seg
		// distance a with its partner at b, passes for budget B.
		passes := func(s, a, b, B int) bool {
			return a < len(plan.bmin) && plan.visits(a, s, int32(B)) && a+b <= B>>3 && (s&1 == 0 || b > a)
		}
		for B := 0; B <= D; B++ {
			sum := 0
			for j := range numSegments / 2 {
				least := B + 1
				for a := 0; a <= B; a++ {
					for b := 0; a+b <= B; b++ {
						if !passes(2*j, a, b, B) && !passes(2*j+1, b, a, B) {
							least = min(least, a+b)
						}
					}
				}
				sum += least
			}
			if sum <= B {
				t.Fatalf("scanPlan(%d): an entry of budget %d with pairs summing to %d is never visited", D, B, sum)
			}
		}
	}
}

// TestScanPlanD30 pins the levels at the customary distance: the last
// segment is never visited at seg distance 1, the first from budget 16,
// an entry of budget 24 only in the first 9 segments, and one of budget 0
// (the same body) only in segment 0.
func TestScanPlanD30(t *testing.T) {
	plan := scanPlan(DefaultMaxDist)
	for _, c := range []struct {
		dv, s int
		B     int32
		want  bool
	}{
		{1, 0, 16, true}, {1, 0, 15, false}, {1, 1, 16, false}, {1, 1, 17, true},
		{1, 15, 30, false}, {1, 14, 30, true}, {1, 14, 29, false}, {1, 14, 23, true},
		{1, 8, 24, true}, {1, 9, 24, false}, {1, 9, 25, true},
		{0, 0, 0, true}, {0, 1, 0, false}, {0, 15, 30, true}, {0, 0, -1, false},
	} {
		if got := plan.visits(c.dv, c.s, c.B); got != c.want {
			t.Errorf("scanPlan(30).visits(%d, %d, %d) = %v, want %v", c.dv, c.s, c.B, got, c.want)
		}
	}
}
