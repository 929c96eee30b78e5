package ssdeep

import "math/bits"

// Compare scores the similarity of two digests from 0 (no similarity found)
// to 100, with the result of libfuzzy 2.14.1's fuzzy_compare:
//
//   - both digests are normalised (runs of more than 3 identical characters
//     cut to 3);
//   - equal block sizes and equal normalised parts score 100;
//   - block sizes must be equal or differ by a factor of two, otherwise 0;
//     equal block sizes score the better of part1/part1 and part2/part2,
//     a factor of two compares the parts at the common block size;
//   - two strings score only if both have at least 7 characters and share
//     a 7-character substring (libfuzzy filters with its rolling hash and
//     confirms with memcmp; here the same exact test is bit-parallel); the
//     score is then
//     100 - (100·(64·d/(n+m)))/64 with integer division, d being the edit
//     distance (insertion and deletion 1, substitution 2) and n, m the
//     lengths; for block sizes below 45 it is capped at
//     (blocksize/3)·min(n, m).
//
// Compare is symmetric. Digests whose normalised parts are longer than 64
// characters, which fuzzy_compare rejects as malformed, score 0.
func Compare(a, b Digest) int {
	if !compatible(a.BlockSize, b.BlockSize) {
		return 0
	}
	var a1, a2, b1, b2 [SpamSumLength]byte
	na1, ok1 := normalize(&a1, a.Part1)
	na2, ok2 := normalize(&a2, a.Part2)
	nb1, ok3 := normalize(&b1, b.Part1)
	nb2, ok4 := normalize(&b2, b.Part2)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0
	}
	return compareNormalized(a.BlockSize, a1[:na1], a2[:na2], b.BlockSize, b1[:nb1], b2[:nb2])
}

// compatible reports whether digests of block sizes x and y can score.
func compatible(x, y uint32) bool {
	return x == y || uint64(x)*2 == uint64(y) || uint64(y)*2 == uint64(x)
}

// compareNormalized is Compare on normalised parts.
func compareNormalized(abs uint32, a1, a2 []byte, bbs uint32, b1, b2 []byte) int {
	switch {
	case abs == bbs:
		if string(a1) == string(b1) && string(a2) == string(b2) {
			return 100
		}
		s1 := scoreStrings(a1, b1, uint64(abs))
		s2 := scoreStrings(a2, b2, uint64(abs)*2)
		return max(s1, s2)
	case uint64(abs)*2 == uint64(bbs):
		return scoreStrings(a2, b1, uint64(bbs))
	case uint64(bbs)*2 == uint64(abs):
		return scoreStrings(a1, b2, uint64(abs))
	}
	return 0
}

// pattern holds, for a string p of at most 64 bytes, the bit set of the
// positions of every byte value: bit i of mask[c] is set iff p[i] == c.
type pattern struct {
	mask [256]uint64
	n    int
}

func (p *pattern) set(s []byte) {
	p.n = len(s)
	for i, c := range s {
		p.mask[c] |= 1 << uint(i)
	}
}

// scoreStrings scores two normalised parts compared at block size bs.
func scoreStrings(s1, s2 []byte, bs uint64) int {
	if len(s1) < rollingWindow || len(s2) < rollingWindow {
		return 0
	}
	var p pattern
	p.set(s1)
	return p.score(s2, bs)
}

// score is scoreStrings(p's string, s, bs).
func (p *pattern) score(s []byte, bs uint64) int {
	n, m := p.n, len(s)
	if n < rollingWindow || m < rollingWindow || !p.hasCommon7(s) {
		return 0
	}
	d := uint64(n + m - 2*p.lcs(s))
	score := 100 - (100*(d*SpamSumLength/uint64(n+m)))/SpamSumLength
	if bs >= (99+rollingWindow)/rollingWindow*minBlockSize {
		return int(score)
	}
	if limit := bs / minBlockSize * uint64(min(n, m)); score > limit {
		score = limit
	}
	return int(score)
}

// hasCommon7 reports whether s and p's string share a substring of 7 bytes.
// After reading s[j], bit i of r[k-1] is set iff the k bytes ending at
// p[i] equal the k bytes ending at s[j].
func (p *pattern) hasCommon7(s []byte) bool {
	var r1, r2, r3, r4, r5, r6 uint64
	for _, c := range s {
		m := p.mask[c]
		if m&(r6<<1) != 0 {
			return true
		}
		r6 = m & (r5 << 1)
		r5 = m & (r4 << 1)
		r4 = m & (r3 << 1)
		r3 = m & (r2 << 1)
		r2 = m & (r1 << 1)
		r1 = m
	}
	return false
}

// lcs returns the length of the longest common subsequence of s and p's
// string (bit-parallel, Allison-Dix / Hyyrö). The edit distance with
// insertions and deletions of cost 1 (a substitution being one of each)
// is n + m - 2·lcs.
func (p *pattern) lcs(s []byte) int {
	v := ^uint64(0)
	for _, c := range s {
		u := v & p.mask[c]
		v = (v + u) | (v - u)
	}
	lowMask := ^uint64(0)
	if p.n < 64 {
		lowMask = 1<<uint(p.n) - 1
	}
	return bits.OnesCount64(^v & lowMask)
}
