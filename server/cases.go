package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
)

// The case endpoints drive investigation.Service on the store. Every one
// reads its case through access.View.Case (access/case.go), the one place
// the TLP rule of cases lives: a case above the token's level is a case
// that does not exist, and a result above it is not in the case.

func (s *Server) service() *investigation.Service {
	return &investigation.Service{Store: s.cfg.Store, Now: s.cfg.Now, Fold: s.cfg.Fold, Network: s.network()}
}

// caseOf returns the case id as the caller may see it.
func (s *Server) caseOf(ctx context.Context, c *call, id string) (*kb.Case, error) {
	if !kb.ValidCaseID(id) {
		return nil, kb.CaseNotFound(id)
	}
	cs, err := s.cfg.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.view.Case(cs)
}

// caseKnowledge is the level of the knowledge a caller uses on a case:
// the lower of its own and the case's, so that nothing computed into the
// case (a result, a confirmation, an export) is above the case.
func caseKnowledge(c *call, cs *kb.Case) access.Level {
	return min(c.tok.TLP, access.CaseLevel(cs.TLP))
}

// decodeBody decodes r's JSON body into v, refusing unknown fields: a
// body over the route's limit keeps its error (413), any other is an
// invalid request that says what was wanted.
func decodeBody(r *http.Request, v any, want string) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return errs.Wrap(errs.Invalid, err, "%s", want)
	}
	return nil
}

// caseAttribution is the knowledge a case is attributed (and its matrix
// overridden) with, and its level: caseKnowledge, capped at the highest
// level the snapshot holds, since the knowledge of a level above it is
// the same knowledge.
func (s *Server) caseAttribution(ctx context.Context, c *call, cs *kb.Case) (*assess.Knowledge, access.Level, error) {
	l := min(caseKnowledge(c, cs), c.snap.highest)
	know, err := s.knowledge(ctx, c.snap, l)
	return know, l, err
}

// writeCase answers with what the caller may see of cs.
func (s *Server) writeCase(w http.ResponseWriter, c *call, status int, cs *kb.Case) error {
	v, err := c.view.Case(cs)
	if err != nil {
		return err
	}
	return writeJSON(w, status, v)
}

// caseSummary is one case in the list.
type caseSummary struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	TLP      string `json:"tlp"`
	Created  string `json:"created"`
	Modified string `json:"modified"`
	Evidence int    `json:"evidence"`
	Results  int    `json:"results"`
	Actor    string `json:"actor,omitempty"`
}

func (s *Server) handleCaseList(w http.ResponseWriter, r *http.Request, c *call) error {
	out := []caseSummary{}
	err := s.cfg.Store.Cases(r.Context(), func(cs *kb.Case) error {
		v, err := c.view.Case(cs)
		if errs.KindOf(err) == errs.NotFound {
			return nil // above the caller: not counted either
		}
		if err != nil {
			return err
		}
		sm := caseSummary{ID: v.ID, Name: v.Name, Status: v.Status, TLP: access.CaseLevel(v.TLP).String(),
			Created: v.Created.UTC().Format("2006-01-02T15:04:05Z"), Modified: v.Modified.UTC().Format("2006-01-02T15:04:05Z"),
			Evidence: len(v.Evidence), Results: len(v.Results)}
		if v.Confirmation != nil {
			sm.Actor = v.Confirmation.ActorName
		}
		out = append(out, sm)
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"cases": out})
}

// readEvidence reads a posted evidence file named name (else def, with
// the extension of its format).
func readEvidence(r *http.Request, c *call, name, def string) (investigation.Evidence, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return investigation.Evidence{}, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return investigation.Evidence{}, errs.E(errs.Invalid, "the body is empty: post a YAML case file or a STIX bundle")
	}
	if name == "" {
		name = def
		if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			name += ".json"
		} else {
			name += ".yaml"
		}
	}
	return investigation.Evidence{Name: name, Content: b, By: c.tok.Name,
		Unreviewed: r.URL.Query().Get("unreviewed") == "true"}, nil
}

// handleCaseCreate opens a case at the level ?tlp= (default TLP:AMBER,
// or the creator's level when lower), never above the creator's level.
func (s *Server) handleCaseCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	level := min(access.Amber, c.tok.TLP)
	if v, err := queryParam(r, "tlp", false); err != nil {
		return err
	} else if v != "" {
		if level, err = access.ParseLevel(v); err != nil {
			return err
		}
		if level > c.tok.TLP {
			return errs.E(errs.Forbidden, "a case of %s is above your token's level, %s", level, c.tok.TLP)
		}
	}
	title, err := queryParam(r, "name", false)
	if err != nil {
		return err
	}
	file, err := queryParam(r, "file", false)
	if err != nil {
		return err
	}
	ev, err := readEvidence(r, c, file, "evidence")
	if err != nil {
		return err
	}
	cs, err := s.service().New(r.Context(), title, ev)
	if err != nil {
		return err
	}
	// New stores the case without a level, which reads as TLP:RED: until
	// this second write it is hidden from everyone below, never shown.
	cs.TLP = level.String()
	if err := s.cfg.Store.PutCase(r.Context(), cs); err != nil {
		return fmt.Errorf("set the level of case %s: %w", cs.ID, err)
	}
	w.Header().Set("Location", "/api/cases/"+cs.ID)
	return s.writeCase(w, c, http.StatusCreated, cs)
}

