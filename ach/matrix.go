package ach

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

// DefaultHypotheses is how many known actors a case's matrix shows, beside
// the unknown actor, when the caller does not say.
const DefaultHypotheses = 5

// UnknownName is the column of the unknown actor.
const UnknownName = "an actor not in the knowledge base"

// Matrix is the analysis of competing hypotheses of one attribution.
type Matrix struct {
	Case    string   `json:"case"`
	Columns []Column `json:"columns"` // the hypotheses in rank order, the unknown actor last
	Rows    []Row    `json:"rows"`    // the case's order (Build), or SortByDiagnosticity
	// Disputed counts the cells where an analyst's rating differs from
	// the engine's or from another analyst's.
	Disputed int `json:"disputed"`
}

// Column is one hypothesis of a matrix.
type Column struct {
	ID          string  `json:"id"` // STIX id of the primary object, or "unknown"
	Name        string  `json:"name"`
	ExternalID  string  `json:"external_id,omitempty"`
	Probability float64 `json:"probability"`
	Estimate    string  `json:"estimate"`
}

// Row is one evidence item of a matrix.
type Row struct {
	Key     string `json:"key"` // names the item in an override (attrib.Row.Key)
	Kind    string `json:"kind"`
	Item    string `json:"item"`
	Matched string `json:"matched,omitempty"`
	Cost    string `json:"cost_to_fake"`
	Detail  string `json:"detail,omitempty"`
	// Diagnosticity is the spread of the row's weights across the columns
	// (the largest minus the smallest), in natural-log units of the odds:
	// how much the item separates the hypotheses in the result. An item
	// consistent with every hypothesis has none, however consistent.
	Diagnosticity float64 `json:"diagnosticity"`
	Cells         []Cell  `json:"cells"` // one per column
}

// Cell is how consistent one item is with one hypothesis.
type Cell struct {
	// LLR is the item's log likelihood ratio for the hypothesis against
	// the background model as the result was computed (an analyst's, if
	// one applied); LR its exponential; Weight its part in the
	// hypothesis' score (LLR times the damping of its kind).
	LLR    float64 `json:"llr"`
	LR     float64 `json:"lr"`
	Weight float64 `json:"weight"`
	Rating Rating  `json:"rating"`
	// EngineLLR and EngineRating are the engine's own, which differ from
	// the above when an override applied (Overridden).
	EngineLLR    float64 `json:"engine_llr"`
	EngineRating Rating  `json:"engine_rating"`
	Overridden   bool    `json:"overridden,omitempty"`
	// Overrides are every analyst's ratings of the cell, oldest first;
	// the latest applies when the case is attributed again.
	Overrides []kb.CaseOverride `json:"overrides,omitempty"`
	// Disputed is set when analysts rate the cell differently from each
	// other or from the engine.
	Disputed bool `json:"disputed,omitempty"`
}

