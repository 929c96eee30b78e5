package tlsh

import (
	"cmp"
	"errors"
	"hash/maphash"
	"slices"
	"sync"
)

// DefaultMaxDist is the customary TLSH radius for "same family".
const DefaultMaxDist = 30

// An Index stores digests with caller-chosen IDs and finds every stored
// digest within a distance of a query: exactly the entries a scan that
// computes Distance against each of them would return, but without a scan.
// It is safe for concurrent use.
//
// # How the search is exact
//
// Distance is not a metric (the triangle inequality fails by hundreds), so
// the index uses no metric-space argument. It uses only that the distance is
// a sum of non-negative parts:
//
//	Distance(q, c) = header(q, c) + checksum(q, c) + Σ_{j<8} pair_j(q, c)
//	pair_j(q, c) = seg_{2j}(q, c) + seg_{2j+1}(q, c)
//
// where header is the length and q-ratio terms, checksum is 0 or 1, and
// seg_s is the body distance over the 8 buckets of segment s (code bytes 2s
// and 2s+1). Segments 2j and 2j+1 are partners; together they form pair j.
// The index keeps, for each segment s and each of the 65,536 values a segment
// can take, the list of entries with that value (postings), and with every
// posting the entry's length class, q ratios and the value of its partner
// segment.
//
// Let D be the radius and, for a stored entry c, B_c = D - header(q, c) its
// budget for checksum and body, T_c = floor(B_c / 8) and u_c = floor(T_c / 2)
// when B_c >= 0.
//
//  1. If Distance(q, c) <= D then B_c >= 0 and Σ_j pair_j(q, c) <= B_c, so
//     some pair has pair_j(q, c) <= T_c: were all 8 at least T_c+1, their
//     sum would exceed B_c (pigeonhole principle). Let j* be the smallest
//     such pair. Its two segments sum to at most T_c, so one of them has
//     seg_s(q, c) <= u_c; let s* be the first of the two that does. (j*, s*)
//     "claims" c.
//  2. Since header >= 0, u_c <= u = floor(floor(D/8)/2). Search enumerates,
//     for every segment s, every segment value v at seg distance d_v <= u
//     from the query's value (the ball of radius u), and visits all postings
//     of v. c's value in s* is in that ball, so c is visited at (s*, d_v =
//     seg_{s*}(q, c)).
//  3. At a visited posting of segment s, Search computes from the posting
//     alone header(q, c), d_v and the partner's distance, so pair_{s/2}(q,
//     c); it skips the posting if B_c < 0, d_v > u_c, pair_{s/2}(q, c) > T_c,
//     or s is the second of its pair and its partner is within u_c (then the
//     partner claims c, if the pair does). None of these holds at (s*, c)
//     when Distance(q, c) <= D, by 1. Otherwise, unless c was read already
//     for this query (a bitmap of the positions read), Search reads c and
//     computes Distance(q, c) exactly, reporting c if it is <= D.
//
// Steps 1 to 3 visit more than they need: counting what the other pairs
// must then add up to, Search visits a segment at seg distance u_c only for
// the budgets where that is needed, and skips a second segment's posting
// only when its partner is at most d_v (see scanPlan, which proves it). At
// D = 30 this halves the postings a realistic query scans.
//
// So every entry within D is reported exactly once: it is read at its
// claiming segment if not before, and once read it is never read again; and
// nothing beyond D is reported. (Near-duplicate data passes the filters at
// many segments: the bitmap saves reading it at each of them.) The partner values filter out most
// postings before the stored digest is read. Entries added since the
// postings were last built are scanned directly. When the ball is so large
// (D about 64 or more) that the postings would cost more than a scan, Search
// scans.
//
// An entry takes about 170 bytes: the 35-byte digest, its 4-byte ID, and 16
// postings of 8 bytes.
type Index struct {
	mu      sync.RWMutex
	digests []Digest // by position, in order of Add
	ids     []uint32 // by position
	built   int      // positions [0, built) are in the postings
	seg     [numSegments]segment

	// Equal digests form a group: only the group's first position has
	// postings and is compared; the others follow it in a chain of dupNext
	// (1 + the next position of the group, 0 at the end). For a copy p,
	// first[p] is its group's first position (below p); for a first
	// position, its group's last (p or above). heads is a hash table of
	// the first positions (1 + position, 0 for an empty slot), by digest.
	// Real collections hold thousands of copies of some files; without
	// groups each copy would be visited and compared for every query near
	// it. (A map from digest to group took about 90 bytes per entry, the
	// table 5 to 11.)
	//
	// After build, each chain is in order of (ID, position), so that a
	// search with a limit reads only the first limit copies of a group (all
	// of a group have the same distance to a query, and the order after
	// distance is by ID, then position). An Add that breaks the order (an ID
	// below the chain's last) marks the group in unsorted until the next
	// build, and its chain is then read whole.
	first    []uint32
	dupNext  []uint32
	size     []uint32 // by position: the size of its group, if it is a first position
	heads    []uint32 // len a power of 2, at most 3/4 full
	nGroups  int
	seed     maphash.Seed
	unsorted map[uint32]bool // first positions of groups whose chain is out of order

	bitmaps sync.Pool // of *[]uint64, zeroed: positions read by a Search
}

