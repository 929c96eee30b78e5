package ssdeep

import (
	"cmp"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// Index finds, among many stored digests, every one that scores at least
// a threshold against a query: exactly the set that comparing the query
// with each stored digest (Compare) returns, without comparing them all.
//
// # Why no result is lost
//
// Compare(q, s) > 0 only in one of these cases:
//
//  1. q and s have the same block size and equal normalised parts (100);
//  2. some normalised part of q and some normalised part of s, compared at
//     the same block size B, both have 7 or more characters and share a
//     substring of 7 characters (score_strings returns 0 otherwise). The
//     part compared at B is part 1 of a digest of block size B or part 2
//     of one of block size B/2.
//
// For case 2 every stored part is indexed in the key space of the block
// size it is compared at (part 1 at B, part 2 at 2B), with winnowing over
// 3-character grams: for each run of 5 consecutive grams (7 characters)
// the gram with the smallest hash is selected. If two strings share 7
// characters, the 5 grams of that substring are the same in both, so the
// same smallest hash is selected in both: the query's selected keys in
// the key spaces of its two block sizes (B for part 1, 2B for part 2) meet
// a key of s. A key space holds only parts compared at that block size,
// so any digest found there has a compatible block size. Case 1 is covered
// by the same keys when a part has 7 or more characters, and by an exact
// table of digests whose two parts are both shorter. Query grams holding
// a byte that is not base64 are left out of the selection: no stored part
// holds one, so no shared substring does. Candidates are then
// scored with the same arithmetic as Compare, and kept if the score
// reaches the threshold, so the result is exactly the scan's. Hash
// collisions in the bucket table only add candidates.
//
// Stored digests are kept normalised and packed (6 bits a character), so
// a Match reports the caller's id and the score, not the digest;
// postings are 4-byte entry numbers with a 6-bit key fingerprint in a
// bucket table (compressed sparse rows); new entries go to a chained tail
// merged into the table when it grows past an eighth of it.
//
// An Index holds at most 2^26-1 (67 million) digests.
//
// An Index is safe for concurrent use: Add excludes other calls; Search,
// Len and WriteTo run in parallel with each other.
type Index struct {
	mu sync.RWMutex

	ids   []uint64 // caller's id, per entry
	ents  []ent    // per entry: where its parts are and their sizes
	arena [][]byte // chunks of arenaChunk bytes; an entry never straddles two

	offsets  []uint32 // bucket b's postings are postings[offsets[b]:offsets[b+1]]
	postings []uint32 // entry number<<fpBits | key fingerprint, ascending within a bucket
	frozen   int      // entries [0, frozen) are in offsets/postings

	tailHead []uint32 // per bucket: 1 + index in tailIDs of its newest tail posting
	tailNext []uint32 // per tail posting: 1 + index of the next older one
	tailIDs  []uint32 // postings, as in postings

	short map[string][]uint32 // entries whose two parts are shorter than 7

	// Identical entries (same block size and parts) form a group: only the
	// group's first entry has postings and is scored; the others follow it
	// in a chain of dupNext (1 + the next entry of the group, 0 at the end),
	// in the order added. groups maps a hash of the content to the first
	// and last entries of its group. Real collections hold thousands of
	// copies of some files (licences, empty files); without groups, each
	// copy would be a candidate to score for every query near it.
	groups  map[uint64]group
	dupNext []uint32
	dupSize []uint32 // per entry: the size of its group if it is a group's first, else 0

	bitmaps sync.Pool // of *[]uint64, zeroed: Search's candidate sets

	mergeMin int // tail entries before a merge is worth it
}

// ent locates an entry's packed parts in the arena. meta is the block size
// exponent | len(part1)<<8 | len(part2)<<16 | hasCopies<<24, hasCopies
// being set on the first entry of a group of two or more. The two words sit
// together so that a candidate costs one cache miss here, not two.
type ent struct{ off, meta uint32 }

const (
	metaSizes = 1<<24 - 1 // the exponent and lengths
	hasCopies = 1 << 24
)

// group is the first and last entry of a group of identical entries.
type group struct{ first, last uint32 }

// Match is one search result.
type Match struct {
	ID    uint64 // as given to Add
	Score int    // Compare(query, stored digest), 1..100
}

const (
	gramLen    = 3
	winLen     = rollingWindow - gramLen + 1 // grams per 7 characters
	bucketBits = 20
	numBuckets = 1 << bucketBits
	arenaChunk = 1 << 20
	fpBits     = 6 // key fingerprint bits stored in each posting
	maxEntries = 1<<(32-fpBits) - 1
	noValue    = 0xff // a character that is not base64
)

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{short: map[string][]uint32{}, groups: map[uint64]group{}, mergeMin: 8192}
}