// Build makes the matrix of a result computed with a table
// (attrib.Options.Table, assess.Options.Table), with the case's overrides
// (kb.Case.Overrides; nil means those the result's table kept, as of its
// attribution). It returns an errs.Invalid error when the result has no
// table.
func Build(res *attrib.Result, overrides []kb.CaseOverride) (*Matrix, error) {
	if res == nil || res.Table == nil {
		return nil, errs.E(errs.Invalid, "the attribution has no table of its evidence: attribute it again with a table of hypotheses")
	}
	t := res.Table
	if overrides == nil {
		overrides = t.Overrides
	}
	m := &Matrix{Case: res.Case, Columns: make([]Column, 0, len(t.Hypotheses)), Rows: make([]Row, 0, len(t.Rows))}
	// ids maps every folded id of a column's hypothesis to the column, so
	// that an override made when another object was primary still finds
	// it.
	ids := map[string]int{}
	for ci, id := range t.Hypotheses {
		if id == attrib.UnknownHypothesis {
			m.Columns = append(m.Columns, Column{ID: id, Name: UnknownName, Probability: res.Unknown, Estimate: res.UnknownEstimate})
			ids[id] = ci
			continue
		}
		c := Column{ID: id, Name: id}
		ids[id] = ci
		for i := range res.Hypotheses {
			h := &res.Hypotheses[i]
			if h.ID != id {
				continue
			}
			c = Column{ID: id, Name: h.Name, ExternalID: h.ExternalID, Probability: h.Probability, Estimate: h.Estimate}
			for _, fid := range h.IDs {
				ids[fid] = ci
			}
		}
		m.Columns = append(m.Columns, c)
	}
	byCell := map[[2]string][]kb.CaseOverride{}
	for _, o := range overrides {
		if ci, ok := ids[o.Hypothesis]; ok {
			k := [2]string{o.Item, m.Columns[ci].ID}
			byCell[k] = append(byCell[k], o)
		}
	}
	for _, tr := range t.Rows {
		r := Row{Key: tr.Key, Kind: tr.Kind, Item: tr.Item, Matched: tr.Matched, Cost: tr.Cost, Detail: tr.Detail,
			Cells: make([]Cell, len(m.Columns))}
		lo, hi := math.Inf(1), math.Inf(-1)
		for ci := range m.Columns {
			if ci >= len(tr.LLR) || ci >= len(tr.Engine) {
				return nil, errs.E(errs.Invalid, "table row %q has %d ratios for %d hypotheses", tr.Key, len(tr.LLR), len(m.Columns))
			}
			c := Cell{LLR: round(tr.LLR[ci]), LR: round(math.Exp(tr.LLR[ci])), Weight: round(tr.Scale * tr.LLR[ci]),
				Rating: Rate(tr.LLR[ci]), EngineLLR: round(tr.Engine[ci]), EngineRating: Rate(tr.Engine[ci]),
				Overridden: tr.LLR[ci] != tr.Engine[ci]}
			c.Overrides = byCell[[2]string{tr.Key, m.Columns[ci].ID}]
			slices.SortStableFunc(c.Overrides, func(a, b kb.CaseOverride) int { return a.At.Compare(b.At) })
			for _, o := range c.Overrides {
				if Rating(o.Rating) != c.EngineRating || Rating(o.Rating) != Rating(c.Overrides[0].Rating) {
					c.Disputed = true
				}
			}
			if c.Disputed {
				m.Disputed++
			}
			lo, hi = math.Min(lo, c.Weight), math.Max(hi, c.Weight)
			r.Cells[ci] = c
		}
		if len(r.Cells) > 0 {
			r.Diagnosticity = round(hi - lo)
		}
		m.Rows = append(m.Rows, r)
	}
	return m, nil
}

// SortByDiagnosticity orders the rows most diagnostic first (ties in the
// case's order), the order Heuer reads a matrix in.
func (m *Matrix) SortByDiagnosticity() {
	sort.SliceStable(m.Rows, func(i, j int) bool { return m.Rows[i].Diagnosticity > m.Rows[j].Diagnosticity })
}

// Effective turns a case's overrides into the engine's: for each cell the
// latest analyst's rating (by time; the later in the list on a tie). A
// rating that does not parse is skipped (Validate refuses them before
// they are stored).
func Effective(overrides []kb.CaseOverride) []attrib.Override {
	type cell struct{ item, hyp string }
	latest := map[cell]int{}
	var order []cell
	for i, o := range overrides {
		c := cell{o.Item, o.Hypothesis}
		j, ok := latest[c]
		if !ok {
			order = append(order, c)
		}
		if !ok || !o.At.Before(overrides[j].At) {
			latest[c] = i
		}
	}
	out := make([]attrib.Override, 0, len(order))
	for _, c := range order {
		o := overrides[latest[c]]
		r, err := ParseRating(o.Rating)
		if err != nil {
			continue
		}
		out = append(out, attrib.Override{Item: o.Item, Hypothesis: o.Hypothesis, LLR: r.LLR()})
	}
	return out
}

// round keeps six significant decimals, so that outputs are stable.
func round(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	return math.Round(x*1e6) / 1e6
}

// at formats an override's time for people.
func at(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
