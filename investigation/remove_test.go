package investigation_test

import (
	"context"
	"testing"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
)

func TestRemoveEvidence(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	c, err := s.New(ctx, "", sonyEvidence(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err = s.Add(ctx, c.ID, investigation.Evidence{Name: "extra.yaml", Content: []byte("techniques:\n  - id: T1059\n"), By: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	read := c.Version
	sum := c.Evidence[1].SHA256

	for _, tc := range []struct {
		name string
		rm   investigation.Removal
		kind errs.Kind
	}{
		{"absent evidence", investigation.Removal{Name: "nothing.yaml", By: "bob"}, errs.NotFound},
		{"stale version", investigation.Removal{Name: "extra.yaml", By: "bob", Version: read - 1}, errs.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Remove(ctx, c.ID, tc.rm); errs.KindOf(err) != tc.kind {
				t.Fatalf("Remove(%+v) = %v, want a %v error", tc.rm, err, tc.kind)
			}
			got, err := s.Store.Case(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != read || len(got.Evidence) != 2 {
				t.Errorf("after a refused removal: version %d, %d evidence; want %d, 2", got.Version, len(got.Evidence), read)
			}
		})
	}

	got, err := s.Remove(ctx, c.ID, investigation.Removal{Name: "extra.yaml", By: "bob", Version: read, Reason: "wrong incident"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Evidence) != 1 || got.Evidence[0].Name != "case.yaml" || got.Version != read+1 {
		t.Fatalf("after Remove: %d evidence (%+v), version %d", len(got.Evidence), got.Evidence, got.Version)
	}
	last := got.History[len(got.History)-1]
	if last.Action != "evidence removed" || last.By != "bob" || last.Detail != "extra.yaml (sha256 "+sum+"): wrong incident" || !last.At.Equal(got.Modified) {
		t.Errorf("history line = %+v", last)
	}
	stored, err := s.Store.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Evidence) != 1 || stored.Version != got.Version {
		t.Errorf("stored: %d evidence, version %d", len(stored.Evidence), stored.Version)
	}

	// A confirmed case keeps its evidence.
	if _, err := s.Confirm(ctx, c.ID, knowledge(t, s), investigation.Confirmation{Actor: "Lazarus Group", Analyst: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, c.ID, investigation.Removal{Name: "case.yaml", By: "bob"}); errs.KindOf(err) != errs.Conflict {
		t.Errorf("Remove from a confirmed case = %v, want a conflict", err)
	}
	if stored, _ := s.Store.Case(ctx, c.ID); stored.Status != kb.CaseConfirmed || len(stored.Evidence) != 1 {
		t.Errorf("confirmed case after a refused removal: %s, %d evidence", stored.Status, len(stored.Evidence))
	}
}