const (
	numSegments = 16
	segValues   = 1 << 16
)

// segment holds the postings of one segment: those of the entries whose
// segment value is v are post[start[v]:start[v+1]].
type segment struct {
	start []uint32 // segValues+1 offsets
	post  []posting
	// skip[i] is post[skipStep*i].hdr. A search enters a long list at a
	// header by bisecting skip (a few cache lines: 2 bytes per skipStep
	// postings) and then the skipStep postings of one block, instead of
	// bisecting the postings, each probe of which missed the cache.
	skip []uint16
}

// skipStep is the number of postings per entry of a segment's skip.
const skipStep = 16

// posting is one entry in a segment's list. Its fields are together (not in
// three arrays) so that a search reads one sequential stream: the position
// is needed only for the postings that pass the header and partner tests,
// and read from an array of its own it missed the cache each time.
type posting struct {
	hdr     uint16 // lvalue<<8 | q ratios
	partner uint16 // value of segment s^1
	pos     uint32
}

// Match is an entry found by Search.
type Match struct {
	ID       uint32
	Digest   Digest
	Distance int
}

// NewIndex returns an empty Index.
func NewIndex() *Index {
	x := &Index{heads: make([]uint32, 64), seed: maphash.MakeSeed(), unsorted: map[uint32]bool{}}
	for s := range x.seg {
		x.seg[s].start = make([]uint32, segValues+1)
	}
	return x
}

// Len returns the number of entries.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.digests)
}

// ErrIndexFull is returned by Add when the index holds MaxIndexLen entries.
var ErrIndexFull = errors.New("tlsh: index full")

// Add stores d under id. IDs need not be unique: each Add is an entry of its
// own. Add is O(1); the postings are brought up to date by the next Search.
// It fails only when the index already holds MaxIndexLen entries.
func (x *Index) Add(d Digest, id uint32) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.digests) >= MaxIndexLen {
		return ErrIndexFull
	}
	x.add(d, id)
	return nil
}

// add appends an entry; x.mu is held for writing.
func (x *Index) add(d Digest, id uint32) {
	p := uint32(len(x.digests))
	x.digests = append(x.digests, d)
	x.ids = append(x.ids, id)
	x.dupNext = append(x.dupNext, 0)
	x.size = append(x.size, 1)
	slot := x.headSlot(&d)
	if f := x.heads[slot]; f != 0 {
		f--
		last := x.first[f]
		if last != f && x.ids[last] > id {
			x.unsorted[f] = true
		}
		x.dupNext[last] = p + 1
		x.first[f] = p
		x.first = append(x.first, f)
		x.size[f]++
		return
	}
	x.heads[slot] = p + 1
	x.first = append(x.first, p)
	if x.nGroups++; 4*x.nGroups > 3*len(x.heads) {
		old := x.heads
		x.heads = make([]uint32, 2*len(old))
		for _, f := range old {
			if f != 0 {
				x.heads[x.headSlot(&x.digests[f-1])] = f
			}
		}
	}
}

// headSlot returns the slot of heads that holds d's group, or the empty
// slot where it would go.
func (x *Index) headSlot(d *Digest) int {
	mask := len(x.heads) - 1
	i := int(maphash.Comparable(x.seed, *d)) & mask
	for x.heads[i] != 0 && x.digests[x.heads[i]-1] != *d {
		i = (i + 1) & mask
	}
	return i
}

// isFirst reports whether position p is the first of its group.
func (x *Index) isFirst(p uint32) bool { return x.first[p] >= p }

// segValue returns the value of segment s of d.
func segValue(d *Digest, s int) uint16 {
	return uint16(d.code[2*s]) | uint16(d.code[2*s+1])<<8
}

func headerKey(d *Digest) uint16 { return uint16(d.lvalue)<<8 | uint16(d.q) }

