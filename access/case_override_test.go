package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
)

// TestCaseHidesOverridesOfHiddenActors checks that a GREEN case's
// overrides naming a RED actor (made by the command line, which sees
// every level) are not shown below RED, nor their lines of history, while
// those of visible actors and of the unknown actor are.
func TestCaseHidesOverridesOfHiddenActors(t *testing.T) {
	ctx := context.Background()
	st := openFixture(t)
	ix, err := access.Build(ctx, st, access.Clear)
	if err != nil {
		t.Fatal(err)
	}
	const (
		openBear = "intrusion-set--0000000a-0000-4000-8000-00000000000a" // GREEN (second version)
		redPanda = "intrusion-set--0000000c-0000-4000-8000-00000000000c" // RED
	)
	at := func(m int) time.Time { return time.Date(2026, 1, 1, 10, m, 0, 0, time.UTC) }
	c := &kb.Case{ID: "case-000000000001", Name: "c", TLP: "TLP:GREEN",
		Overrides: []kb.CaseOverride{
			{Item: "technique T1566", Hypothesis: openBear, Rating: "C", Analyst: "ann", At: at(1), Reason: "seen"},
			{Item: "technique T1566", Hypothesis: redPanda, Rating: "II", Analyst: "bob", At: at(2), Reason: "Red Panda never phishes"},
			{Item: "technique T1566", Hypothesis: "unknown", Rating: "N", Analyst: "ann", At: at(3), Reason: "common"},
		},
		History: []kb.CaseEvent{
			{At: at(0), Action: "created", By: "ann"},
			{At: at(1), Action: "override", By: "ann", Detail: "technique T1566 for Open Bear: consistent: seen"},
			{At: at(2), Action: "override", By: "bob", Detail: "technique T1566 for Red Panda: very inconsistent: Red Panda never phishes"},
			{At: at(3), Action: "override", By: "ann", Detail: "technique T1566 for unknown: neutral: common"},
			{At: at(4), Action: "override removed", By: "bob", Detail: "technique T1566 for " + redPanda + ": bob's very inconsistent of 2026-01-01 10:02"},
			{At: at(5), Action: "override removed", By: "ann", Detail: "technique T1566 for " + openBear + ": ann's consistent of 2026-01-01 10:01"},
		},
	}
	for _, tc := range []struct {
		level     access.Level
		overrides []string // analysts, in order
		history   []string // actions at minutes
	}{
		{access.Green, []string{"ann", "ann"}, []string{"created 0", "override 1", "override 3", "override removed 5"}},
		{access.Red, []string{"ann", "bob", "ann"}, []string{"created 0", "override 1", "override 2", "override 3", "override removed 4", "override removed 5"}},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			got, err := ix.View(st, tc.level).Case(c)
			if err != nil {
				t.Fatal(err)
			}
			var ov, hist []string
			for _, o := range got.Overrides {
				ov = append(ov, o.Analyst)
			}
			for _, e := range got.History {
				hist = append(hist, e.Action+" "+e.At.Format("4"))
			}
			if diff := cmp.Diff(tc.overrides, ov); diff != "" {
				t.Errorf("overrides (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.history, hist); diff != "" {
				t.Errorf("history (-want +got):\n%s", diff)
			}
			if tc.level == access.Green {
				for _, e := range got.History {
					if strings.Contains(e.Detail, "Red Panda") || strings.Contains(e.Detail, redPanda) {
						t.Errorf("GREEN history names the RED actor: %+v", e)
					}
				}
			}
		})
	}
	if len(c.Overrides) != 3 || len(c.History) != 6 {
		t.Error("Case changed its argument")
	}
}

// TestViewObjectsByID: the batch read shows what Object shows, no more.
func TestViewObjectsByID(t *testing.T) {
	ctx := context.Background()
	st := openFixture(t)
	ix, err := access.Build(ctx, st, access.Clear)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{
		"intrusion-set--0000000a-0000-4000-8000-00000000000a", // Open Bear, GREEN now
		"intrusion-set--0000000b-0000-4000-8000-00000000000b", // Amber Kitten
		"intrusion-set--0000000c-0000-4000-8000-00000000000c", // Red Panda
		"intrusion-set--0000000d-0000-4000-8000-00000000000d", // Scarlet Heron
		"intrusion-set--000000ff-0000-4000-8000-0000000000ff", // absent
	}
	for _, l := range []access.Level{access.Clear, access.Green, access.Amber, access.Red} {
		v := ix.View(st, l)
		got, err := v.ObjectsByID(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			_, err := v.Object(ctx, id)
			if (err == nil) != (got[id] != nil) {
				t.Errorf("%v: ObjectsByID has %s: %v; Object: %v", l, id, got[id] != nil, err)
			}
		}
	}
}
