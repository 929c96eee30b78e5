package kbtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

func newCase(id, name string, at time.Time) *kb.Case {
	return &kb.Case{ID: id, Name: name, Status: kb.CaseOpen, Created: at, Modified: at,
		Evidence: []kb.CaseEvidence{{Name: "case.yaml", Format: "yaml", SHA256: "00", Added: at, Status: kb.EvidenceAccepted,
			Content: []byte("name: x\ntechniques: [T1059]\n")}},
		History: []kb.CaseEvent{{At: at, Action: "created"}}}
}

func testCases(t *testing.T, s kb.Store) {
	ctx := context.Background()
	t0 := time.Date(2014, 11, 24, 12, 0, 0, 0, time.UTC)
	a := newCase("case-00000000000a", "Sony", t0)
	if err := s.PutCase(ctx, a); err != nil {
		t.Fatalf("PutCase(new): %v", err)
	}
	if a.Version != 1 {
		t.Errorf("after create, Version = %d, want 1", a.Version)
	}
	got, err := s.Case(ctx, a.ID)
	if err != nil {
		t.Fatalf("Case(%s): %v", a.ID, err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("Case(%s) differs from what was stored (-put +got):\n%s", a.ID, diff)
	}

	// A second create of the same id conflicts and changes nothing.
	dup := newCase(a.ID, "other", t0)
	if err := s.PutCase(ctx, dup); errs.KindOf(err) != errs.Conflict || dup.Version != 0 {
		t.Errorf("PutCase(existing id) = %v (kind %v), Version %d; want a conflict and Version 0", err, errs.KindOf(err), dup.Version)
	}

	// An update with the version read succeeds; a stale one conflicts.
	stale := *got
	got.Name = "Sony Pictures"
	got.History = append(got.History, kb.CaseEvent{At: t0.Add(time.Hour), Action: "renamed"})
	if err := s.PutCase(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("PutCase(update) = %v, Version %d; want nil, 2", err, got.Version)
	}
	stale.Name = "lost update"
	if err := s.PutCase(ctx, &stale); errs.KindOf(err) != errs.Conflict {
		t.Errorf("PutCase(stale version) = %v, want a conflict", err)
	}
	if c, _ := s.Case(ctx, a.ID); c == nil || c.Name != "Sony Pictures" {
		t.Errorf("after a refused stale update the case is %+v, want the earlier update kept", c)
	}

	// Absent cases.
	if _, err := s.Case(ctx, "case-0000000000ff"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("Case(absent) = %v, want not found", err)
	}
	ghost := newCase("case-0000000000ff", "ghost", t0)
	ghost.Version = 3
	if err := s.PutCase(ctx, ghost); errs.KindOf(err) != errs.NotFound {
		t.Errorf("PutCase(update of an absent case) = %v, want not found", err)
	}
	bad := newCase("x", "bad", t0)
	if err := s.PutCase(ctx, bad); errs.KindOf(err) != errs.Invalid {
		t.Errorf("PutCase(invalid id) = %v, want invalid", err)
	}

	// Listing: oldest first.
	b := newCase("case-00000000000b", "earlier", t0.Add(-time.Hour))
	if err := s.PutCase(ctx, b); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := s.Cases(ctx, func(c *kb.Case) error { ids = append(ids, c.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{b.ID, a.ID}, ids); diff != "" {
		t.Errorf("Cases order (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := s.Cases(ctx, func(*kb.Case) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Cases with fn failing = %v, want fn's error", err)
	}
}

// Concurrent read-modify-write of one case: every update that succeeds
// is kept, and those that lose the race are told so.
func testCasesConcurrent(t *testing.T, s kb.Store) {
	ctx := context.Background()
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCase("case-0000000000cc", "contended", t0)
	if err := s.PutCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 5
	var mu sync.Mutex
	ok := 0
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				cur, err := s.Case(ctx, c.ID)
				if err != nil {
					errc <- err
					return
				}
				cur.History = append(cur.History, kb.CaseEvent{At: t0, Action: "note", Detail: string(rune('a' + w))})
				switch err := s.PutCase(ctx, cur); {
				case err == nil:
					mu.Lock()
					ok++
					mu.Unlock()
				case errs.KindOf(err) != errs.Conflict:
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("concurrent update: %v", err)
	}
	final, err := s.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.Version != 1+ok || len(final.History) != 1+ok {
		t.Errorf("after %d successful updates: version %d, %d history lines; want %d and %d", ok, final.Version, len(final.History), 1+ok, 1+ok)
	}
}