func (s *Server) handleCase(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.caseOf(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cs)
}

func (s *Server) handleCaseEvidence(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.caseOf(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	name, err := queryParam(r, "name", false)
	if err != nil {
		return err
	}
	ev, err := readEvidence(r, c, name, fmt.Sprintf("evidence-%d", len(cs.Evidence)+1))
	if err != nil {
		return err
	}
	cs, err = s.service().Add(r.Context(), cs.ID, ev)
	if err != nil {
		return err
	}
	return s.writeCase(w, c, http.StatusOK, cs)
}

func (s *Server) handleCaseAccept(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.caseOf(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	cs, err = s.service().Accept(r.Context(), cs.ID, r.PathValue("name"), c.tok.Name)
	if err != nil {
		return err
	}
	return s.writeCase(w, c, http.StatusOK, cs)
}

// attributeParams reads ?format= and ?top= and returns a renderer of the
// answer into buf.
func (s *Server) attributeParams(r *http.Request, buf *bytes.Buffer) (assess.Renderer, string, int, error) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	top := 5
	if v := r.URL.Query().Get("top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return nil, "", 0, errs.E(errs.Invalid, "top %q: want an integer from 1 to 50", truncate(v))
		}
		top = n
	}
	rd, err := assess.NewRenderer(format, buf, top, s.cfg.Now())
	return rd, format, top, err
}

