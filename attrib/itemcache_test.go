package attrib

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/attrib/internal/attacktest"
	"github.com/culprit-cti/culprit/casefile"
)

// cacheCases returns a case per ATT&CK group with up to 12 of its
// techniques and software (in a fixed order) and two common techniques.
func cacheCases(k *Knowledge) []*casefile.Case {
	var cases []*casefile.Case
	for _, a := range k.Actors() {
		uses := k.Uses(a)
		slices.Sort(uses)
		c := &casefile.Case{Name: a.Name}
		for _, u := range uses[:min(12, len(uses))] {
			if u[0] == 'T' {
				c.Techniques = append(c.Techniques, casefile.Item{Ref: u})
			} else {
				c.Software = append(c.Software, casefile.Item{Ref: u})
			}
		}
		c.Techniques = append(c.Techniques, casefile.Item{Ref: "T1059.001"}, casefile.Item{Ref: "T1486"})
		cases = append(cases, c)
	}
	return cases
}

func (c *itemCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set, c.tech, c.sw, c.floats = false, nil, nil, 0
}

// An attribution answers the same from a cache warmed by every other case
// (and by overridden attributions of the same cases) as from an empty
// one: the cache holds no state of one attribution, and an override
// changes only its own attribution's ratios.
func TestItemCacheSameResults(t *testing.T) {
	k := NewKnowledge(attacktest.Load(t, "enterprise-attack-18.1.json.gz"), nil, KnowledgeOptions{})
	cases := cacheCases(k)
	opt := Options{Table: 3}
	cold := make([]*Result, len(cases))
	for i, c := range cases {
		k.items.clear()
		res, err := k.Attribute(c, opt)
		if err != nil {
			t.Fatal(err)
		}
		cold[i] = res
	}
	// Overrides of every item for the leading hypothesis and the unknown
	// actor, on the warm cache.
	for i, c := range cases {
		if len(cold[i].Hypotheses) == 0 || cold[i].Table == nil {
			continue
		}
		var over []Override
		for _, row := range cold[i].Table.Rows {
			over = append(over, Override{Item: row.Key, Hypothesis: cold[i].Hypotheses[0].ID, LLR: -7},
				Override{Item: row.Key, Hypothesis: UnknownHypothesis, LLR: 3})
		}
		o := opt
		o.Overrides = over
		res, err := k.Attribute(c, o)
		if err != nil {
			t.Fatal(err)
		}
		if cmp.Equal(res.Hypotheses, cold[i].Hypotheses) {
			t.Errorf("%s: overriding every item for the leader changed nothing", c.Name)
		}
	}
	for i := len(cases) - 1; i >= 0; i-- {
		warm, err := k.Attribute(cases[i], opt)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(cold[i], warm); d != "" {
			t.Fatalf("%s: warm cache differs from an empty one (-empty +warm):\n%s", cases[i].Name, d)
		}
	}
}

// The suggestions read the two leading hypotheses' ratios from the cache
// when it holds the attribution's parameters, and compute just those two
// when it holds others: both give the same suggestions.
func TestItemCacheNextSame(t *testing.T) {
	k := NewKnowledge(attacktest.Load(t, "enterprise-attack-18.1.json.gz"), nil, KnowledgeOptions{})
	p := DefaultParams()
	other := p
	other.Mu++
	for _, c := range cacheCases(k)[:40] {
		var items []*item
		for _, tc := range c.Techniques {
			if ti, ok := k.resolveTechnique(tc.Ref); ok {
				items = append(items, k.techItem(tc.Ref, ti, p))
			}
		}
		res, err := k.Attribute(c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hypotheses) < 2 {
			continue
		}
		h1, h2 := k.actorBy[res.Hypotheses[0].ID], k.actorBy[res.Hypotheses[1].ID]
		cached := k.next(h1, h2, items, p, 10)
		k.items.clear()
		k.techLLRs(0, other, true) // the cache now holds other parameters
		direct := k.next(h1, h2, items, p, 10)
		if d := cmp.Diff(direct, cached); d != "" {
			t.Errorf("%s: suggestions from the cache differ (-direct +cached):\n%s", c.Name, d)
		}
		if len(cached) == 0 {
			t.Errorf("%s: no suggestions", c.Name)
		}
	}
}

// The cache holds at most its limit of ratios, and answers the same past
// it.
func TestItemCacheBounded(t *testing.T) {
	k := NewKnowledge(attacktest.Load(t, "enterprise-attack-18.1.json.gz"), nil, KnowledgeOptions{})
	p := DefaultParams()
	want := make([]*itemLLR, len(k.techs))
	for ti := range k.techs {
		want[ti] = k.techLLRs(ti, p, true)
	}
	k.items.clear()
	k.items.limit = 10*len(k.actors) + 1
	for ti := range k.techs {
		if got := k.techLLRs(ti, p, true); !cmp.Equal(got, want[ti], cmp.AllowUnexported(itemLLR{})) {
			t.Fatalf("technique %d past the limit: %+v, want %+v", ti, got, want[ti])
		}
	}
	if n := len(k.items.tech); n != 10 {
		t.Errorf("cache holds %d techniques, want 10 (limit %d floats, %d actors)", n, k.items.limit, len(k.actors))
	}
	if k.items.floats > k.items.limit {
		t.Errorf("cache holds %d floats, more than %d", k.items.floats, k.items.limit)
	}
}
