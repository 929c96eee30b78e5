package investigation

import (
	"context"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

// Removal names the evidence to take out of a case and who does it.
type Removal struct {
	Name string // the evidence's name, as stored
	By   string // who removes it (kept in the history)
	// Version, when not 0, is the version of the case the remover read:
	// a case changed since (by another analyst) is a conflict, so that
	// nobody removes evidence on the strength of a case they have not
	// seen.
	Version int
	Reason  string
}

// Remove takes evidence out of an open case. The evidence is gone from
// the case (it is no longer attributed or exported); the history keeps
// who removed it, when, and its SHA-256, so that the results computed
// with it stay explained. A confirmed case is a conflict: what it
// confirmed rests on its evidence (reopen it first). Evidence the case
// does not have is not found.
func (s *Service) Remove(ctx context.Context, id string, rm Removal) (*kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if rm.Version != 0 && rm.Version != c.Version {
		return nil, kb.CaseConflict(id, rm.Version, c.Version)
	}
	if c.Status != kb.CaseOpen {
		return nil, errs.E(errs.Conflict, "case %s is %s: reopen it before removing evidence (culprit case reopen %s)", id, c.Status, id)
	}
	for i, e := range c.Evidence {
		if e.Name != rm.Name {
			continue
		}
		at := s.now()
		c.Evidence = append(c.Evidence[:i:i], c.Evidence[i+1:]...)
		c.Modified = at
		detail := e.Name + " (sha256 " + e.SHA256 + ")"
		if rm.Reason != "" {
			detail += ": " + rm.Reason
		}
		c.History = append(c.History, kb.CaseEvent{At: at, Action: "evidence removed", By: rm.By, Detail: detail})
		// PutCase replaces the case only at the version read here: a
		// writer in between makes this a conflict, not a lost update.
		if err := s.Store.PutCase(ctx, c); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, errs.E(errs.NotFound, "case %s has no evidence %q", id, rm.Name)
}
