package investigation_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// service opens a store holding the Sony starter knowledge, with a clock
// that ticks a second per call.
func service(t *testing.T) *investigation.Service {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceBuiltin, Name: "starter"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2014, 12, 20, 9, 0, 0, 0, time.UTC)
	return &investigation.Service{Store: st, Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
}

func knowledge(t *testing.T, s *investigation.Service) *assess.Knowledge {
	t.Helper()
	k, err := assess.Load(context.Background(), s.Store, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sonyEvidence(t *testing.T) investigation.Evidence {
	t.Helper()
	b, err := os.ReadFile("../examples/sony-2014/case.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return investigation.Evidence{Name: "case.yaml", Content: b, By: "alice"}
}

func TestCaseLife(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	c, err := s.New(ctx, "", sonyEvidence(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Sony Pictures Entertainment, November 2014" || c.Status != kb.CaseOpen || len(c.Evidence) != 1 {
		t.Fatalf("New = %+v", c)
	}
	res, c, err := s.Attribute(ctx, c.ID, knowledge(t, s), assess.Options{}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if res.Top == "unknown" || res.Hypotheses[0].Name != "Lazarus Group" || len(c.Results) != 1 || c.Results[0].Knowledge == "" {
		t.Fatalf("Attribute: top %s, %d results", res.Top, len(c.Results))
	}

	before := stats(t, s)
	c, err = s.Confirm(ctx, c.ID, knowledge(t, s), investigation.Confirmation{Actor: "Unit 121", Analyst: "alice", Reason: "FBI"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != kb.CaseConfirmed || c.Confirmation.ActorName != "Lazarus Group" || c.Confirmation.Confidence != investigation.DefaultConfidence {
		t.Fatalf("Confirm: %+v", c.Confirmation)
	}
	after := stats(t, s)
	// The case's objects, and culprit's identity as their creator.
	if after.Objects-before.Objects != len(c.Confirmation.Objects)+1 {
		t.Errorf("Confirm added %d objects, the case lists %d and the identity", after.Objects-before.Objects, len(c.Confirmation.Objects))
	}
	// The incident is attributed to the actor with the analyst's
	// confidence, and says who confirmed it.
	var attributed int
	err = s.Store.Relationships(ctx, kb.RelationshipQuery{Types: []string{"attributed-to"}, TargetRefs: []string{c.Confirmation.Actor}}, func(r *stix.Object) error {
		if strings.HasPrefix(r.SourceRef, "incident--") {
			attributed++
			if r.Confidence == nil || *r.Confidence != investigation.DefaultConfidence || !strings.Contains(string(r.Raw), "confirmed by alice") {
				t.Errorf("attributed-to %s: confidence %v, raw %s", r.ID, r.Confidence, r.Raw)
			}
		}
		return nil
	})
	if err != nil || attributed != 1 {
		t.Fatalf("attributed-to from the incident: %d (%v), want 1", attributed, err)
	}

	// Confirming twice changes nothing.
	if _, err := s.Confirm(ctx, c.ID, knowledge(t, s), investigation.Confirmation{Actor: "APT28", Analyst: "bob"}); errs.KindOf(err) != errs.Conflict {
		t.Errorf("second Confirm = %v, want a conflict", err)
	}
	if got, _ := s.Store.Case(ctx, c.ID); got.Version != c.Version {
		t.Errorf("a refused confirmation changed the case (version %d, was %d)", got.Version, c.Version)
	}

	var buf bytes.Buffer
	if err := s.Export(ctx, c.ID, knowledge(t, s), &buf); err != nil {
		t.Fatal(err)
	}
	exported, err := stix.ReadAll(&buf, "export")
	if err != nil {
		t.Fatalf("export is not a valid bundle: %v", err)
	}
	if len(exported) != len(c.Confirmation.Objects)+1 {
		t.Errorf("export holds %d objects, want the %d of the confirmation and culprit's identity", len(exported), len(c.Confirmation.Objects))
	}

	// Reopening revokes what the confirmation added; nothing is deleted.
	c, err = s.Reopen(ctx, c.ID, "bob", "new evidence")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != kb.CaseOpen || c.Confirmation != nil {
		t.Fatalf("Reopen: %+v", c)
	}
	reopened := stats(t, s)
	if reopened.Objects != after.Objects || reopened.Inactive <= after.Inactive {
		t.Errorf("after reopen: %d objects (%d inactive), before %d (%d): want the same objects, more inactive",
			reopened.Objects, reopened.Inactive, after.Objects, after.Inactive)
	}
	if _, err := s.Reopen(ctx, c.ID, "bob", ""); errs.KindOf(err) != errs.Conflict {
		t.Errorf("Reopen of an open case = %v, want a conflict", err)
	}
	// Confirming again after a reopen replaces the same objects.
	c, err = s.Confirm(ctx, c.ID, knowledge(t, s), investigation.Confirmation{Actor: "Lazarus Group", Analyst: "bob", Confidence: 90})
	if err != nil {
		t.Fatal(err)
	}
	if again := stats(t, s); again.Objects != after.Objects || again.Inactive != after.Inactive {
		t.Errorf("after confirming again: %d objects (%d inactive), want %d (%d)", again.Objects, again.Inactive, after.Objects, after.Inactive)
	}
	var actions []string
	for _, h := range c.History {
		actions = append(actions, h.Action)
	}
	if got, want := strings.Join(actions, ", "), "created, attributed, confirmed, reopened, confirmed"; got != want {
		t.Errorf("history %q, want %q", got, want)
	}
}

func stats(t *testing.T, s *investigation.Service) kb.Stats {
	t.Helper()
	x, err := s.Store.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestCaseErrorsChangeNothing(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	k := knowledge(t, s)
	c, err := s.New(ctx, "", sonyEvidence(t))
	if err != nil {
		t.Fatal(err)
	}
	before := stats(t, s)
	for _, tc := range []struct {
		name string
		err  error
		kind errs.Kind
	}{
		{"unknown case", func() error { _, _, err := s.Attribute(ctx, "case-000000000000", k, assess.Options{}, ""); return err }(), errs.NotFound},
		{"unknown actor", func() error {
			_, err := s.Confirm(ctx, c.ID, k, investigation.Confirmation{Actor: "Nobody At All", Analyst: "a"})
			return err
		}(), errs.NotFound},
		{"new actor named like a known one", func() error {
			_, err := s.Confirm(ctx, c.ID, k, investigation.Confirmation{NewActor: "lazarus group", Analyst: "a"})
			return err
		}(), errs.Conflict},
		{"no analyst", func() error {
			_, err := s.Confirm(ctx, c.ID, k, investigation.Confirmation{Actor: "Lazarus Group"})
			return err
		}(), errs.Invalid},
		{"changed file", func() error {
			ev := sonyEvidence(t)
			ev.Content = append(ev.Content, []byte("\nnotes: edited\n")...)
			_, err := s.Add(ctx, c.ID, ev)
			return err
		}(), errs.Conflict},
		{"not a case file", func() error {
			_, err := s.Add(ctx, c.ID, investigation.Evidence{Name: "junk.yaml", Content: []byte("- just\n- a list\n")})
			return err
		}(), errs.Invalid},
	} {
		if errs.KindOf(tc.err) != tc.kind {
			t.Errorf("%s: error %v (kind %v), want kind %v", tc.name, tc.err, errs.KindOf(tc.err), tc.kind)
		}
	}
	got, err := s.Store.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != c.Version || got.Status != kb.CaseOpen {
		t.Errorf("the refused operations changed the case: version %d (was %d), status %s", got.Version, c.Version, got.Status)
	}
	if after := stats(t, s); after.Objects != before.Objects {
		t.Errorf("the refused operations changed the knowledge: %d objects, was %d", after.Objects, before.Objects)
	}
	// The same file again is not new evidence.
	if again, err := s.Add(ctx, c.ID, sonyEvidence(t)); err != nil || again.Version != c.Version {
		t.Errorf("adding the same file again = %v (version %d), want no change", err, again.Version)
	}
}

// A group confirmed as new from one case is ranked for the next case like
// it: the knowledge base learned from the analyst.
func TestNewActorIsLearned(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	first := []byte("name: first intrusion\ntechniques: [T1001.003, T1090, T1571, T1573.001, T1110]\nsoftware: [S0364]\n")
	c, err := s.New(ctx, "", investigation.Evidence{Name: "first.yaml", Content: first})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm(ctx, c.ID, knowledge(t, s), investigation.Confirmation{NewActor: "Quiet Crew", Analyst: "alice"}); err != nil {
		t.Fatal(err)
	}
	second := []byte("name: second intrusion\ntechniques: [T1001.003, T1090, T1571, T1573.001]\nsoftware: [S0364]\n")
	c2, err := s.New(ctx, "", investigation.Evidence{Name: "second.yaml", Content: second})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := s.Attribute(ctx, c2.ID, knowledge(t, s), assess.Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	var rank int
	for i, h := range res.Hypotheses {
		if h.Name == "Quiet Crew" {
			rank = i + 1
		}
	}
	if rank == 0 || rank > 2 {
		t.Errorf("the confirmed new actor ranks %d (top %s), want it among the first two", rank, res.Hypotheses[0].Name)
	}
}