// writeResult renders res as format.
func writeResult(w http.ResponseWriter, rd assess.Renderer, format string, buf *bytes.Buffer, res *attrib.Result) error {
	if err := rd.Result(res); err != nil {
		return err
	}
	if err := rd.Close(); err != nil {
		return err
	}
	switch format {
	case "json":
		w.Header().Set("Content-Type", "application/json")
	case "stix":
		w.Header().Set("Content-Type", "application/stix+json;version=2.1")
	case "markdown":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// handleCaseAttribute attributes a case's accepted evidence with the
// knowledge of the lower of the caller's and the case's level, and keeps
// the result, marked with that level.
func (s *Server) handleCaseAttribute(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	cs, err := s.caseOf(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	rd, format, top, err := s.attributeParams(r, &buf)
	if err != nil {
		return err
	}
	know, l, err := s.caseAttribution(ctx, c, cs)
	if err != nil {
		return err
	}
	start := time.Now()
	res, stored, err := s.service().Attribute(ctx, cs.ID, know, assess.Options{Top: top}, c.tok.Name)
	s.metrics.attribution.Observe(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	if err := s.markResult(ctx, stored, l); err != nil {
		return err
	}
	return writeResult(w, rd, format, &buf, res)
}

// markResult sets the level of the newest result of stored. Until then
// the result reads as TLP:RED (hidden from everyone below), so a failure
// here hides a result, never shows one.
func (s *Server) markResult(ctx context.Context, stored *kb.Case, l access.Level) error {
	at := stored.Results[len(stored.Results)-1].At
	for range 3 {
		for i := range stored.Results {
			if stored.Results[i].At.Equal(at) && stored.Results[i].TLP == "" {
				stored.Results[i].TLP = l.String()
			}
		}
		err := s.cfg.Store.PutCase(ctx, stored)
		if errs.KindOf(err) != errs.Conflict {
			return err
		}
		// Another writer came in between: mark its version.
		if stored, err = s.cfg.Store.Case(ctx, stored.ID); err != nil {
			return err
		}
	}
	return errs.E(errs.Conflict, "case %s changes too often to mark its result: it stays hidden below TLP:RED", stored.ID)
}

// confirmBody is the body of a confirmation.
type confirmBody struct {
	Actor      string `json:"actor"`
	NewActor   string `json:"new_actor"`
	Confidence int    `json:"confidence"`
	Reason     string `json:"reason"`
}

func (s *Server) handleCaseConfirm(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	cs, err := s.caseOf(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	var body confirmBody
	if err := decodeBody(r, &body, "confirmation body: want JSON {actor or new_actor, confidence, reason}"); err != nil {
		return err
	}
	l := caseKnowledge(c, cs)
	actor, err := s.visibleActor(ctx, c, l, cs.ID, body)
	if err != nil {
		return err
	}
	know, err := s.knowledge(ctx, c.snap, l)
	if err != nil {
		return err
	}
	// A confirmation imports knowledge: one writer at a time, as imports.
	stored, err := s.oneWriter(func() (*kb.Case, error) {
		return s.service().Confirm(ctx, cs.ID, know, investigation.Confirmation{Actor: actor, NewActor: body.NewActor,
			Confidence: body.Confidence, Analyst: c.tok.Name, Reason: body.Reason})
	})
	if err != nil {
		return err
	}
	s.reloadAfterImport(ctx)
	return s.writeCase(w, c, http.StatusOK, stored)
}

// oneWriter runs fn under the server's writer lock, released even when
// fn panics (the middleware recovers the panic; a lock left held would
// stop every later import).
func (s *Server) oneWriter(fn func() (*kb.Case, error)) (*kb.Case, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return fn()
}

// visibleActor resolves the actor of a confirmation as the knowledge of
// level l knows it, and returns the STIX id investigation resolves
// exactly the same way in the whole store. An actor the caller (or the
// case) cannot see is not found, with the message of an unknown one; an
// actor whose cluster in the whole store has a hidden primary is not
// found either, since the case would then name it.
func (s *Server) visibleActor(ctx context.Context, c *call, l access.Level, id string, body confirmBody) (string, error) {
	if (body.Actor == "") == (body.NewActor == "") {
		return "", errs.E(errs.Invalid, "confirm case %s: name the actor, or a new actor, not both", id)
	}
	view := c.snap.access.View(s.cfg.Store, l)
	full, err := kb.LoadClusters(ctx, s.cfg.Store, s.cfg.Fold)
	if err != nil {
		return "", err
	}
	if body.NewActor != "" {
		for _, cl := range full.Candidates(strings.TrimSpace(body.NewActor)) {
			if !view.Sees(cl.Primary()) {
				return "", errs.E(errs.Conflict, "confirm case %s: the name %q is taken: choose another", id, body.NewActor)
			}
		}
		return "", nil
	}
	ac, err := s.actorCache(ctx, c.snap, l)
	if err != nil {
		return "", err
	}
	ref := strings.TrimSpace(body.Actor)
	found := ac.clusters.Candidates(ref)
	if cl := ac.clusters.Of(ref); cl != nil {
		found = []*kb.Cluster{cl}
	}
	notFound := errs.E(errs.NotFound, "confirm case %s: no actor has the name, alias or id %q (a group not in the knowledge base is confirmed with new_actor)", id, body.Actor)
	switch len(found) {
	case 0:
		return "", notFound
	case 1:
	default:
		var names []string
		for _, cl := range found {
			names = append(names, cl.Primary().Name)
		}
		sort.Strings(names)
		return "", errs.E(errs.Invalid, "confirm case %s: %q is a name of %d actors (%s): confirm with the one meant, by name or id", id, body.Actor, len(found), strings.Join(names, "; "))
	}
	fc := full.Of(found[0].Primary().ID)
	if fc == nil || !view.Sees(fc.Primary()) {
		return "", notFound
	}
	return fc.ID, nil
}

// reasonBody is the optional body of a reopen.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) handleCaseReopen(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	cs, err := s.caseOf(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	var body reasonBody
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			return errs.Wrap(errs.Invalid, err, "reopen body: want JSON {reason}")
		}
	}
	stored, err := s.oneWriter(func() (*kb.Case, error) {
		return s.service().Reopen(ctx, cs.ID, c.tok.Name, body.Reason)
	})
	if err != nil {
		return err
	}
	s.reloadAfterImport(ctx)
	return s.writeCase(w, c, http.StatusOK, stored)
}

// handleCaseExport writes the case as a STIX bundle made with the
// knowledge of the lower of the caller's and the case's level.
func (s *Server) handleCaseExport(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	cs, err := s.caseOf(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	know, err := s.knowledge(ctx, c.snap, caseKnowledge(c, cs))
	if err != nil {
		return err
	}
	// investigation marks each object with the case's TLP level: the
	// bundle is shared as the case is.
	var buf bytes.Buffer
	if err := s.service().Export(ctx, cs.ID, know, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/stix+json;version=2.1")
	w.Header().Set("Content-Disposition", `attachment; filename="`+cs.ID+`.json"`)
	_, err = w.Write(buf.Bytes())
	return err
}

// handleCaseRemove takes evidence out of an open case. ?version=N, when
// given, is the version of the case the caller read: a case changed
// since is a 409, as is a confirmed case. The history keeps who removed
// what, and when.
func (s *Server) handleCaseRemove(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.caseOf(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	rm := investigation.Removal{Name: r.PathValue("name"), By: c.tok.Name}
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errs.E(errs.Invalid, "version %q: want the case's version, a positive integer", truncate(v))
		}
		rm.Version = n
	}
	if rm.Reason, err = queryParam(r, "reason", false); err != nil {
		return err
	}
	cs, err = s.service().Remove(r.Context(), cs.ID, rm)
	if err != nil {
		return err
	}
	return s.writeCase(w, c, http.StatusOK, cs)
}

// network is the offline network data for the engine: a nil interface,
// not a nil *netenrich.DB in one, when there are none.
func (s *Server) network() attrib.Network {
	if s.cfg.Network == nil {
		return nil
	}
	return s.cfg.Network
}