// pendingLimit is how many unindexed entries Search tolerates before it
// brings the postings up to date: scanning them costs about as much as the
// indexed part of a query.
func pendingLimit(built int) int { return 1024 + built/512 }

// build adds the entries at positions [x.built, len) to the postings. The
// caller holds x.mu for writing.
func (x *Index) build() {
	n := len(x.digests)
	p := n - x.built
	if p <= 0 {
		return
	}
	// Only the first position of each group gets postings.
	fresh := make([]uint32, 0, p)
	for q := x.built; q < n; q++ {
		if x.isFirst(uint32(q)) {
			fresh = append(fresh, uint32(q))
		}
	}
	counts := make([]uint32, segValues)
	// Each value's postings are kept ordered by header (then position), so
	// that Search can go straight to the headers within reach (length
	// class, then q2 ratio): sort the fresh positions by header once, and
	// the counting sort by value in merge, being stable, keeps that order
	// within each value.
	clear(counts)
	for _, q := range fresh {
		counts[headerKey(&x.digests[q])]++
	}
	sum := uint32(0)
	for v, c := range counts {
		counts[v] = sum
		sum += c
	}
	byHdr := make([]uint32, len(fresh))
	for _, q := range fresh {
		h := headerKey(&x.digests[q])
		byHdr[counts[h]] = q
		counts[h]++
	}
	fresh = byHdr
	order := make([]uint32, len(fresh)) // fresh positions, sorted by segment value
	for s := range x.seg {
		x.seg[s].merge(x.digests, fresh, s, counts, order)
	}
	x.sortChains()
	x.built = n
}

// sortChains puts the chains of the groups in x.unsorted in order of (ID,
// position). The caller holds x.mu for writing.
func (x *Index) sortChains() {
	var chain []uint32
	for f := range x.unsorted {
		chain = chain[:0]
		for p := x.dupNext[f]; p != 0; p = x.dupNext[p-1] {
			chain = append(chain, p-1)
		}
		slices.SortFunc(chain, func(a, b uint32) int { return cmp.Or(cmp.Compare(x.ids[a], x.ids[b]), cmp.Compare(a, b)) })
		prev := f
		for _, p := range chain {
			x.dupNext[prev] = p + 1
			prev = p
		}
		x.dupNext[prev] = 0
		x.first[f] = prev
	}
	clear(x.unsorted)
}

// merge inserts the postings of digests[first:] into the segment in place:
// the existing lists move right, from the last value backwards, to make room
// for the new ones after them. counts and order are scratch.
func (g *segment) merge(digests []Digest, pending []uint32, s int, counts, order []uint32) {
	clear(counts)
	for _, p := range pending {
		counts[segValue(&digests[p], s)]++
	}
	// Counting sort of the pending positions by value into order: counts
	// becomes the offsets of the values, and after the placing loop counts[v]
	// is the number of pending entries with value <= v.
	sum := uint32(0)
	for v, c := range counts {
		counts[v] = sum
		sum += c
	}
	for _, p := range pending {
		v := segValue(&digests[p], s)
		order[counts[v]] = p
		counts[v]++
	}
	old := len(g.post)
	g.post = slices.Grow(g.post, len(pending))[:old+len(pending)]
	g.start[segValues] = uint32(old + len(pending))
	g.mergeBackward(digests, s, counts, order, old)
	g.skip = slices.Grow(g.skip[:0], (len(g.post)+skipStep-1)/skipStep)
	for k := 0; k < len(g.post); k += skipStep {
		g.skip = append(g.skip, g.post[k].hdr)
	}
}

// lowerBound returns the first k in [lo, hi) whose posting's header is at
// least h, or hi. The postings [lo, hi) are one list, ordered by header.
func (g *segment) lowerBound(lo, hi uint32, h uint16) uint32 {
	// The skip entries of the postings in [lo, hi): [i0, i1).
	i0, i1 := (lo+skipStep-1)/skipStep, (hi+skipStep-1)/skipStep
	i, j := i0, i1
	for i < j {
		m := (i + j) >> 1
		if g.skip[m] < h {
			i = m + 1
		} else {
			j = m
		}
	}
	// Postings before skipStep*(i-1) are below h, and the one at
	// skipStep*i (if i < i1) is not: the bound is in the block between.
	k, end := lo, hi
	if i > i0 {
		k = skipStep*(i-1) + 1
	}
	if i < i1 {
		end = skipStep * i
	}
	for k < end && g.post[k].hdr < h {
		k++
	}
	return k
}

