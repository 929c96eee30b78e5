// Package investigation is the life of a case (kb.Case) that every front
// end drives: open it from evidence, add evidence, attribute it (each
// result kept with the state of the knowledge and the parameters), confirm
// it to a known actor or a new one, reopen it, and export it.
//
// A confirmed case becomes knowledge. Its objects, imported under the
// source "case ID" (kb.SourceCase), are a STIX 2.1 incident attributed-to
// the actor with the analyst's confidence, uses relationships from the
// incident to the techniques and software the case shows, indicators that
// indicate the actor, and the case's samples as files related-to it; the
// provenance ("case ID, confirmed by NAME on DATE") is in their external
// references. The attribution engine reads an attributed incident's uses
// as the actor's behaviour, so later cases like this one rank it. Reopening
// imports the same objects revoked: withdrawn, never deleted.
package investigation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

// Service runs case operations on a store.
type Service struct {
	Store kb.Store
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Fold is the fold threshold of actor clusters (0: kb.DefaultFold).
	Fold int
	// Network is the offline network data (nil: none): every attribution
	// of a case uses it unless its options name their own, so that the
	// CLI, the API and the UI weigh a case's addresses alike.
	Network attrib.Network
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Evidence is one file given to a case.
type Evidence struct {
	Name    string // a file name; only its base is kept
	Content []byte
	By      string // who gave it
	// Unreviewed marks evidence extracted from a report: it is kept, but
	// not attributed until an analyst accepts it.
	Unreviewed bool
}

// check parses ev as a case file, so that nothing unreadable is stored,
// and returns the stored form.
func check(ev Evidence, at time.Time) (kb.CaseEvidence, *casefile.Case, error) {
	name := filepath.Base(strings.TrimSpace(ev.Name))
	if name == "" || name == "." || name == "/" {
		return kb.CaseEvidence{}, nil, errs.E(errs.Invalid, "evidence has no name")
	}
	c, _, err := casefile.Parse(name, bytes.NewReader(ev.Content))
	if err != nil {
		return kb.CaseEvidence{}, nil, errs.Wrap(errs.Invalid, err, "")
	}
	format := "yaml"
	if t := bytes.TrimLeft(ev.Content, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == 0x1f) {
		format = "stix"
	}
	sum := sha256.Sum256(ev.Content)
	status := kb.EvidenceAccepted
	if ev.Unreviewed {
		status = kb.EvidenceUnreviewed
	}
	return kb.CaseEvidence{Name: name, Format: format, SHA256: hex.EncodeToString(sum[:]), Added: at, By: ev.By,
		Status: status, Content: ev.Content}, c, nil
}

// New opens a case from its first evidence. The case is named by name, else
// by the evidence's own name (a case file's name:), else the file name.
func (s *Service) New(ctx context.Context, name string, ev Evidence) (*kb.Case, error) {
	at := s.now()
	e, parsed, err := check(ev, at)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = parsed.Name
	}
	if name == "" {
		name = e.Name
	}
	c := &kb.Case{ID: kb.NewCaseID(), Name: name, Status: kb.CaseOpen, Created: at, Modified: at,
		Evidence: []kb.CaseEvidence{e},
		History:  []kb.CaseEvent{{At: at, Action: "created", By: ev.By, Detail: "from " + e.Name}}}
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Add adds evidence to an open case. Evidence of the same name is refused
// unless it is the same content (then nothing changes): a file that
// changed is new evidence, to be added under a name of its own.
func (s *Service) Add(ctx context.Context, id string, ev Evidence) (*kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != kb.CaseOpen {
		return nil, errs.E(errs.Conflict, "case %s is %s: reopen it before adding evidence (culprit case reopen %s)", id, c.Status, id)
	}
	at := s.now()
	e, _, err := check(ev, at)
	if err != nil {
		return nil, err
	}
	for _, have := range c.Evidence {
		if have.Name != e.Name {
			continue
		}
		if have.SHA256 == e.SHA256 {
			return c, nil
		}
		return nil, errs.E(errs.Conflict, "case %s already has evidence %s, with other content (added %s): the file changed; add it under another name",
			id, e.Name, have.Added.Format(time.RFC3339))
	}
	c.Evidence = append(c.Evidence, e)
	c.Modified = at
	c.History = append(c.History, kb.CaseEvent{At: at, Action: "evidence added", By: ev.By, Detail: e.Name + " (" + e.Status + ")"})
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Accept marks unreviewed evidence as accepted, so it is attributed.
func (s *Service) Accept(ctx context.Context, id, name, by string) (*kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range c.Evidence {
		if c.Evidence[i].Name != name {
			continue
		}
		if c.Evidence[i].Status == kb.EvidenceAccepted {
			return c, nil
		}
		at := s.now()
		c.Evidence[i].Status = kb.EvidenceAccepted
		c.Modified = at
		c.History = append(c.History, kb.CaseEvent{At: at, Action: "evidence accepted", By: by, Detail: name})
		if err := s.Store.PutCase(ctx, c); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, errs.E(errs.NotFound, "case %s has no evidence %q", id, name)
}

// Merge returns the accepted evidence of c as one case to attribute, with
// the parsers' warnings.
func Merge(c *kb.Case) (*casefile.Case, []casefile.Warning, error) {
	out := &casefile.Case{Name: c.Name}
	var warns []casefile.Warning
	for _, e := range c.Evidence {
		if e.Status != kb.EvidenceAccepted {
			continue
		}
		p, w, err := casefile.Parse(e.Name, bytes.NewReader(e.Content))
		if err != nil {
			return nil, nil, fmt.Errorf("case %s: evidence %s: %w", c.ID, e.Name, err)
		}
		warns = append(warns, w...)
		out.Techniques = append(out.Techniques, p.Techniques...)
		out.Software = append(out.Software, p.Software...)
		out.Indicators = append(out.Indicators, p.Indicators...)
		out.Samples = append(out.Samples, p.Samples...)
		out.Claims = append(out.Claims, p.Claims...)
		if out.Victim == (casefile.Victim{}) {
			out.Victim = p.Victim
		}
		if p.Notes != "" {
			out.Notes = strings.TrimSpace(out.Notes + "\n" + p.Notes)
		}
	}
	if len(out.Techniques)+len(out.Software)+len(out.Indicators)+len(out.Samples)+len(out.Claims) == 0 {
		return nil, nil, errs.E(errs.Invalid, "case %s has no accepted evidence to attribute", c.ID)
	}
	return out, warns, nil
}

// Attribute attributes the accepted evidence of case id with know and
// keeps the result in the case's history. The analysts' overrides of the
// case (Override) replace the engine's ratios of their cells, and the
// result keeps the table of its evidence for ach.DefaultHypotheses
// hypotheses unless opt.Table says otherwise.
func (s *Service) Attribute(ctx context.Context, id string, know *assess.Knowledge, opt assess.Options, by string) (*attrib.Result, *kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	merged, warns, err := Merge(c)
	if err != nil {
		return nil, nil, err
	}
	// The analysts' overrides apply, and the result keeps the table of
	// its evidence, so that its matrix of competing hypotheses can be
	// shown later (LatestMatrix).
	opt.Overrides = append(ach.Effective(c.Overrides), opt.Overrides...)
	if opt.Table == 0 {
		opt.Table = ach.DefaultHypotheses
	}
	if opt.Network == nil {
		opt.Network = s.Network
	}
	res, err := know.Attribute(merged, warns, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("case %s: %w", id, err)
	}
	if res.Table != nil {
		// Only the overrides of actors this knowledge holds: the result
		// has the knowledge's level, and an override made where more was
		// visible (the command line) must not name a hidden actor in it.
		res.Table.Overrides = nil
		for _, o := range c.Overrides {
			if o.Hypothesis == attrib.UnknownHypothesis || know.Actor(o.Hypothesis) != nil {
				res.Table.Overrides = append(res.Table.Overrides, o)
			}
		}
	}
	tag, err := kb.StateTag(ctx, s.Store)
	if err != nil {
		return nil, nil, err
	}
	p := attrib.DefaultParams()
	if opt.Params != nil {
		p = *opt.Params
	}
	params, err := json.Marshal(p)
	if err != nil {
		return nil, nil, fmt.Errorf("encode parameters: %w", err)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, nil, fmt.Errorf("encode result: %w", err)
	}
	at := s.now()
	var sums []string
	for _, e := range c.Evidence {
		if e.Status == kb.EvidenceAccepted {
			sums = append(sums, e.SHA256)
		}
	}
	c.Results = append(c.Results, kb.CaseResult{At: at, Knowledge: tag, Evidence: sums, Params: params, Result: raw})
	c.Modified = at
	top := "an actor not in the knowledge base"
	if res.Top != "unknown" && len(res.Hypotheses) > 0 {
		top = res.Hypotheses[0].Name
	}
	c.History = append(c.History, kb.CaseEvent{At: at, Action: "attributed", By: by,
		Detail: fmt.Sprintf("%s first (%s, confidence %s)", top, assessPct(res), res.Confidence)})
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, nil, err
	}
	return res, c, nil
}

func assessPct(r *attrib.Result) string {
	p := r.Unknown
	if r.Top != "unknown" && len(r.Hypotheses) > 0 {
		p = r.Hypotheses[0].Probability
	}
	return fmt.Sprintf("%.0f%%", p*100)
}