// Len returns the number of digests stored.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// blockExp returns n for a block size 3·2^n (n ≤ 30), or -1.
func blockExp(bs uint32) int {
	if !validBlockSize(bs) {
		return -1
	}
	return bits.TrailingZeros32(bs / minBlockSize)
}

// values normalises s and maps it to 6-bit values (noValue for other
// bytes); ok is false if the result is longer than 64.
func values(dst *[SpamSumLength]byte, s string) (n int, ok bool) {
	n, ok = normalize(dst, s)
	for i := range n {
		v := b64Value[dst[i]]
		if v < 0 {
			dst[i] = noValue
		} else {
			dst[i] = byte(v)
		}
	}
	return n, ok
}

// Add stores d under id (ids need not be unique). It fails if d is not a
// valid digest (see Digest.Valid) or the index is full (2^26-1 entries).
func (x *Index) Add(d Digest, id uint64) error {
	if !d.Valid() {
		return fmt.Errorf("ssdeep: index add %q: %w", d.String(), ErrSyntax)
	}
	var p1, p2 [SpamSumLength]byte
	n1, _ := values(&p1, d.Part1)
	n2, _ := values(&p2, d.Part2)
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.add(blockExp(d.BlockSize), p1[:n1], p2[:n2], id)
}

// add stores an entry of normalised 6-bit parts; x.mu is held.
func (x *Index) add(exp int, p1, p2 []byte, id uint64) error {
	if len(x.ids) >= maxEntries {
		return errors.New("ssdeep: index full")
	}
	size := packedLen(len(p1) + len(p2))
	last := len(x.arena) - 1
	if last < 0 || len(x.arena[last])+size > arenaChunk {
		if len(x.arena) >= 1<<32/arenaChunk {
			return errors.New("ssdeep: index full")
		}
		x.arena = append(x.arena, make([]byte, 0, arenaChunk))
		last++
	}
	off := uint32(last*arenaChunk + len(x.arena[last]))
	x.arena[last] = pack(x.arena[last], p1, p2)
	e := uint32(len(x.ids))
	meta := uint32(exp) | uint32(len(p1))<<8 | uint32(len(p2))<<16
	x.ids = append(x.ids, id)
	x.ents = append(x.ents, ent{off, meta})
	x.dupNext = append(x.dupNext, 0)
	x.dupSize = append(x.dupSize, 1)

	if len(p1) < rollingWindow && len(p2) < rollingWindow {
		k := shortKey(exp, p1, p2)
		x.short[k] = append(x.short[k], e)
		return nil
	}
	packed := x.arena[last][off%arenaChunk:]
	h := contentHash(meta, packed)
	if g, ok := x.groups[h]; ok && x.ents[g.first].meta&metaSizes == meta && string(x.packedOf(g.first)) == string(packed) {
		x.ents[g.first].meta |= hasCopies
		x.dupNext[g.last] = e + 1
		x.groups[h] = group{g.first, e}
		x.dupSize[g.first]++
		return nil
	} else if !ok {
		x.groups[h] = group{e, e}
	} // else a hash collision: the entry stays on its own
	if x.tailHead == nil {
		x.tailHead = make([]uint32, numBuckets)
	}
	var keys [2 * SpamSumLength]uint32
	ks := selectKeys(selectKeys(keys[:0], uint32(exp), p1), uint32(exp+1), p2)
	for _, k := range ks {
		b := k >> fpBits
		x.tailIDs = append(x.tailIDs, e<<fpBits|k&(1<<fpBits-1))
		x.tailNext = append(x.tailNext, x.tailHead[b])
		x.tailHead[b] = uint32(len(x.tailIDs))
	}
	if n := len(x.ids) - x.frozen; n >= x.mergeMin && n >= x.frozen/8 {
		x.merge()
	}
	return nil
}