// mergeBackward moves the old lists right and places the new postings. On
// entry g.start holds the old offsets (with start[segValues] already set to
// the new end, so it is not used as an old offset), counts[v] the number of
// new postings with value <= v and order the new positions sorted by value.
func (g *segment) mergeBackward(digests []Digest, s int, counts, order []uint32, old int) {
	oldEnd := uint32(old)
	for v := segValues - 1; v >= 0; v-- {
		oldStart := g.start[v]
		n := oldEnd - oldStart
		var below uint32 // new postings with value < v
		if v > 0 {
			below = counts[v-1]
		}
		dst := oldStart + below
		// Merge the old list and the new postings (both ordered by header,
		// then position) from the back: the destination starts at or
		// after the old list, so nothing is overwritten before it moves.
		fresh := order[below:counts[v]]
		i, j, w := int(oldEnd)-1, len(fresh)-1, int(dst+n)+len(fresh)-1
		for ; j >= 0; w-- {
			p := fresh[j]
			h := headerKey(&digests[p])
			if i >= int(oldStart) && (g.post[i].hdr > h || g.post[i].hdr == h && g.post[i].pos > p) {
				g.post[w] = g.post[i]
				i--
				continue
			}
			g.post[w] = posting{hdr: h, partner: segValue(&digests[p], s^1), pos: p}
			j--
		}
		// What is left of the old list moves as a block.
		if k := uint32(i+1) - oldStart; dst != oldStart && k > 0 {
			copy(g.post[dst:dst+k], g.post[oldStart:oldStart+k])
		}
		g.start[v] = dst
		oldEnd = oldStart
	}
}

// neighbours[a] lists all 256 code bytes b in increasing byteDiff[a][b],
// and nbrDist[a] their distances.
var neighbours, nbrDist = func() (nb, nd [256][256]uint8) {
	for a := range 256 {
		bs := make([]int, 256)
		for b := range bs {
			bs[b] = b
		}
		slices.SortStableFunc(bs, func(x, y int) int { return cmp.Compare(byteDiff[a][x], byteDiff[a][y]) })
		for i, b := range bs {
			nb[a][i] = uint8(b)
			nd[a][i] = byteDiff[a][b]
		}
	}
	return nb, nd
}()

// ballSize returns the number of segment values within distance t of
// (a0, a1).
func ballSize(a0, a1 byte, t int) int {
	n := 0
	for i := 0; i < 256 && int(nbrDist[a0][i]) <= t; i++ {
		r := t - int(nbrDist[a0][i])
		for j := 0; j < 256 && int(nbrDist[a1][j]) <= r; j++ {
			n++
		}
	}
	return n
}

// scanThreshold is the total ball size over the 16 segments beyond which a
// scan is cheaper than the postings: the postings visited would then be an
// eighth of all of them.
const scanThreshold = numSegments * segValues / 8

// Search returns every entry whose Distance to q (with or without the
// length term) is at most maxDist, ordered by distance, then ID, then the
// order of Add. It returns the same set as comparing q with every entry.
func (x *Index) Search(q Digest, maxDist int, lengthTerm bool) []Match {
	m, _ := x.SearchLimit(q, maxDist, lengthTerm, 0)
	return m
}

// SearchLimit is Search returning at most limit matches (all of them if
// limit <= 0), the first limit of Search's order, and the number of matches
// in all. A query near a digest shared by thousands of copies returns its
// nearest matches and the count without building the rest.
func (x *Index) SearchLimit(q Digest, maxDist int, lengthTerm bool, limit int) ([]Match, int) {
	return x.searchLimit(q, maxDist, lengthTerm, limit, nil)
}

// searchStats counts the work of one search, for the benchmarks: figures
// that do not depend on the machine's load.
type searchStats struct {
	lists, postings, reads int
}

