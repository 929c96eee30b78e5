package investigation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

// Limits on overrides, so that a case cannot grow without bound through
// them.
const (
	MaxOverrides      = 10000
	maxOverrideReason = 4000 // bytes
	maxAnalyst        = 200
)

// Override is an analyst's rating of one cell of a case's matrix of
// competing hypotheses (package ach).
type Override struct {
	Item string // the evidence item's key (ach.Row.Key, attrib.Row.Key)
	// Hypothesis is the STIX id of any object of the actor's cluster, or
	// "unknown" for an actor not in the knowledge base.
	Hypothesis string
	Rating     string // an ach.Rating, its words or its symbol (CC, C, N, I, II)
	Analyst    string
	Reason     string
	// Version, when not 0, is the version of the case the analyst read:
	// a case changed since is a conflict.
	Version int
}

// Override keeps an analyst's rating of one cell of case id's matrix: the
// next attribution of the case uses it (the latest rating of a cell by
// any analyst applies) in place of the engine's likelihood ratio. The
// earlier ratings of the cell are kept, so that the matrix shows where
// analysts disagree. It returns an errs.Invalid error, and changes
// nothing, for a rating not on the scale, an item the case's accepted
// evidence does not have, a hypothesis that is no actor of know, or a
// missing analyst or reason; a conflict when the case is not open or
// changed since o.Version.
func (s *Service) Override(ctx context.Context, id string, know *assess.Knowledge, o Override) (*kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.Version != 0 && o.Version != c.Version {
		return nil, kb.CaseConflict(id, o.Version, c.Version)
	}
	if c.Status != kb.CaseOpen {
		return nil, errs.E(errs.Conflict, "case %s is %s: reopen it before overriding its matrix (culprit case reopen %s)", id, c.Status, id)
	}
	r, err := ach.ParseRating(o.Rating)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	analyst, reason := strings.TrimSpace(o.Analyst), strings.TrimSpace(o.Reason)
	switch {
	case analyst == "":
		return nil, errs.E(errs.Invalid, "case %s: an override needs the analyst's name", id)
	case len(analyst) > maxAnalyst || !utf8.ValidString(analyst):
		return nil, errs.E(errs.Invalid, "case %s: the analyst's name is not valid UTF-8 of at most %d bytes", id, maxAnalyst)
	case reason == "":
		return nil, errs.E(errs.Invalid, "case %s: an override needs a reason (why the engine's rating is wrong)", id)
	case len(reason) > maxOverrideReason || !utf8.ValidString(reason):
		return nil, errs.E(errs.Invalid, "case %s: the reason is not valid UTF-8 of at most %d bytes", id, maxOverrideReason)
	case len(c.Overrides) >= MaxOverrides:
		return nil, errs.E(errs.TooLarge, "case %s has %d overrides, the limit", id, len(c.Overrides))
	}
	hyp := strings.TrimSpace(o.Hypothesis)
	if hyp != attrib.UnknownHypothesis {
		a := know.Actor(hyp)
		if a == nil {
			return nil, errs.E(errs.Invalid, "case %s: no actor %q in the knowledge base to override a rating of (give the STIX id of an actor, or %q)", id, clipText(hyp), attrib.UnknownHypothesis)
		}
		hyp = a.ID
	}
	keys, err := itemKeys(c, know, s.Network)
	if err != nil {
		return nil, err
	}
	if !keys[o.Item] {
		return nil, errs.E(errs.Invalid, "case %s has no evidence item %q (the keys are the matrix's rows, e.g. %q)", id, clipText(o.Item), anyKey(keys))
	}
	at := s.now()
	c.Overrides = append(c.Overrides, kb.CaseOverride{Item: o.Item, Hypothesis: hyp, Rating: string(r), Analyst: analyst, At: at, Reason: reason})
	c.Modified = at
	c.History = append(c.History, kb.CaseEvent{At: at, Action: "override", By: analyst,
		Detail: fmt.Sprintf("%s for %s: %s: %s", o.Item, hypName(know, hyp), r.Label(), reason)})
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// OverrideRemoval names the overrides of one cell to take back.
type OverrideRemoval struct {
	Item       string
	Hypothesis string // as stored (kb.CaseOverride.Hypothesis)
	// Analyst, when not empty, removes only that analyst's overrides of
	// the cell; empty removes every analyst's.
	Analyst string
	By      string // who removes them (kept in the history)
	Version int    // as Override.Version
}

// RemoveOverride takes overrides of a cell out of case id: the next
// attribution uses the remaining latest rating of the cell, or the
// engine's when none is left. The history keeps what was removed. A cell
// with no such override is not found.
func (s *Service) RemoveOverride(ctx context.Context, id string, rm OverrideRemoval) (*kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if rm.Version != 0 && rm.Version != c.Version {
		return nil, kb.CaseConflict(id, rm.Version, c.Version)
	}
	if c.Status != kb.CaseOpen {
		return nil, errs.E(errs.Conflict, "case %s is %s: reopen it before changing its matrix (culprit case reopen %s)", id, c.Status, id)
	}
	keep := c.Overrides[:0:0]
	var gone []string
	for _, o := range c.Overrides {
		if o.Item == rm.Item && o.Hypothesis == rm.Hypothesis && (rm.Analyst == "" || o.Analyst == rm.Analyst) {
			gone = append(gone, fmt.Sprintf("%s's %s of %s", o.Analyst, ach.Rating(o.Rating).Label(), o.At.Format("2006-01-02 15:04")))
			continue
		}
		keep = append(keep, o)
	}
	if len(gone) == 0 {
		return nil, errs.E(errs.NotFound, "case %s has no override of %q for %s", id, clipText(rm.Item), clipText(rm.Hypothesis))
	}
	at := s.now()
	c.Overrides = keep
	c.Modified = at
	c.History = append(c.History, kb.CaseEvent{At: at, Action: "override removed", By: rm.By,
		Detail: fmt.Sprintf("%s for %s: %s", rm.Item, rm.Hypothesis, strings.Join(gone, ", "))})
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Matrix attributes case id's accepted evidence with its overrides, as
// Attribute would, and returns the matrix of competing hypotheses with n
// known actors (0: ach.DefaultHypotheses), rows most diagnostic first.
// Nothing is kept: the case is not changed.
func (s *Service) Matrix(ctx context.Context, id string, know *assess.Knowledge, opt assess.Options, n int) (*ach.Matrix, *attrib.Result, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	merged, warns, err := Merge(c)
	if err != nil {
		return nil, nil, err
	}
	if n <= 0 {
		n = ach.DefaultHypotheses
	}
	opt.Table = n
	opt.Overrides = append(ach.Effective(c.Overrides), opt.Overrides...)
	res, err := know.Attribute(merged, warns, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("case %s: %w", id, err)
	}
	m, err := ach.Build(res, c.Overrides)
	if err != nil {
		return nil, nil, err
	}
	m.SortByDiagnosticity()
	return m, res, nil
}

// LatestMatrix is the matrix of the case's latest kept result, rows most
// diagnostic first; not found when the case has no result yet.
func LatestMatrix(c *kb.Case) (*ach.Matrix, error) {
	if len(c.Results) == 0 {
		return nil, errs.E(errs.NotFound, "case %s has no attribution yet (culprit case attribute %s)", c.ID, c.ID)
	}
	var res attrib.Result
	if err := json.Unmarshal(c.Results[len(c.Results)-1].Result, &res); err != nil {
		return nil, fmt.Errorf("case %s: decode the latest result: %w", c.ID, err)
	}
	m, err := ach.Build(&res, c.Overrides)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.ID, err)
	}
	m.SortByDiagnosticity()
	return m, nil
}

// itemKeys are the keys of the evidence items of c's accepted evidence
// (with the network data the case is attributed with: its network items
// are rows too).
func itemKeys(c *kb.Case, know *assess.Knowledge, network attrib.Network) (map[string]bool, error) {
	merged, warns, err := Merge(c)
	if err != nil {
		return nil, err
	}
	res, err := know.Attribute(merged, warns, assess.Options{Table: 1, Network: network})
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.ID, err)
	}
	keys := make(map[string]bool, len(res.Table.Rows))
	for _, r := range res.Table.Rows {
		keys[r.Key] = true
	}
	return keys, nil
}

func anyKey(keys map[string]bool) string {
	best := ""
	for k := range keys {
		if best == "" || k < best {
			best = k
		}
	}
	return best
}

func hypName(know *assess.Knowledge, id string) string {
	if a := know.Actor(id); a != nil {
		return a.Name
	}
	return ach.UnknownName
}

func clipText(s string) string {
	if len(s) <= 80 {
		return s
	}
	i := 80
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
