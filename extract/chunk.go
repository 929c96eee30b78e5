package extract

import (
	"sort"
	"strings"
	"unsafe"

	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/netenrich"
)

// unsafeString views b as a string without copying; the string must not
// outlive the next change of b (values kept are cloned).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// arena holds the bytes of the strings of items: one allocation for many
// items instead of three per item. A full arena is left to the strings
// that point into it (it is never written again) and a new one started, so
// memory stays proportional to the items kept, not to the input.
type arena struct{ b []byte }

func (a *arena) grow(n int) {
	if cap(a.b)-len(a.b) < n {
		a.b = make([]byte, 0, max(64<<10, n))
	}
}

// str returns a string holding a copy of b.
func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	a.grow(len(b))
	start := len(a.b)
	a.b = append(a.b, b...)
	return unsafe.String(&a.b[start], len(b))
}

// strs returns a string holding a copy of s.
func (a *arena) strs(s string) string {
	if len(s) == 0 {
		return ""
	}
	a.grow(len(s))
	start := len(a.b)
	a.b = append(a.b, s...)
	return unsafe.String(&a.b[start], len(s))
}

// snippet returns snippet(b, start, end) in the arena.
func (a *arena) snippet(b []byte, start, end int) string {
	a.grow(end - start + 2*snippetW)
	out := appendSnippet(a.b[len(a.b):len(a.b)], b, start, end)
	if len(out) == 0 {
		return ""
	}
	if &out[0] != &a.b[len(a.b):cap(a.b)][0] {
		return string(out) // replaced by ToValidUTF8: not in the arena
	}
	a.b = a.b[:len(a.b)+len(out)]
	return unsafe.String(&out[0], len(out))
}

// chunk reports the items of buf that start in buf[from:end]; base is the
// input offset of buf[0].
func (s *scanner) chunk(buf []byte, base int64, from, end int, fn func(Item) error) error {
	s.refangChunk(buf)
	s.indicators()
	sortSpans(s.spans)
	items := s.items[:0]
	// covered holds the indicator spans in chunk offsets, by start, and
	// maxEnd[k] the furthest end of covered[:k+1]: a name inside an
	// indicator ("Turla" in a URL) is not a mention.
	covered, maxEnd := s.covered[:0], s.maxEnd[:0] // reused: 0.4 MB a chunk of a write-up
	hex := s.hex[:0]                               // the hashes' spans, for the name matcher
	type key struct {
		t     ioc.Type
		at    int
		value string
	}
	var last key
	// Spans are in order of start: the move before each start is found
	// by moving on from the one before (at's binary search, twice per
	// span, was 3% of the scan), the move before its end from there.
	mk := -1
	for _, sp := range s.spans {
		mk = s.moveBefore(mk, sp.start)
		me := s.moveBefore(mk, sp.end)
		a, b := s.atMove(mk, sp.start), s.atMove(me, sp.end)
		if me == mk && b-a == sp.end-sp.start && hashType(b-a) == sp.t {
			// In step with the refanged text: the chunk holds the
			// hash's hex digits.
			if len(hex) == 0 || hex[len(hex)-1][1] <= a {
				hex = append(hex, [2]int{a, b})
			}
		}
		covered = append(covered, [2]int{a, b})
		if len(maxEnd) > 0 && maxEnd[len(maxEnd)-1] > b {
			maxEnd = append(maxEnd, maxEnd[len(maxEnd)-1])
		} else {
			maxEnd = append(maxEnd, b)
		}
		if a < from || a >= end {
			continue
		}
		if k := (key{sp.t, a, sp.value}); k == last {
			continue // an address found both as a URL host and alone
		} else {
			last = k
		}
		// sp.value may point into the chunk, which is reused: copy it.
		text := s.arena.str(buf[a:b])
		v := text
		if sp.owned {
			v = sp.value
		} else if sp.value != text {
			v = s.arena.strs(sp.value)
		}
		items = append(items, Item{Kind: Kind(sp.t), Value: v, Text: text,
			Offset: base + int64(a), Snippet: s.arena.snippet(buf, a, b), Benign: sp.benign})
		if s.opt.Network != nil {
			items[len(items)-1].Network = s.enrich(sp.t, v)
		}
	}
	// Find reports matches in order, each ending after the one before:
	// the first span starting at or after a match's end only moves on.
	next := 0
	inIndicator := func(a, b int) bool {
		for next < len(covered) && covered[next][0] < b {
			next++
		}
		return next > 0 && maxEnd[next-1] > a
	}
	s.covered, s.maxEnd = covered, maxEnd
	var names []NameMatch // for statements
	nameItems := s.nameItems[:0]
	s.hex = hex
	s.opt.Names.find(buf, hex, func(m NameMatch) {
		if inIndicator(m.Start, m.End) {
			s.count("name inside an indicator (not a mention)")
			return
		}
		technique := isTechnique(m.Candidates)
		if !technique && !s.opt.NoStatements {
			names = append(names, m) // a technique is nobody an attack is attributed to
		}
		if m.Start < from || m.Start >= end {
			return
		}
		text := s.arena.str(buf[m.Start:m.End])
		v := text
		if len(m.Candidates) == 1 {
			v = m.Candidates[0].Name
		}
		it := Item{Kind: KindName, Value: v, Text: text,
			Offset: base + int64(m.Start), Snippet: s.arena.snippet(buf, m.Start, m.End), Candidates: m.Candidates}
		if technique {
			it.Kind = KindTechnique
			a, b := sentenceAt(buf, m.Start)
			it.Sentence = strings.Join(strings.Fields(string(buf[a:b])), " ")
		}
		nameItems = append(nameItems, it)
	})
	s.nameItems = nameItems
	var stmts []Item
	if !s.opt.NoStatements {
		stmts = statements(buf, base, from, end, names)
		sort.SliceStable(stmts, func(i, j int) bool { return stmts[i].Offset < stmts[j].Offset })
	}
	s.items = items
	// Each list is in offset order: merge them (sorting the items, large
	// structs, cost more than finding them).
	lists := [3][]Item{items, nameItems, stmts}
	for {
		k := -1
		for j := range lists {
			if len(lists[j]) > 0 && (k < 0 || lists[j][0].Offset < lists[k][0].Offset) {
				k = j
			}
		}
		if k < 0 {
			return nil
		}
		if err := fn(lists[k][0]); err != nil {
			return err
		}
		lists[k] = lists[k][1:]
	}
}

// enrich returns what the network data know of an indicator: nil for a
// domain that is its own registrable domain (nothing to add).
func (s *scanner) enrich(t ioc.Type, v string) *netenrich.Info {
	info := s.opt.Network.Enrich(t, v)
	if info == nil || t == ioc.Domain && info.Registrable == v {
		return nil
	}
	return info
}
