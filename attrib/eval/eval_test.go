package eval

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/culprit-cti/culprit/attrib/internal/attacktest"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
	"github.com/google/go-cmp/cmp"
)

func mkObj(t *testing.T, raw string) *stix.Object {
	t.Helper()
	o, err := stix.ParseObject([]byte(raw))
	if err != nil {
		t.Fatalf("ParseObject(%s): %v", raw, err)
	}
	return o
}

const ts = `"created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"`

// synthetic builds groups G1-G3 and techniques T1-T5 with uses
// relationships citing reports R1-R3 (see TestPrepare).
func synthetic(t *testing.T) []*stix.Object {
	var objs []*stix.Object
	for i := 1; i <= 5; i++ {
		objs = append(objs, mkObj(t, fmt.Sprintf(`{"type":"attack-pattern","spec_version":"2.1","id":%q,%s,"name":"T%d","external_references":[{"source_name":"mitre-attack","external_id":"T100%d"}]}`,
			stix.DeterministicID("attack-pattern", fmt.Sprint(i)), ts, i, i)))
	}
	for i := 1; i <= 3; i++ {
		objs = append(objs, mkObj(t, fmt.Sprintf(`{"type":"intrusion-set","spec_version":"2.1","id":%q,%s,"name":"G%d","external_references":[{"source_name":"mitre-attack","external_id":"G000%d"}]}`,
			stix.DeterministicID("intrusion-set", fmt.Sprint(i)), ts, i, i)))
	}
	uses := func(g, tech int, reports ...string) {
		refs := `{"source_name":"mitre-attack","external_id":"x"}`
		for _, r := range reports {
			refs += fmt.Sprintf(`,{"source_name":%q,"url":"https://example.org/%s"}`, r, r)
		}
		objs = append(objs, mkObj(t, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,%s,"relationship_type":"uses","source_ref":%q,"target_ref":%q,"external_references":[%s]}`,
			stix.DeterministicID("relationship", fmt.Sprint(g, tech)), ts,
			stix.DeterministicID("intrusion-set", fmt.Sprint(g)), stix.DeterministicID("attack-pattern", fmt.Sprint(tech)), refs)))
	}
	uses(1, 1, "R1", "R2")
	uses(1, 2, "R1")
	uses(1, 3, "R1")
	uses(2, 1, "R3", "R4")
	uses(2, 4, "R3")
	uses(2, 5, "R3")
	uses(3, 2, "R1")
	return objs
}

func TestPrepare(t *testing.T) {
	objs := synthetic(t)
	ds, err := prepare(objs, nil, 1, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	// R1 is cited for two groups, R2 and R4 give one item: only R3 qualifies.
	var got []string
	for _, r := range ds.reports {
		got = append(got, fmt.Sprintf("%s %v", r.key, r.items))
	}
	want := []string{"https://example.org/R3 [T1001 T1004 T1005]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("reports (-want +got):\n%s", diff)
	}
	// Removing R3 drops G2's relationships cited only by it, and keeps the
	// one also cited by R4, without R3.
	kept := map[string][]string{}
	for _, o := range ds.without(ds.reports[0]) {
		if o == nil || o.Type != "relationship" {
			continue
		}
		var refs []string
		for _, r := range o.ExternalReferences {
			refs = append(refs, r.SourceName)
		}
		kept[o.TargetRef[len(o.TargetRef)-4:]+" "+o.SourceRef[len(o.SourceRef)-4:]] = refs
	}
	if got, want := len(kept), 5; got != want {
		t.Errorf("relationships left after removing R3 = %d, want %d: %v", got, want, kept)
	}
	for k, refs := range kept {
		for _, r := range refs {
			if r == "R3" {
				t.Errorf("relationship %s still cites R3", k)
			}
		}
	}
	// The original objects are not modified.
	if n := len(objs[len(objs)-4].ExternalReferences); n != 3 {
		t.Errorf("original relationship has %d references after without, want 3", n)
	}
}

func TestMetrics(t *testing.T) {
	outs := []outcome{
		{rank: 1, pTop: 0.9, correct: true, pUnknown: 0.05, pTruth: 0.9},
		{rank: 3, pTop: 0.6, correct: false, pUnknown: 0.2, pTruth: 0.1},
		{heldOut: true, pTop: 0.7, correct: true, pUnknown: 0.7, pTruth: 0.7},
		{heldOut: true, pTop: 0.5, correct: false, pUnknown: 0.1, pTruth: 0.1},
	}
	got := metrics(outs)
	want := Metrics{Known: 2, HeldOut: 2, Top1: 0.5, Top5: 1, MRR: (1 + 1.0/3) / 2,
		// bins: 0.9 (acc 1), 0.6 (acc 0), 0.7 (acc 1), 0.5 (acc 0)
		ECE:   (0.1 + 0.6 + 0.3 + 0.5) / 4,
		Brier: (0.01 + 0.36 + 0.09 + 0.25) / 4,
		AUROC: 0.75, // 0.7 beats both known; 0.1 beats 0.05 only
		NLL:   -(math.Log(0.9) + math.Log(0.1) + math.Log(0.7) + math.Log(0.1)) / 4,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestEvalTargets runs the evaluation on ATT&CK 18.1 in a reduced
// configuration (the first 80 reports of the test split; `culprit eval` runs
// the full split). On the full split the engine meets the top-1
// (baseline + 0.10) and ECE (0.08) targets but not top-5 (0.80) and AUROC
// (0.80) (see docs/evaluation.md); on this subset the margins are noisier,
// so this test holds the engine to beating the baseline and to regression
// floors near the figures it reaches (here top-1 0.574, top-5 0.676, ECE
// 0.130, AUROC 0.714).
func TestEvalTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: leave-one-report-out on ATT&CK")
	}
	objs := attacktest.Load(t, "enterprise-attack-18.1.json.gz")
	cfg := Config{Seed: 1, MaxReports: 80}
	rep, err := Run(context.Background(), objs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e, b := rep.Engine, rep.Baseline
	t.Logf("engine %+v", e)
	t.Logf("baseline %+v", b)
	checks := []struct {
		name string
		ok   bool
	}{
		{fmt.Sprintf("top-1 %.3f >= baseline %.3f", e.Top1, b.Top1), e.Top1 >= b.Top1},
		{fmt.Sprintf("MRR %.3f >= baseline %.3f", e.MRR, b.MRR), e.MRR >= b.MRR},
		{fmt.Sprintf("Brier %.3f < baseline %.3f", e.Brier, b.Brier), e.Brier < b.Brier},
		{fmt.Sprintf("AUROC %.3f > baseline %.3f", e.AUROC, b.AUROC), e.AUROC > b.AUROC},
		{fmt.Sprintf("top-1 %.3f >= 0.50 (floor)", e.Top1), e.Top1 >= 0.50},
		{fmt.Sprintf("top-5 %.3f >= 0.65 (floor; target 0.80)", e.Top5), e.Top5 >= 0.65},
		// ECE over 80 reports in 10 bins is noisy: 0.130 here against
		// 0.062 on the full split (row 26 of docs/evaluation.md).
		{fmt.Sprintf("ECE %.3f <= 0.15 (0.062 on the full split; target 0.08)", e.ECE), e.ECE <= 0.15},
		{fmt.Sprintf("AUROC %.3f >= 0.65 (floor; target 0.80)", e.AUROC), e.AUROC >= 0.65},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("eval: want %s", c.name)
		}
	}
	// Deterministic for a seed.
	again, err := Run(context.Background(), objs, Config{Seed: 1, MaxReports: 20})
	if err != nil {
		t.Fatal(err)
	}
	once, err := Run(context.Background(), objs, Config{Seed: 1, MaxReports: 20})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(once, again); diff != "" {
		t.Errorf("two runs with seed 1 differ (-first +second):\n%s", diff)
	}
}

// With a MISP galaxy's copies of the groups in the knowledge (folded into
// them by a shared name), the groups are still G1-G3, and holding one out
// removes its copy too.
func TestPrepareWithGalaxyCopies(t *testing.T) {
	objs := synthetic(t)
	var copies []*stix.Object
	for i := 1; i <= 3; i++ {
		c := mkObj(t, fmt.Sprintf(`{"type":"intrusion-set","spec_version":"2.1","id":%q,%s,"name":"G%d","x_misp_galaxy":"threat-actor"}`,
			stix.DeterministicID("intrusion-set", fmt.Sprint("misp", i)), ts, i))
		copies = append(copies, c)
	}
	objs = append(objs, copies...)
	links := kb.Link(objs)
	for _, hold := range []float64{0, 0.34} {
		ds, err := prepare(objs, links, 1, hold, 3)
		if err != nil {
			t.Fatal(err)
		}
		if ds.groups != 3 {
			t.Errorf("holdOut %v: %d groups, want 3 (the galaxy copies are not groups)", hold, ds.groups)
		}
		inKnowledge := map[string]bool{}
		for _, o := range ds.objs {
			inKnowledge[o.ID] = true
		}
		for i, c := range copies {
			g := stix.DeterministicID("intrusion-set", fmt.Sprint(i+1))
			if inKnowledge[g] != inKnowledge[c.ID] {
				t.Errorf("holdOut %v: group G%d in the knowledge %v, its galaxy copy %v; want both or neither", hold, i+1, inKnowledge[g], inKnowledge[c.ID])
			}
		}
		if hold > 0 && ds.held != 1 {
			t.Errorf("holdOut %v: %d held out, want 1", hold, ds.held)
		}
	}
}
