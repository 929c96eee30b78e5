package investigation_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
)

func hyp(res *attrib.Result, id string) *attrib.Hypothesis {
	for i := range res.Hypotheses {
		if res.Hypotheses[i].ID == id {
			return &res.Hypotheses[i]
		}
	}
	return nil
}

// TestOverrideChangesResult overrides the FBI claim for Lazarus Group on
// the Sony case: its score falls by exactly the claim's damped change of
// ratio; then every item is rated very inconsistent with Lazarus Group,
// which loses the first place; removing the overrides restores the
// engine's result.
func TestOverrideChangesResult(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	know := knowledge(t, s)
	c, err := s.New(ctx, "", sonyEvidence(t))
	if err != nil {
		t.Fatal(err)
	}
	base, c, err := s.Attribute(ctx, c.ID, know, assess.Options{}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	laz := base.Hypotheses[0]
	if laz.Name != "Lazarus Group" || base.Table == nil {
		t.Fatalf("engine's top = %s, table %v", laz.Name, base.Table != nil)
	}
	const claim = "claim: attributed to Lazarus Group"
	var row *attrib.Row
	for i := range base.Table.Rows {
		if base.Table.Rows[i].Key == claim {
			row = &base.Table.Rows[i]
		}
	}
	if row == nil || base.Table.Hypotheses[0] != laz.ID {
		t.Fatalf("no row %q for %s in the table", claim, laz.ID)
	}
	c, err = s.Override(ctx, c.ID, know, investigation.Override{Item: claim, Hypothesis: laz.ID, Rating: "II",
		Analyst: "bob", Reason: "the FBI showed nothing one can check", Version: c.Version})
	if err != nil {
		t.Fatal(err)
	}
	res, c, err := s.Attribute(ctx, c.ID, know, assess.Options{}, "bob")
	if err != nil {
		t.Fatal(err)
	}
	got := hyp(res, laz.ID)
	want := laz.Score + row.Scale*(ach.VeryInconsistent.LLR()-row.LLR[0])
	if math.Abs(got.Score-want) > 1e-9 || got.Probability >= laz.Probability {
		t.Errorf("overridden: Lazarus Group score %.6f, probability %.6f; want score %.6f and less than %.6f", got.Score, got.Probability, want, laz.Probability)
	}
	if d := laz.Score - got.Score; d < 2 {
		t.Errorf("the override moved the score by %.3f, want a measurable change (> 2 nats)", d)
	}
	m, err := investigation.LatestMatrix(c)
	if err != nil {
		t.Fatal(err)
	}
	var cell *ach.Cell
	for _, r := range m.Rows {
		if r.Key == claim {
			cell = &r.Cells[0]
		}
	}
	if cell == nil || !cell.Overridden || cell.Rating != ach.VeryInconsistent || cell.EngineRating != ach.VeryConsistent ||
		!cell.Disputed || len(cell.Overrides) != 1 || cell.Overrides[0].Analyst != "bob" {
		t.Fatalf("the matrix's cell = %+v", cell)
	}

	// Every item against Lazarus Group: another actor comes first.
	for _, r := range base.Table.Rows {
		if r.Key == claim {
			continue
		}
		if c, err = s.Override(ctx, c.ID, know, investigation.Override{Item: r.Key, Hypothesis: laz.ID, Rating: string(ach.VeryInconsistent),
			Analyst: "carol", Reason: "devil's advocate"}); err != nil {
			t.Fatal(err)
		}
	}
	res, c, err = s.Attribute(ctx, c.ID, know, assess.Options{}, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if res.Hypotheses[0].ID == laz.ID {
		t.Errorf("with every item very inconsistent with it, Lazarus Group is still first (%.3f)", res.Hypotheses[0].Probability)
	}

	// Taken back, cell by cell: the engine's result again.
	for _, o := range append([]kb.CaseOverride(nil), c.Overrides...) {
		if c, err = s.RemoveOverride(ctx, c.ID, investigation.OverrideRemoval{Item: o.Item, Hypothesis: o.Hypothesis, By: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.Overrides) != 0 {
		t.Fatalf("%d overrides left", len(c.Overrides))
	}
	res, _, err = s.Attribute(ctx, c.ID, know, assess.Options{}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if res.Hypotheses[0].ID != laz.ID || res.Hypotheses[0].Probability != laz.Probability || res.Hypotheses[0].Score != laz.Score {
		t.Errorf("without overrides: %s %.9f (score %.9f), want the engine's %s %.9f (%.9f)", res.Hypotheses[0].Name,
			res.Hypotheses[0].Probability, res.Hypotheses[0].Score, laz.Name, laz.Probability, laz.Score)
	}
}

// TestOverrideDisagreement: two analysts rate one cell; the latest applies,
// both are listed, and removing one analyst's restores the other's.
func TestOverrideDisagreement(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	know := knowledge(t, s)
	c, err := s.New(ctx, "", sonyEvidence(t))
	if err != nil {
		t.Fatal(err)
	}
	const item = "technique: T1561.001"
	sand := know.Actors()[0] // any actor: the override adds its column
	for _, a := range know.Actors() {
		if a.Name == "Sandworm Team" {
			sand = a
		}
	}
	for _, o := range []investigation.Override{
		{Item: item, Hypothesis: sand.IDs[len(sand.IDs)-1], Rating: "very consistent", Analyst: "alice", Reason: "wipers"},
		{Item: item, Hypothesis: sand.ID, Rating: "N", Analyst: "bob", Reason: "everyone wipes"},
	} {
		if c, err = s.Override(ctx, c.ID, know, o); err != nil {
			t.Fatal(err)
		}
	}
	m, _, err := s.Matrix(ctx, c.ID, know, assess.Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ci := -1
	for i, col := range m.Columns {
		if col.ID == sand.ID {
			ci = i
		}
	}
	if ci < 0 {
		t.Fatalf("no column for %s (overridden) in a one-hypothesis matrix: %+v", sand.Name, m.Columns)
	}
	for _, r := range m.Rows {
		if r.Key != item {
			continue
		}
		cell := r.Cells[ci]
		if cell.Rating != ach.Neutral || len(cell.Overrides) != 2 || !cell.Disputed || m.Disputed != 1 {
			t.Errorf("cell = %+v, disputed %d; want bob's neutral applied, both listed, disputed", cell, m.Disputed)
		}
	}
	c, err = s.RemoveOverride(ctx, c.ID, investigation.OverrideRemoval{Item: item, Hypothesis: sand.ID, Analyst: "bob", By: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Overrides) != 1 || c.Overrides[0].Analyst != "alice" {
		t.Fatalf("after removing bob's: %+v", c.Overrides)
	}
	m, _, err = s.Matrix(ctx, c.ID, know, assess.Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Rows {
		if r.Key == item && r.Cells[ci].Rating != ach.VeryConsistent {
			t.Errorf("after removing bob's, the cell is %s, want alice's very consistent", r.Cells[ci].Rating)
		}
	}
	if _, err := s.RemoveOverride(ctx, c.ID, investigation.OverrideRemoval{Item: item, Hypothesis: sand.ID, Analyst: "bob"}); !errors.Is(err, errs.E(errs.NotFound, "")) {
		t.Errorf("removing bob's again = %v, want not found", err)
	}
}

func TestOverrideSurvivesReload(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	know := knowledge(t, s)
	c, err := s.New(ctx, "", sonyEvidence(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err = s.Override(ctx, c.ID, know, investigation.Override{Item: "victim: country US", Hypothesis: attrib.UnknownHypothesis,
		Rating: "consistent", Analyst: "alice", Reason: "an insider"})
	if err != nil {
		t.Fatal(err)
	}
	// A second process: the store opened again from its file.
	path := filepath.Join(t.TempDir(), "copy.db")
	dst, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cc := *c
	cc.Version = 0
	if err := dst.PutCase(ctx, &cc); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	ro, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	got, err := ro.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Overrides) != 1 || got.Overrides[0] != c.Overrides[0] || !got.Overrides[0].At.Equal(c.Overrides[0].At) {
		t.Errorf("reloaded overrides = %+v, want %+v", got.Overrides, c.Overrides)
	}
	if h := got.History[len(got.History)-1]; h.Action != "override" || h.By != "alice" || !strings.Contains(h.Detail, "an insider") {
		t.Errorf("history = %+v", h)
	}
}

func TestOverrideInvalid(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	know := knowledge(t, s)
	c, err := s.New(ctx, "", sonyEvidence(t))
	if err != nil {
		t.Fatal(err)
	}
	laz := know.Actors()[0].ID
	ok := investigation.Override{Item: "technique: T1485", Hypothesis: laz, Rating: "C", Analyst: "alice", Reason: "why"}
	for _, tc := range []struct {
		name string
		edit func(o *investigation.Override)
		want string
	}{
		{"rating", func(o *investigation.Override) { o.Rating = "probably" }, `invalid rating "probably"`},
		{"item", func(o *investigation.Override) { o.Item = "technique: T9999" }, `has no evidence item "technique: T9999"`},
		{"hypothesis", func(o *investigation.Override) { o.Hypothesis = "intrusion-set--nobody" }, `no actor "intrusion-set--nobody"`},
		{"analyst", func(o *investigation.Override) { o.Analyst = " " }, "needs the analyst's name"},
		{"reason", func(o *investigation.Override) { o.Reason = "" }, "needs a reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.edit(&o)
			_, err := s.Override(ctx, c.ID, know, o)
			if !errors.Is(err, errs.E(errs.Invalid, "")) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Override = %v, want an invalid error saying %q", err, tc.want)
			}
		})
	}
	got, err := s.Store.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Overrides) != 0 || got.Version != c.Version {
		t.Errorf("refused overrides changed the case: %d overrides, version %d -> %d", len(got.Overrides), c.Version, got.Version)
	}
	o := ok
	o.Version = c.Version + 5
	if _, err := s.Override(ctx, c.ID, know, o); !errors.Is(err, errs.E(errs.Conflict, "")) {
		t.Errorf("Override at a stale version = %v, want a conflict", err)
	}
}