// searchLimit is SearchLimit, counting its work in st if st is not nil.
func (x *Index) searchLimit(q Digest, maxDist int, lengthTerm bool, limit int, st *searchStats) ([]Match, int) {
	if maxDist < 0 {
		return nil, 0
	}
	// No two digests are further apart than 1536 + 2*84 + 1 + 128*6.
	maxDist = min(maxDist, 1<<16)
	x.mu.RLock()
	if len(x.digests)-x.built > pendingLimit(x.built) {
		x.mu.RUnlock()
		x.mu.Lock()
		x.build()
		x.mu.Unlock()
		x.mu.RLock()
	}
	defer x.mu.RUnlock()

	var out []match
	t := maxDist / 8 / 2 // the ball radius u
	total := 0
	for s := 0; s < numSegments && total <= scanThreshold; s++ {
		total += ballSize(q.code[2*s], q.code[2*s+1], t)
	}
	if total > scanThreshold {
		out = x.scan(out, &q, 0, len(x.digests), maxDist, lengthTerm)
	} else {
		out = x.searchPostings(out, &q, maxDist, lengthTerm, st)
		out = x.scan(out, &q, x.built, len(x.digests), maxDist, lengthTerm)
	}
	// Each match so far is a group's first position: the total counts the
	// groups' sizes, and only the groups needed for limit are expanded, the
	// nearest distances first (the order is by distance before anything
	// else, so a distance level left out cannot precede one kept).
	n := 0
	for _, m := range out {
		n += int(x.size[m.pos])
	}
	if n == 0 {
		return nil, 0
	}
	if limit > 0 && n > limit {
		slices.SortFunc(out, func(a, b match) int { return cmp.Compare(a.dist, b.dist) })
	}
	firsts, collected := len(out), 0
	for i := 0; i < firsts; {
		j := i
		for j < firsts && out[j].dist == out[i].dist {
			j++
		}
		for _, m := range out[i:j] {
			collected += int(x.size[m.pos])
			// Under a limit, a sorted chain is read only as far as its
			// first limit copies: any further one comes after them in
			// the order, so after limit matches of this level.
			k := len(out) + limit
			if limit <= 0 || x.unsorted[m.pos] {
				k = len(out) + int(x.size[m.pos])
			}
			for p := x.dupNext[m.pos]; p != 0 && len(out) < k; p = x.dupNext[p-1] {
				out = append(out, match{p - 1, m.dist})
			}
		}
		i = j
		if limit > 0 && collected >= limit {
			// Keep the expanded levels: the firsts of levels [0, j) and
			// the copies appended after all the firsts.
			out = append(out[:j], out[firsts:]...)
			break
		}
	}
	less := func(a, b match) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(x.ids[a.pos], x.ids[b.pos]), cmp.Compare(a.pos, b.pos))
	}
	if limit > 0 && len(out) > limit {
		out = smallest(out, limit, less)
	} else {
		slices.SortFunc(out, less)
	}
	res := make([]Match, len(out))
	for i, m := range out {
		res[i] = Match{ID: x.ids[m.pos], Digest: x.digests[m.pos], Distance: int(m.dist)}
	}
	return res, n
}

