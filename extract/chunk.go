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
	var items []Item
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
		items = append(items, Item{Kind: KindName, Value: v, Text: string(buf[m.Start:m.End]),
			Offset: base + int64(m.Start), Snippet: snippet(buf, m.Start, m.End), Candidates: m.Candidates})
	})
	if !s.opt.NoStatements {
		items = append(items, statements(buf, base, from, end, names)...)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Offset < items[j].Offset })
	for _, it := range items {
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}
