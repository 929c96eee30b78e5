package ach_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sony attributes the Sony 2014 example on the starter knowledge with a
// table of the top hypotheses and the given overrides.
func sony(t testing.TB, ovs []kb.CaseOverride) *attrib.Result {
	t.Helper()
	know, err := assess.Starter(0)
	if err != nil {
		t.Fatal(err)
	}
	c, warns, err := casefile.ParseFile("../examples/sony-2014/case.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := know.Attribute(c, warns, assess.Options{Table: ach.DefaultHypotheses, Overrides: ach.Effective(ovs)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ach -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

var when = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// sonyOverrides are two analysts' ratings of the FBI claim for Lazarus
// Group and one of the wiper technique for Sandworm Team.
func sonyOverrides(t testing.TB) []kb.CaseOverride {
	res := sony(t, nil)
	laz, sand := res.Hypotheses[0].ID, res.Hypotheses[1].ID
	return []kb.CaseOverride{
		{Item: "claim: attributed to Lazarus Group", Hypothesis: laz, Rating: string(ach.Neutral), Analyst: "alice", At: when,
			Reason: "the FBI gave no evidence one can check"},
		{Item: "claim: attributed to Lazarus Group", Hypothesis: laz, Rating: string(ach.Consistent), Analyst: "bob", At: when.Add(time.Hour),
			Reason: "the FBI had NSA access to North Korean networks"},
		{Item: "technique: T1561.001", Hypothesis: sand, Rating: string(ach.VeryConsistent), Analyst: "alice", At: when.Add(2 * time.Hour),
			Reason: "wipers are Sandworm's trade, =cmd|' /C calc'!A0"},
	}
}

func TestGoldenSony(t *testing.T) {
	for _, tc := range []struct {
		name string
		ovs  []kb.CaseOverride
	}{{"sony", nil}, {"sony-overrides", sonyOverrides(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ach.Build(sony(t, tc.ovs), tc.ovs)
			if err != nil {
				t.Fatal(err)
			}
			m.SortByDiagnosticity()
			var c, md bytes.Buffer
			if err := m.WriteCSV(&c); err != nil {
				t.Fatal(err)
			}
			if err := m.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".csv", c.Bytes())
			golden(t, tc.name+".md", md.Bytes())
			// The CSV reads back as a rectangle of the matrix's size.
			recs, err := csv.NewReader(bytes.NewReader(c.Bytes())).ReadAll()
			if err != nil {
				t.Fatalf("read back the CSV: %v", err)
			}
			if got, want := len(recs), len(m.Rows)+1; got != want {
				t.Errorf("CSV has %d records, want %d", got, want)
			}
			if got, want := len(recs[0]), 6+4*len(m.Columns)+1; got != want {
				t.Errorf("CSV has %d fields, want %d", got, want)
			}
		})
	}
}

func TestRateRoundTrip(t *testing.T) {
	for _, r := range ach.Ratings {
		if got := ach.Rate(r.LLR()); got != r {
			t.Errorf("Rate(%s.LLR()) = %s", r, got)
		}
		for _, s := range []string{string(r), r.Label(), r.Symbol()} {
			if got, err := ach.ParseRating(s); err != nil || got != r {
				t.Errorf("ParseRating(%q) = %q, %v, want %q", s, got, err, r)
			}
		}
	}
	for _, c := range []struct {
		lr   float64
		want ach.Rating
	}{{4.001, ach.VeryConsistent}, {3.99, ach.Consistent}, {1.251, ach.Consistent}, {1.24, ach.Neutral}, {1, ach.Neutral},
		{0.81, ach.Neutral}, {0.79, ach.Inconsistent}, {0.26, ach.Inconsistent}, {0.249, ach.VeryInconsistent}, {0.01, ach.VeryInconsistent}} {
		if got := ach.Rate(math.Log(c.lr)); got != c.want {
			t.Errorf("Rate(log %v) = %s, want %s", c.lr, got, c.want)
		}
	}
	if _, err := ach.ParseRating("probably"); !errors.Is(err, errs.E(errs.Invalid, "")) {
		t.Errorf("ParseRating(probably) = %v, want an invalid error", err)
	}
}