// smallest returns the k smallest of ms in order (k < len(ms)), in
// O(len(ms) log k) with a max-heap of the best k so far, reusing ms.
func smallest(ms []match, k int, cmp func(a, b match) int) []match {
	h := ms[:0:k]
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(h) {
				return
			}
			if c+1 < len(h) && cmp(h[c+1], h[c]) > 0 {
				c++
			}
			if cmp(h[c], h[i]) <= 0 {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for _, m := range ms[:len(ms):len(ms)] {
		switch {
		case len(h) < k:
			h = append(h, m)
			for i := len(h) - 1; i > 0 && cmp(h[i], h[(i-1)/2]) > 0; i = (i - 1) / 2 {
				h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
			}
		case cmp(m, h[0]) < 0:
			h[0] = m
			down(0)
		}
	}
	best := slices.Clone(h)
	slices.SortFunc(best, cmp)
	return best
}

type match struct {
	pos  uint32
	dist int32
}

// scan compares q with the entries at positions [from, to).
func (x *Index) scan(out []match, q *Digest, from, to, maxDist int, lengthTerm bool) []match {
	for p := from; p < to; p++ {
		if !x.isFirst(uint32(p)) {
			continue // compared as its group's first position
		}
		if d := Distance(*q, x.digests[p], lengthTerm); d <= maxDist {
			out = append(out, match{uint32(p), int32(d)})
		}
	}
	return out
}

// searchPostings is steps 2 and 3 of the Index comment, with the levels
// of scanPlan, over the built entries.
func (x *Index) searchPostings(out []match, q *Digest, maxDist int, lengthTerm bool, st *searchStats) []match {
	u := maxDist / 8 / 2
	// Header cost by posting header byte: lc by lvalue, qc by q ratios.
	var lc, qc [256]int32
	for v := range 256 {
		if lengthTerm {
			lc[v] = int32(lengthCost(q.lvalue - byte(v)))
		}
		qc[v] = int32(qCost(q.q-byte(v)) + qCost(q.q>>4-byte(v)>>4))
	}
	D := int32(maxDist)
	plan := scanPlan(maxDist)
	bmin := plan.bmin
	// A posting of segment s at seg distance dv is needed only if its
	// entry's budget B_c = D - header(q, c) is one the plan visits (at
	// least bmin[dv][s]), so
	// only the headers costing at most D - bmin[dv][s] are within reach.
	// Long posting lists (ordered by header) are entered at those headers
	// only: most postings met at dv >= 1 would otherwise be read only to
	// fail that test. The reachable headers are computed once per
	// distinct bound.
	ranges := map[int32][]hdrRange{}
	for dv := range bmin {
		for _, b := range bmin[dv] {
			if _, ok := ranges[b]; !ok && b <= D {
				ranges[b] = reachableHeaders(&lc, q.q, D-b)
			}
		}
	}
	const longList = 32
	vis := &visitor{x: x, q: q, lc: &lc, qc: &qc, D: D, out: out, seen: x.bitmap()}
	defer vis.release()
	// The lists to visit are found first, and their first cache lines
	// touched in a loop of independent loads, before any is visited: a
	// query visits some 200 lists, mostly short ones scattered over the
	// postings, and reached one after the other their first misses (the
	// offsets, the first postings, the skip entries) were paid one at a
	// time, each behind the scan of the list before.
	lists := vis.lists[:0]
	for s := range numSegments {
		a0, a1 := q.code[2*s], q.code[2*s+1]
		for i := 0; i < 256 && int(nbrDist[a0][i]) <= u; i++ {
			d0 := int(nbrDist[a0][i])
			b0 := uint16(neighbours[a0][i])
			for j := 0; j < 256 && d0+int(nbrDist[a1][j]) <= u; j++ {
				dv := d0 + int(nbrDist[a1][j])
				if bmin[dv][s] > D {
					continue // no entry needs this level here
				}
				v := b0 | uint16(neighbours[a1][j])<<8
				lists = append(lists, list{v: v, s: uint8(s), dv: uint8(dv)})
			}
		}
	}
	for i := range lists {
		l := &lists[i]
		g := &x.seg[l.s]
		l.lo, l.hi = g.start[l.v], g.start[int(l.v)+1] // int: v+1 would wrap at 0xffff
	}
	var touch uint16
	for _, l := range lists {
		g := &x.seg[l.s]
		if l.hi > l.lo {
			touch += g.post[l.lo].hdr
		}
		if l.hi-l.lo > longList {
			touch += g.skip[(l.lo+l.hi)/(2*skipStep)]
		}
	}
	vis.touch = touch
	for _, l := range lists {
		if l.hi == l.lo {
			continue
		}
		g := &x.seg[l.s]
		s := int(l.s)
		// The query's partner segment, as byte-distance rows.
		p0, p1 := &byteDiff[q.code[2*(s^1)]], &byteDiff[q.code[2*(s^1)+1]]
		second := s&1 == 1
		dv := int32(l.dv)
		b, mask := bmin[dv][s], plan.mask[dv][s]
		lo, hi := l.lo, l.hi
		rs := ranges[b]
		if rs == nil || hi-lo <= longList {
			vis.visit(g, lo, hi, 0xffff, dv, b, mask, p0, p1, second)
			continue
		}
		// Each interval's start is bisected; its end is where visit
		// meets a header beyond it (a second bisection would read as
		// many cache lines again).
		k := lo
		for _, r := range rs {
			k = g.lowerBound(k, hi, r.a)
			if k = vis.visit(g, k, hi, r.b, dv, b, mask, p0, p1, second); k == hi {
				break
			}
		}
	}
	vis.lists = lists
	vis.flush()
	if st != nil {
		st.lists += len(lists)
		st.postings += vis.scanned
		st.reads += len(vis.read)
	}
	return vis.out
}

// levels says at which budgets Search visits each segment at each seg
// distance: segment s at dv for an entry of budget B iff B >= bmin[dv][s]
// and bit B of mask[dv][s] is set (budgets from 0 to 63; at larger
// distances every bit is set and bmin alone decides).
type levels struct {
	bmin [][numSegments]int32
	mask [][numSegments]uint64
}

// visits reports whether the plan visits segment s at dv for budget b.
func (l *levels) visits(dv, s int, b int32) bool {
	return b >= l.bmin[dv][s] && l.mask[dv][s]>>(uint32(b)&63)&1 == 1
}

// scanPlan returns the levels of a search at distance maxDist, as justified
// here.
//
// The Index comment visits every segment at every dv <= u_c. Fewer visits
// suffice, by counting. Let an entry c have budget B >= 0 and T =
// floor(B/8), u = floor(B/16). Visit segment s at levels dv <= L_s, where
// L_s = u for s < m and u-1 for s >= m (-1: not at all), and call pair j
// "covering" if pair_j <= T and one of its segments s has seg_s <= L_s.
// If no pair covers, each pair j is at least its least non-covering value
// n_j (the least pair_j over the segment distances (a, b) for which pair j
// does not cover), so Σ_j pair_j >= Σ_j n_j. Hence when Σ_j n_j > B, every
// entry within its budget has a covering pair, and is visited there at a
// posting that passes step 3's pair test (pair_j <= T). n_j depends only
// on how many of the pair's two segments are below m, so m is the least
// value for which the sum exceeds B. For D = 30 this gives, for B >= 16, m
// = 2B-31 up to B = 23 and m = B-15 from 24: an entry whose header costs h
// (B = 30-h) is visited at dv = 1 only in the first 15-h segments, not in
// all 16, which more than halves the postings a realistic query scans. (m
// is not monotonic in B, as T grows at B = 24: hence a mask of budgets,
// not a least budget alone.)
//
// The second segment of a pair may skip a posting whose partner is at seg
// distance pd <= dv: for every B, L is non-increasing in s, so the partner
// (s-1) is visited at pd for the same budget, and its pair test is the
// same.
func scanPlan(maxDist int) levels {
	u := maxDist / 16
	l := levels{bmin: make([][numSegments]int32, u+1), mask: make([][numSegments]uint64, u+1)}
	for dv := range l.bmin {
		for s := range numSegments {
			l.bmin[dv][s] = int32(maxDist) + 1
		}
	}
	if maxDist >= 64 {
		// Beyond the mask: every segment at every dv <= u_c.
		for dv := range l.bmin {
			for s := range numSegments {
				l.bmin[dv][s], l.mask[dv][s] = int32(16*dv), ^uint64(0)
			}
		}
		return l
	}
	for B := maxDist; B >= 0; B-- {
		uB, t := B/16, B/8
		// n(l0, l1): the least pair value, over segment distances (a, b),
		// at which a pair whose segments are visited up to levels l0 and
		// l1 does not cover.
		n := func(l0, l1 int) int {
			least := t + 1 // beyond T: never covers
			for a := 0; a <= t; a++ {
				for b := 0; a+b <= t; b++ {
					if a > l0 && b > l1 {
						least = min(least, a+b)
					}
				}
			}
			return least
		}
		full, half, low := n(uB, uB), n(uB, uB-1), n(uB-1, uB-1)
		m := numSegments
		for k := range numSegments + 1 {
			sum := (k/2)*full + (numSegments-k)/2*low
			if k%2 == 1 {
				sum += half
			}
			if sum > B {
				m = k
				break
			}
		}
		for s := range numSegments {
			top := uB
			if s >= m {
				top--
			}
			for dv := 0; dv <= top; dv++ {
				l.bmin[dv][s] = int32(B)
				l.mask[dv][s] |= 1 << B
			}
		}
	}
	return l
}

// hdrRange is an interval [a, b] of posting headers (lvalue<<8 | q).
type hdrRange struct{ a, b uint16 }

// maxHdrRanges bounds the binary searches per long posting list: beyond it
// (without the length term every length class is in reach) the whole list
// is visited.
const maxHdrRanges = 12

// reachableHeaders returns, in increasing order, the intervals of posting
// headers whose length and q2 terms (a lower bound of the header cost: the
// q1 term is left to the posting test, being the last key of the order)
// are at most maxH, or nil if there are more than maxHdrRanges of them.
// lc is the length term by lvalue (all 0 without the length term).
func reachableHeaders(lc *[256]int32, q byte, maxH int32) []hdrRange {
	var rs []hdrRange
	for lv := range 256 {
		if lc[lv] > maxH {
			continue
		}
		for n := range 16 {
			if lc[lv]+int32(qCost(q>>4-byte(n))) > maxH {
				continue
			}
			a := uint16(lv)<<8 | uint16(n)<<4
			if k := len(rs); k > 0 && rs[k-1].b+1 == a {
				rs[k-1].b = a | 15
				continue
			}
			if len(rs) == maxHdrRanges {
				return nil
			}
			rs = append(rs, hdrRange{a, a | 15})
		}
	}
	if rs == nil {
		rs = []hdrRange{} // nothing in reach: not the "visit all" nil
	}
	return rs
}

// visitor holds what step 3 of the Index comment needs for one query.
type visitor struct {
	x      *Index
	q      *Digest
	lc, qc *[256]int32
	D      int32
	out    []match
	seen   []uint64 // positions already read
	read   []uint32 // the positions set in seen, to clear them

	pending [32]candidate // to read, in one batch
	n       int

	lists   []list // the posting lists of the query
	scanned int    // postings scanned
	touch   uint16 // sum of the touched headers, kept so the loads are not dropped
}

// list is one posting list a search visits: the postings [lo, hi) of
// segment value v of segment s, at seg distance dv from the query's.
type list struct {
	lo, hi uint32
	v      uint16
	s, dv  uint8
}

func (v *visitor) release() {
	for _, p := range v.read {
		v.seen[p>>6] = 0
	}
	v.x.bitmaps.Put(&v.seen)
}

// bitmap returns a zeroed bitmap of at least len(x.digests) bits from the
// pool; x.mu is held for reading.
func (x *Index) bitmap() []uint64 {
	n := (len(x.digests) + 63) / 64
	if b, ok := x.bitmaps.Get().(*[]uint64); ok && len(*b) >= n {
		return *b
	}
	return make([]uint64, n+n/4)
}

// visit is step 3 of the Index comment over the postings [lo, hi) of one
// segment value at seg distance dv from the query's.
//
// It stops before the first posting whose header is above maxHdr and
// returns where it stopped.
func (v *visitor) visit(g *segment, lo, hi uint32, maxHdr uint16, dv, bmin int32, mask uint64, p0, p1 *[256]uint8, second bool) uint32 {
	lc, qc, D := v.lc, v.qc, v.D
	// The tests of step 3, with scanPlan's levels, are combined without
	// branches (they fail unpredictably, about one posting in two at
	// each): with tc = floor(B_c/8) by an arithmetic shift, a posting
	// passes when B_c >= bmin (>= 0), bit B_c of mask is set, tc >= dv + pd
	// and, at the second segment of a pair, pd > dv; that is when none of
	// B_c-bmin, the mask bit minus 1, tc-dv-pd and (second) pd-dv-1 is
	// negative.
	var sm int32
	if second {
		sm = -1
	}
	for k := lo; k < hi; k++ {
		pk := &g.post[k]
		h := pk.hdr
		if h > maxHdr {
			v.scanned += int(k - lo)
			return k
		}
		budget := D - lc[h>>8] - qc[h&0xff]
		pv := pk.partner
		pd := int32(p0[byte(pv)]) + int32(p1[byte(pv>>8)])
		tc := budget >> 3
		miss := int32(mask>>(uint32(budget)&63)&1) - 1
		if (budget-bmin)|miss|(tc-dv-pd)|(sm&(pd-dv-1)) < 0 {
			continue
		}
		p := pk.pos
		if w, bit := &v.seen[p>>6], uint64(1)<<(p&63); *w&bit != 0 {
			continue
		} else {
			*w |= bit
			v.read = append(v.read, p)
		}
		v.pending[v.n] = candidate{p, budget}
		if v.n++; v.n == len(v.pending) {
			v.flush()
		}
	}
	v.scanned += int(hi - lo)
	return hi
}

// candidate is an entry to read, with its budget for checksum and body.
type candidate struct {
	pos    uint32
	budget int32
}

// flush reads the pending candidates and keeps those within their budget.
// Their digests are spread over memory: copying them first, in a short
// loop of independent loads, lets their cache misses overlap.
func (v *visitor) flush() {
	var ds [len(visitor{}.pending)]Digest
	for i, c := range v.pending[:v.n] {
		ds[i] = v.x.digests[c.pos]
	}
	for i, c := range v.pending[:v.n] {
		if d, ok := within(v.q, &ds[i], int(c.budget)); ok {
			v.out = append(v.out, match{c.pos, v.D - c.budget + int32(d)})
		}
	}
	v.n = 0
}

// within reports whether the checksum and body distance between q and c
// fit in budget, and returns it.
func within(q, c *Digest, budget int) (int, bool) {
	d := 0
	for j2 := range numSegments / 2 {
		k := 4 * j2
		d += int(byteDiff[q.code[k]][c.code[k]]) + int(byteDiff[q.code[k+1]][c.code[k+1]]) +
			int(byteDiff[q.code[k+2]][c.code[k+2]]) + int(byteDiff[q.code[k+3]][c.code[k+3]])
		if d > budget {
			return 0, false
		}
	}
	if q.checksum != c.checksum {
		d++
	}
	return d, d <= budget
}