// contentHash is FNV-1a over an entry's meta word and packed parts.
func contentHash(meta uint32, packed []byte) uint64 {
	h := uint64(14695981039346656037)
	for i := range 4 {
		h = (h ^ uint64(byte(meta>>(8*i)))) * 1099511628211
	}
	for _, c := range packed {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// packedOf returns entry e's packed parts.
func (x *Index) packedOf(e uint32) []byte {
	m, off := x.ents[e].meta, x.ents[e].off
	at := int(off % arenaChunk)
	return x.arena[off/arenaChunk][at : at+packedLen(int(m>>8&0xff)+int(m>>16&0xff))]
}

func shortKey(exp int, p1, p2 []byte) string {
	return string(rune('A'+exp)) + string(p1) + ":" + string(p2)
}

// merge moves the tail postings into the bucket table.
func (x *Index) merge() {
	if len(x.tailIDs) == 0 {
		x.frozen = len(x.ids)
		return
	}
	offsets := make([]uint32, numBuckets+1)
	postings := make([]uint32, len(x.postings)+len(x.tailIDs))
	var n uint32
	for b := range numBuckets {
		offsets[b] = n
		if x.offsets != nil {
			n += uint32(copy(postings[n:], x.postings[x.offsets[b]:x.offsets[b+1]]))
		}
		// The chain runs newest first: write it backwards.
		k := uint32(0)
		for t := x.tailHead[b]; t != 0; t = x.tailNext[t-1] {
			k++
		}
		for i, t := n+k, x.tailHead[b]; t != 0; t = x.tailNext[t-1] {
			i--
			postings[i] = x.tailIDs[t-1]
		}
		n += k
	}
	offsets[numBuckets] = n
	x.offsets, x.postings = offsets, postings
	clear(x.tailHead)
	x.tailIDs, x.tailNext = x.tailIDs[:0], x.tailNext[:0]
	x.frozen = len(x.ids)
}

// mix18 is a bijection of 18-bit values, so that gram order looks random.
func mix18(v uint32) uint32 {
	const m = 1<<18 - 1
	v ^= v >> 9
	v = v * 0x2E5BF & m
	v ^= v >> 7
	v = v * 0x1B873 & m
	v ^= v >> 9
	return v
}

// selectKeys appends the keys of the winnowed grams of v (6-bit values) in
// key space ks, without duplicates, and returns keys. A key is a hash of
// (ks, gram): its top bucketBits bits pick the bucket, the next fpBits are
// a fingerprint stored in the posting beside the entry number, which
// drops most entries that merely share the bucket. Strings shorter than 7
// have none.
func selectKeys(keys []uint32, ks uint32, v []byte) []uint32 {
	if len(v) < rollingWindow {
		return keys
	}
	const none = 1 << 31
	var g [SpamSumLength]uint32
	ng := len(v) - gramLen + 1
	for i := range ng {
		a, b, c := v[i], v[i+1], v[i+2]
		if a|b|c >= 64 {
			g[i] = none // holds a non-base64 byte: no stored string shares it
			continue
		}
		g[i] = mix18(uint32(a)<<12 | uint32(b)<<6 | uint32(c))
	}
	start := len(keys)
	for i := 0; i+winLen <= ng; i++ {
		m := g[i]
		for _, h := range g[i+1 : i+winLen] {
			m = min(m, h)
		}
		if m == none {
			continue
		}
		k := (ks<<18 | m) * 0x9E3779B1 >> (32 - bucketBits - fpBits)
		if !slices.Contains(keys[start:], k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func packedLen(n int) int { return (n*6 + 7) / 8 }

// pack appends the 6-bit values of p1 then p2, 4 to 3 bytes.
func pack(dst []byte, p1, p2 []byte) []byte {
	var acc uint32
	nb := 0
	for _, p := range [2][]byte{p1, p2} {
		for _, v := range p {
			acc = acc<<6 | uint32(v)
			nb += 6
			if nb >= 8 {
				nb -= 8
				dst = append(dst, byte(acc>>uint(nb)))
			}
		}
	}
	if nb > 0 {
		dst = append(dst, byte(acc<<uint(8-nb)))
	}
	return dst
}

// unpack reads n 6-bit values from src into dst; padding bits must be 0.
func unpack(dst []byte, src []byte, n int) (ok bool) {
	var acc uint32
	nb, j := 0, 0
	for i := range n {
		if nb < 6 {
			acc = acc<<8 | uint32(src[j])
			j++
			nb += 8
		}
		nb -= 6
		dst[i] = byte(acc>>uint(nb)) & 63
	}
	return acc&(1<<uint(nb)-1) == 0
}

// entry returns entry e's block size exponent and normalised parts.
func (x *Index) entry(e uint32, buf *[2 * SpamSumLength]byte) (exp int, p1, p2 []byte) {
	m, off := x.ents[e].meta, x.ents[e].off
	n1, n2 := int(m>>8&0xff), int(m>>16&0xff)
	chunk := x.arena[off/arenaChunk]
	at := int(off % arenaChunk)
	unpackFast(buf[:n1+n2], chunk[at:at+packedLen(n1+n2)])
	return int(m & 0xff), buf[:n1], buf[n1 : n1+n2]
}

// unpackFast is unpack without the padding check, 4 values from each 3
// bytes: Search unpacks every candidate, so this is on its hot path.
func unpackFast(dst, src []byte) {
	i, j := 0, 0
	for ; i+4 <= len(dst) && j+3 <= len(src); i, j = i+4, j+3 {
		v := uint32(src[j])<<16 | uint32(src[j+1])<<8 | uint32(src[j+2])
		dst[i], dst[i+1], dst[i+2], dst[i+3] = byte(v>>18), byte(v>>12)&63, byte(v>>6)&63, byte(v)&63
	}
	if i < len(dst) {
		unpack(dst[i:], src[j:], len(dst)-i)
	}
}

// query is a prepared Search query.
type query struct {
	exp        int
	n1, n2     int
	v1, v2     [SpamSumLength]byte
	pat1, pat2 pattern
}

func (q *query) prepare(d Digest) bool {
	q.exp = blockExp(d.BlockSize)
	if q.exp < 0 {
		return false // no valid block size is compatible with it
	}
	var ok1, ok2 bool
	q.n1, ok1 = values(&q.v1, d.Part1)
	q.n2, ok2 = values(&q.v2, d.Part2)
	if !ok1 || !ok2 {
		return false // Compare scores it 0 against anything
	}
	q.pat1.set(q.v1[:q.n1])
	q.pat2.set(q.v2[:q.n2])
	return true
}

// score is Compare(query, stored entry) on normalised values.
func (q *query) score(exp int, s1, s2 []byte) int {
	bs := uint64(minBlockSize) << uint(q.exp)
	switch exp {
	case q.exp:
		if string(q.v1[:q.n1]) == string(s1) && string(q.v2[:q.n2]) == string(s2) {
			return 100
		}
		return max(q.pat1.score(s1, bs), q.pat2.score(s2, 2*bs))
	case q.exp + 1:
		return q.pat2.score(s1, 2*bs)
	case q.exp - 1:
		return q.pat1.score(s2, bs)
	}
	return 0
}

// Search returns every stored digest d with Compare(q, d) >= minScore
// (minScore below 1 counts as 1), highest score first, then in the order
// they were added. It returns the same set as comparing q with every
// stored digest.
func (x *Index) Search(q Digest, minScore int) []Match {
	m, _ := x.SearchLimit(q, minScore, 0)
	return m
}

// SearchLimit is Search returning at most limit matches (all of them if
// limit <= 0), the first limit of Search's order, and the number of matches
// in all. A query whose answer set is huge (a digest shared by thousands of
// copies, such as that of an empty file, "3::") returns its nearest
// matches and the count without building the rest.
func (x *Index) SearchLimit(q Digest, minScore, limit int) ([]Match, int) {
	minScore = max(minScore, 1)
	var qq query
	if !qq.prepare(q) {
		return nil, 0
	}
	var keys [2 * SpamSumLength]uint32
	ks := selectKeys(selectKeys(keys[:0], uint32(qq.exp), qq.v1[:qq.n1]), uint32(qq.exp+1), qq.v2[:qq.n2])

	x.mu.RLock()
	defer x.mu.RUnlock()
	// An entry found under several keys is a candidate once: seen is a
	// bitmap of the entries, cleared again before it goes back to the pool
	// (cheaper than sorting tens of thousands of candidates).
	seen := x.bitmap()
	var cands []uint32
	add := func(e uint32) {
		if w, bit := &seen[e>>6], uint64(1)<<(e&63); *w&bit == 0 {
			*w |= bit
			cands = append(cands, e)
		}
	}
	for _, k := range ks {
		b, fp := k>>fpBits, k&(1<<fpBits-1)
		if x.offsets != nil {
			for _, p := range x.postings[x.offsets[b]:x.offsets[b+1]] {
				if p&(1<<fpBits-1) == fp {
					add(p >> fpBits)
				}
			}
		}
		if x.tailHead != nil {
			for t := x.tailHead[b]; t != 0; t = x.tailNext[t-1] {
				if p := x.tailIDs[t-1]; p&(1<<fpBits-1) == fp {
					add(p >> fpBits)
				}
			}
		}
	}
	for _, e := range cands {
		seen[e>>6] = 0
	}
	x.bitmaps.Put(&seen)

	// Score each group once (candidates are first entries of groups), then
	// expand the groups that reach minScore. Queries near shared
	// boilerplate have tens of thousands of candidates, most of them true
	// matches: those are scored on all CPUs.
	groups := x.scoreAll(&qq, cands, minScore)
	// Entries with two short parts are grouped by the short table.
	var short []uint32
	if qq.n1 < rollingWindow && qq.n2 < rollingWindow {
		short = x.short[shortKey(qq.exp, qq.v1[:qq.n1], qq.v2[:qq.n2])]
		if len(short) > 0 {
			// All of them equal the query: Compare scores them 100.
			groups = append(groups, hit{short[0], 100, len(short)})
		}
	}
	if len(groups) == 0 {
		return nil, 0
	}
	// Highest score first; within a score, entries in the order added.
	// Scores are 1..100: a counting sort by score, and then only the
	// levels needed for limit are sorted by entry.
	total := 0
	var level [101]int
	for _, g := range groups {
		total += g.n
		level[g.score]++
	}
	for sc, at := 100, 0; sc >= 0; sc-- {
		level[sc], at = at, at+level[sc]
	}
	byScore := make([]hit, len(groups))
	for _, g := range groups {
		byScore[level[g.score]] = g
		level[g.score]++
	}
	groups = byScore
	var out []hit
	for i := 0; i < len(groups); {
		// One score level at a time, stopping once limit are collected.
		j := i
		for j < len(groups) && groups[j].score == groups[i].score {
			j++
		}
		start := len(out)
		if j-i > 1 {
			slices.SortFunc(groups[i:j], func(a, b hit) int { return cmp.Compare(a.e, b.e) })
		}
		// Under a limit, a group gives at most the limit-start entries
		// this level can still need: its entries are in the order added,
		// as the level's are, so any further one of it comes after them.
		// A query such as "3::" (thousands of copies) then reads limit
		// copies, not all of them.
		need := len(x.ids)
		if limit > 0 {
			need = limit - start
		}
		for _, g := range groups[i:j] {
			if g.e == firstShort(short) {
				for _, e := range short[:min(need, len(short))] {
					out = append(out, hit{e, g.score, 1})
				}
				continue
			}
			for e, k := g.e+1, 0; e != 0 && k < need; e, k = x.dupNext[e-1], k+1 {
				out = append(out, hit{e - 1, g.score, 1})
			}
		}
		if j-i > 1 {
			slices.SortFunc(out[start:], func(a, b hit) int { return cmp.Compare(a.e, b.e) })
		}
		i = j
		if limit > 0 && len(out) >= limit {
			out = out[:limit]
			break
		}
	}
	matches := make([]Match, len(out))
	for i, h := range out {
		matches[i] = Match{ID: x.ids[h.e], Score: h.score}
	}
	return matches, total
}

// bitmap returns a zeroed bitmap of at least len(x.ids) bits from the pool;
// x.mu is held for reading, so the length cannot change meanwhile.
func (x *Index) bitmap() []uint64 {
	n := (len(x.ids) + 63) / 64
	if b, ok := x.bitmaps.Get().(*[]uint64); ok && len(*b) >= n {
		return *b
	}
	return make([]uint64, n+n/4) // room to grow
}

// parallelMin is the number of candidates from which scoring is split
// between goroutines: below it, starting them costs more than it saves.
const parallelMin = 2048

// scoreAll scores the candidates cands (group first entries) against qq and
// returns those reaching minScore, in the order of cands.
func (x *Index) scoreAll(qq *query, cands []uint32, minScore int) []hit {
	score := func(cands []uint32, out []hit) []hit {
		// The candidates are spread over the arena: each costs cache
		// misses. A batch first copies its candidates' entries and packed
		// parts (short loops of independent loads, whose misses overlap),
		// then unpacks and scores them from the copies.
		const batch = 32
		var ents [batch]ent
		var packed [batch][96]byte
		var buf [2 * SpamSumLength]byte
		for len(cands) > 0 {
			b := cands[:min(batch, len(cands))]
			cands = cands[len(b):]
			for i, e := range b {
				ents[i] = x.ents[e]
			}
			for i := range b {
				m, off := ents[i].meta, ents[i].off
				at := int(off % arenaChunk)
				copy(packed[i][:], x.arena[off/arenaChunk][at:at+packedLen(int(m>>8&0xff)+int(m>>16&0xff))])
			}
			for i, e := range b {
				m := ents[i].meta
				n1, n2 := int(m>>8&0xff), int(m>>16&0xff)
				unpackFast(buf[:n1+n2], packed[i][:packedLen(n1+n2)])
				if s := qq.score(int(m&0xff), buf[:n1], buf[n1:n1+n2]); s >= minScore {
					n := 1
					if m&hasCopies != 0 {
						n = int(x.dupSize[e])
					}
					out = append(out, hit{e, s, n})
				}
			}
		}
		return out
	}
	workers := min(runtime.GOMAXPROCS(0), len(cands)/(parallelMin/2))
	if workers < 2 {
		return score(cands, nil)
	}
	parts := make([][]hit, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := len(cands)*w/workers, len(cands)*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[w] = score(cands[lo:hi], nil)
		}()
	}
	wg.Wait()
	return slices.Concat(parts...)
}

// hit is a scored group: its first entry, the score and its size.
type hit struct {
	e     uint32
	score int
	n     int
}

// firstShort is the first entry of a short-table list, or an impossible
// entry number if there is none.
func firstShort(short []uint32) uint32 {
	if len(short) == 0 {
		return 1<<32 - 1
	}
	return short[0]
}

// scan is the brute-force Search: it scores q against every entry. It is
// the reference Search is tested and measured against.
func (x *Index) scan(q Digest, minScore int) []Match {
	minScore = max(minScore, 1)
	var qq query
	if !qq.prepare(q) {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Match
	var buf [2 * SpamSumLength]byte
	for e := range x.ids {
		exp, s1, s2 := x.entry(uint32(e), &buf)
		if exp < qq.exp-1 || exp > qq.exp+1 {
			continue
		}
		if s := qq.score(exp, s1, s2); s >= minScore {
			out = append(out, Match{ID: x.ids[e], Score: s})
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int { return cmp.Compare(b.Score, a.Score) })
	return out
}
