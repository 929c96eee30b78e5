package attrib

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/culprit-cti/culprit/kb"
)

// UnknownHypothesis names the hypothesis "an actor not in the knowledge
// base" in an Override and in Table.Hypotheses.
const UnknownHypothesis = "unknown"

// Override replaces the engine's log likelihood ratio of one evidence item
// for one hypothesis: an analyst's judgement of how consistent the item is
// with it (package ach turns ratings into values). The value is the raw
// ratio of the item, before the damping of its kind: an overridden item
// weighs in the result as the engine's own would.
type Override struct {
	Item string // the item's key (Row.Key)
	// Hypothesis is the STIX id of any object folded into the hypothesis,
	// or UnknownHypothesis.
	Hypothesis string
	LLR        float64
}

// Table is every evidence item's log likelihood ratio for the leading
// hypotheses and for the unknown actor: the data of an analysis of
// competing hypotheses (package ach). Attribute fills Result.Table when
// Options.Table > 0.
type Table struct {
	// Hypotheses are the ids of the tabulated hypotheses: the first
	// Options.Table of Result.Hypotheses, then any other one that an
	// override is about, in rank order, then UnknownHypothesis.
	Hypotheses []string `json:"hypotheses"`
	Rows       []Row    `json:"rows"`
	// Overrides are the analysts' records behind Options.Overrides (who,
	// when, why), kept with the result by the caller that has them
	// (package investigation); the engine does not read them.
	Overrides []kb.CaseOverride `json:"overrides,omitempty"`
}

// Row is one evidence item of a Table. Its log likelihood ratios are
// against the background model (an actor drawn from the base rates), one
// per Table.Hypotheses; the difference of two is their ratio against each
// other. Its weight for a hypothesis, as in Evidence, is Scale times the
// ratio.
type Row struct {
	// Key names the item in overrides: its kind and text as written in
	// the case ("technique: T1485"), with " #2", " #3" for repeats.
	Key     string  `json:"key"`
	Kind    string  `json:"kind"`
	Item    string  `json:"item"`
	Matched string  `json:"matched,omitempty"`
	Cost    string  `json:"cost_to_fake"`
	Detail  string  `json:"detail,omitempty"`
	Scale   float64 `json:"scale"` // the kind's weight and damping, over the temperature
	// LLR are the ratios the result was computed with; Engine the
	// engine's own, which differ where an override applied.
	LLR    []float64 `json:"llr"`
	Engine []float64 `json:"engine_llr"`
}

// keyItems gives every item its key.
func keyItems(items []*item) {
	seen := map[string]int{}
	for _, it := range items {
		k := kindNames[it.kind] + ": " + it.text
		seen[k]++
		if n := seen[k]; n > 1 {
			k += " #" + strconv.Itoa(n)
		}
		it.key = k
	}
}

// applyOverrides sets the overridden ratios of the items, keeping the
// engine's in it.engine, and returns a warning for each override that
// names an item the case does not have or an unknown hypothesis: such an
// override (evidence since withdrawn, an actor no longer known) changes
// nothing.
func (k *Knowledge) applyOverrides(items []*item, ovs []Override) []string {
	if len(ovs) == 0 {
		return nil
	}
	byKey := make(map[string]*item, len(items))
	for _, it := range items {
		byKey[it.key] = it
	}
	var warns []string
	for _, o := range ovs {
		it := byKey[o.Item]
		if it == nil {
			warns = append(warns, fmt.Sprintf("override of %q ignored: the case has no such evidence item", clip(o.Item)))
			continue
		}
		if math.IsNaN(o.LLR) || math.IsInf(o.LLR, 0) {
			warns = append(warns, fmt.Sprintf("override of %q ignored: its ratio is not a number", clip(o.Item)))
			continue
		}
		if it.engine == nil {
			it.engine = map[int]float64{}
		}
		if o.Hypothesis == UnknownHypothesis {
			if _, ok := it.engine[-1]; !ok {
				it.engine[-1] = it.unknown
			}
			it.unknown = o.LLR
			continue
		}
		ai, ok := k.actorBy[o.Hypothesis]
		if !ok {
			// The actor is not named: it may be one this knowledge's
			// level hides (an override made where more was visible).
			warns = append(warns, fmt.Sprintf("override of %q ignored: its actor is not in the knowledge this attribution used", clip(o.Item)))
			continue
		}
		if _, ok := it.engine[ai]; !ok {
			it.engine[ai] = it.llr(ai)
		}
		if it.dense != nil {
			// The ratios are the knowledge's cached ones (itemcache.go),
			// shared with other attributions: this item gets its own.
			if !it.ownDense {
				it.dense, it.ownDense = slices.Clone(it.dense), true
			}
			it.dense[ai] = o.LLR
		} else {
			it.sparse[ai] = o.LLR
		}
	}
	return warns
}

// table tabulates the items for the first n ranked actors of order, the
// overridden ones and the unknown actor.
func (k *Knowledge) table(items []*item, order []int, scale [nKinds]float64, n int) *Table {
	cols := append([]int(nil), order[:min(n, len(order))]...)
	over := map[int]bool{}
	for _, it := range items {
		for ai := range it.engine {
			over[ai] = true
		}
	}
	for _, ai := range order[len(cols):] {
		if over[ai] {
			cols = append(cols, ai)
		}
	}
	t := &Table{Hypotheses: make([]string, 0, len(cols)+1), Rows: make([]Row, 0, len(items))}
	for _, ai := range cols {
		t.Hypotheses = append(t.Hypotheses, k.actors[ai].ID)
	}
	t.Hypotheses = append(t.Hypotheses, UnknownHypothesis)
	all := append(cols[:len(cols):len(cols)], -1)
	for _, it := range items {
		r := Row{Key: it.key, Kind: kindNames[it.kind], Item: it.text, Matched: it.matched, Cost: it.cost, Detail: it.detail,
			Scale: scale[it.kind], LLR: make([]float64, 0, len(cols)+1), Engine: make([]float64, 0, len(cols)+1)}
		for _, ai := range all {
			v := it.unknown
			if ai >= 0 {
				v = it.llr(ai)
			}
			e := v
			if ev, ok := it.engine[ai]; ok {
				e = ev
			}
			r.LLR = append(r.LLR, v)
			r.Engine = append(r.Engine, e)
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}
