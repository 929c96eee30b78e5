package extract

import (
	"sort"
	"unsafe"
)

// unsafeString views b as a string without copying; the string must not
// outlive the next change of b (values kept are cloned).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

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
	covered := make([][2]int, 0, len(s.spans))
	maxEnd := make([]int, 0, len(s.spans))
	last := [3]any{}
	for _, sp := range s.spans {
		a, b := s.at(sp.start), s.at(sp.end)
		covered = append(covered, [2]int{a, b})
		if len(maxEnd) > 0 && maxEnd[len(maxEnd)-1] > b {
			maxEnd = append(maxEnd, maxEnd[len(maxEnd)-1])
		} else {
			maxEnd = append(maxEnd, b)
		}
		if a < from || a >= end {
			continue
		}
		if k := [3]any{sp.t, a, sp.value}; k == last {
			continue // an address found both as a URL host and alone
		} else {
			last = k
		}
		items = append(items, Item{Kind: Kind(sp.t), Value: sp.value, Text: string(buf[a:b]),
			Offset: base + int64(a), Snippet: snippet(buf, a, b), Benign: sp.benign})
	}
	inIndicator := func(a, b int) bool {
		k := sort.Search(len(covered), func(i int) bool { return covered[i][0] >= b })
		return k > 0 && maxEnd[k-1] > a
	}
	var names []NameMatch
	nameItems := s.nameItems[:0]
	s.opt.Names.Find(buf, func(m NameMatch) {
		if inIndicator(m.Start, m.End) {
			s.count("name inside an indicator (not a mention)")
			return
		}
		names = append(names, m)
		if m.Start < from || m.Start >= end {
			return
		}
		v := string(buf[m.Start:m.End])
		if len(m.Candidates) == 1 {
			v = m.Candidates[0].Name
		}
		nameItems = append(nameItems, Item{Kind: KindName, Value: v, Text: string(buf[m.Start:m.End]),
			Offset: base + int64(m.Start), Snippet: snippet(buf, m.Start, m.End), Candidates: m.Candidates})
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
