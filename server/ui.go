package server

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/culprit-cti/culprit/navigator"
	"github.com/culprit-cti/culprit/similarity"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
	"github.com/culprit-cti/culprit/web"
)

// The web UI (package web) is mounted under /ui/, and / sends a browser
// there. The UI authenticates with sessions of its own; everything it
// reads comes from here, through the snapshot and access view of the
// session's token, exactly as an API call with that token would: the same
// caseOf, knowledge, actorCache and visibleActor.

// mountUI adds the UI's routes to the server's mux.
func (s *Server) mountUI() error {
	ui, err := web.New(web.Config{Backend: uiBackend{s}, Logger: s.log, Now: s.cfg.Now, MaxSample: s.cfg.MaxSample})
	if err != nil {
		return err
	}
	s.mux.Handle("/ui/", s.uiMetrics(ui))
	s.mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusSeeOther))
	return nil
}

// uiMetrics logs and counts the UI's requests as route "ui", with the
// server's request id.
func (s *Server) uiMetrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w := &statusWriter{ResponseWriter: rw}
		w.Header().Set("X-Request-Id", id)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", id, "route", "ui", "panic", fmt.Sprint(p))
				if !w.wrote {
					http.Error(w, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			s.metrics.requests.WithLabelValues("ui", r.Method, strconv.Itoa(w.status)).Inc()
			s.metrics.latency.WithLabelValues("ui").Observe(d.Seconds())
			s.log.Info("request", "request_id", id, "method", r.Method, "route", "ui", "path", r.URL.Path,
				"status", w.status, "duration_ms", float64(d.Microseconds())/1000)
		}()
		h.ServeHTTP(w, r)
	})
}

// uiBackend is the server as the UI's web.Backend.
type uiBackend struct{ s *Server }

func userOf(t token.Token) web.User {
	return web.User{TokenID: t.ID, Name: t.Name, Role: t.Role, TLP: t.TLP}
}

func (b uiBackend) Login(ctx context.Context, secret string) (web.User, error) {
	t, err := b.s.cfg.Tokens.Check(ctx, secret)
	if err != nil {
		return web.User{}, err
	}
	return userOf(t), nil
}

func (b uiBackend) User(ctx context.Context, id string) (web.User, error) {
	list, err := b.s.cfg.Tokens.List(ctx)
	if err != nil {
		return web.User{}, err
	}
	for _, t := range list {
		if t.ID == id && t.Active() {
			return userOf(t), nil
		}
	}
	return web.User{}, errs.Wrap(errs.Forbidden, token.ErrInvalid, "")
}

func (b uiBackend) Status(err error) (int, bool) {
	code := statusOf(err)
	return code, code < 500 || errs.KindOf(err) == errs.Unavailable
}

// Open gives the UI the snapshot and view of u's token, as serve gives a
// handler, with the token's rate limit.
func (b uiBackend) Open(ctx context.Context, u web.User) (web.Knowledge, error) {
	s := b.s
	if err := s.limit(u.TokenID); err != nil {
		return nil, err
	}
	sn := s.snap.Load()
	if sn == nil {
		return nil, errs.E(errs.Unavailable, "the knowledge is still loading; retry shortly")
	}
	c := &call{tok: token.Token{ID: u.TokenID, Name: u.Name, Role: u.Role, TLP: u.TLP}, snap: sn,
		view: sn.access.View(s.cfg.Store, u.TLP)}
	rd, cl, err := s.actorsOf(ctx, c)
	if err != nil {
		return nil, err
	}
	return &uiKnowledge{actorReader: rd, s: s, c: c, clusters: cl}, nil
}

// uiKnowledge is one request's web.Knowledge: the actor reader of the
// call (the view with the snapshot's indexes in front) and the case
// operations of the API.
type uiKnowledge struct {
	actorReader
	s        *Server
	c        *call
	clusters *kb.Clusters
}

func (k *uiKnowledge) Key() string {
	sn := k.c.snap
	return fmt.Sprintf("%s@%d/%d", sn.tag, sn.loaded.UnixNano(), min(k.c.tok.TLP, sn.highest))
}

func (k *uiKnowledge) Level(o *stix.Object) access.Level { return k.c.view.Level(o) }

// Objects reads the visible current objects of the asked types from the
// snapshot (ordered by type then id, each at the level the access index
// gave it); a query of every type goes to the view.
func (k *uiKnowledge) Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error {
	if len(q.Types) == 0 {
		return k.actorReader.Objects(ctx, q, fn)
	}
	refs := k.c.snap.objects
	types := append([]string(nil), q.Types...)
	sort.Strings(types)
	for _, typ := range types {
		i := sort.Search(len(refs), func(i int) bool { return refs[i].typ >= typ })
		for ; i < len(refs) && refs[i].typ == typ; i++ {
			e := refs[i]
			if !k.c.view.SeesLevel(e.level) {
				continue
			}
			o, err := stix.ParseObject(e.raw)
			if err != nil {
				return fmt.Errorf("read %s: %w", e.id, err)
			}
			if !q.IncludeInactive && (o.Revoked || o.Deprecated) {
				continue
			}
			if err := fn(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// Card returns the card of an actor by id, or by a name or alias that
// only one visible actor has. It is the API's answer to
// GET /api/actors/{id}, cached per snapshot and level (a card of a large
// actor reads thousands of relationships), decoded for this request.
func (k *uiKnowledge) Card(ctx context.Context, ref string) (*kb.Card, error) {
	ref = strings.TrimSpace(ref)
	if kb.LooksLikeID(ref) {
		o, err := k.c.view.Object(ctx, ref)
		if err != nil {
			return nil, err
		}
		if !kb.IsActor(o.Type) {
			return nil, errs.E(errs.NotFound, "%s is a %s, not an actor", ref, o.Type)
		}
		return k.card(ctx, ref)
	}
	found := k.clusters.Candidates(ref)
	if cl := k.clusters.Of(ref); cl != nil {
		found = []*kb.Cluster{cl}
	}
	switch len(found) {
	case 0:
		return nil, errs.E(errs.NotFound, "no actor has the name, alias or id %q", ref)
	case 1:
		return k.card(ctx, found[0].Primary().ID)
	}
	var names []string
	for _, cl := range found {
		names = append(names, cl.Primary().Name)
	}
	sort.Strings(names)
	return nil, errs.E(errs.Invalid, "%q is a name of %d actors (%s): choose one", ref, len(found), strings.Join(names, "; "))
}

// card is the card of the visible actor id, built once per snapshot and
// level under the key of handleActor's answer.
func (k *uiKnowledge) card(ctx context.Context, id string) (*kb.Card, error) {
	b, err := k.ac.answer("actor\x00"+id, func() ([]byte, error) {
		card, err := kb.ActorCardWith(ctx, k.actorReader, k.clusters, id)
		if err != nil {
			return nil, err
		}
		return encodeJSON(card)
	})
	if err != nil {
		return nil, err
	}
	var card kb.Card
	if err := json.Unmarshal(b, &card); err != nil {
		return nil, fmt.Errorf("decode the card of %s: %w", id, err)
	}
	// Not in the encoded card.
	if card.Primary, err = k.c.view.Object(ctx, card.ID); err != nil {
		return nil, fmt.Errorf("the card of %s: its primary %s: %w", id, card.ID, err)
	}
	return &card, nil
}

// ActorLayer is the layer of the visible actor id, the answer of
// handleActorNavigator, cached per snapshot and level under its key.
func (k *uiKnowledge) ActorLayer(ctx context.Context, id string) ([]byte, error) {
	return k.ac.answer("navigator\x00"+id, func() ([]byte, error) {
		card, err := k.card(ctx, id)
		if err != nil {
			return nil, err
		}
		cat, err := navigator.LoadCatalogue(ctx, k.actorReader)
		if err != nil {
			return nil, err
		}
		layer, err := navigator.Actor(ctx, k.actorReader, cat, card)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := layer.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("write the layer of %s: %w", id, err)
		}
		return buf.Bytes(), nil
	})
}

// CaseLayer is the layer of a visible case as handleCaseNavigator builds
// it: with the reader and clusters of the lower of the user's and the
// case's level (cached per snapshot), over the case as that level sees
// it, with the case's TLP and the warnings as metadata.
func (k *uiKnowledge) CaseLayer(ctx context.Context, id string) (*navigator.Layer, error) {
	cs, err := k.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	rd, clusters, err := k.s.readerAt(ctx, k.c, caseKnowledge(k.c, cs))
	if err != nil {
		return nil, err
	}
	lc, err := rd.View.Case(cs)
	if err != nil {
		return nil, err
	}
	layer, warns, err := navigator.ForCase(ctx, rd, clusters, lc)
	if err != nil {
		return nil, err
	}
	layer.Metadata = append(layer.Metadata, navigator.Metadata{Name: "TLP", Value: access.CaseLevel(cs.TLP).String()})
	for _, wn := range warns {
		layer.Metadata = append(layer.Metadata, navigator.Metadata{Name: "warning", Value: wn})
	}
	return layer, nil
}

// ExtractReport extracts as the API's extraction routes do
// (extractReport), with the knowledge of the lower of level and the
// user's, built once per snapshot and level and shared with the API.
func (k *uiKnowledge) ExtractReport(ctx context.Context, level access.Level, name string, r io.Reader, max int64) (assess.ExtractedReport, error) {
	return k.s.extractReport(ctx, k.c.snap, min(level, k.c.tok.TLP), name, r, max)
}

func (k *uiKnowledge) Cases(ctx context.Context) ([]*kb.Case, error) {
	var out []*kb.Case
	err := k.s.cfg.Store.Cases(ctx, func(cs *kb.Case) error {
		v, err := k.c.view.Case(cs)
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func (k *uiKnowledge) Case(ctx context.Context, id string) (*kb.Case, error) {
	return k.s.caseOf(ctx, k.c, id)
}

func (k *uiKnowledge) write() error {
	if !k.c.tok.Role.Allows(token.Analyst) {
		return errs.E(errs.Forbidden, "this needs a token of role analyst or above; yours is %s", k.c.tok.Role)
	}
	return nil
}

func (k *uiKnowledge) evidence(ev web.Evidence) investigation.Evidence {
	return investigation.Evidence{Name: ev.Name, Content: ev.Content, By: k.c.tok.Name, Unreviewed: ev.Unreviewed}
}

// NewCase opens a case as POST /api/cases does: never above the user's
// level, stored without a level (TLP:RED, hidden) until it is set.
func (k *uiKnowledge) NewCase(ctx context.Context, name string, level access.Level, ev web.Evidence) (*kb.Case, error) {
	if err := k.write(); err != nil {
		return nil, err
	}
	if level > k.c.tok.TLP {
		return nil, errs.E(errs.Forbidden, "a case of %s is above your token's level, %s", level, k.c.tok.TLP)
	}
	cs, err := k.s.service().New(ctx, name, k.evidence(ev))
	if err != nil {
		return nil, err
	}
	cs.TLP = level.String()
	if err := k.s.cfg.Store.PutCase(ctx, cs); err != nil {
		return nil, fmt.Errorf("set the level of case %s: %w", cs.ID, err)
	}
	return cs, nil
}

func (k *uiKnowledge) AddEvidence(ctx context.Context, id string, ev web.Evidence) (*kb.Case, error) {
	if err := k.write(); err != nil {
		return nil, err
	}
	cs, err := k.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	return k.s.service().Add(ctx, cs.ID, k.evidence(ev))
}

// Attribute attributes as POST /api/cases/{id}/attribute does.
func (k *uiKnowledge) Attribute(ctx context.Context, id string) (*attrib.Result, error) {
	if err := k.write(); err != nil {
		return nil, err
	}
	cs, err := k.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	know, l, err := k.s.caseAttribution(ctx, k.c, cs)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, stored, err := k.s.service().Attribute(ctx, cs.ID, know, assess.Options{Top: 5}, k.c.tok.Name)
	k.s.metrics.attribution.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, err
	}
	return res, k.s.markResult(ctx, stored, l)
}

// Confirm confirms as POST /api/cases/{id}/confirm does.
func (k *uiKnowledge) Confirm(ctx context.Context, id string, cf web.Confirmation) (*kb.Case, error) {
	if err := k.write(); err != nil {
		return nil, err
	}
	cs, err := k.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	body := confirmBody{Actor: cf.Actor, NewActor: cf.NewActor, Confidence: cf.Confidence, Reason: cf.Reason}
	l := caseKnowledge(k.c, cs)
	actor, err := k.s.visibleActor(ctx, k.c, l, cs.ID, body)
	if err != nil {
		return nil, err
	}
	know, err := k.s.knowledge(ctx, k.c.snap, l)
	if err != nil {
		return nil, err
	}
	stored, err := k.s.oneWriter(func() (*kb.Case, error) {
		return k.s.service().Confirm(ctx, cs.ID, know, investigation.Confirmation{Actor: actor, NewActor: body.NewActor,
			Confidence: body.Confidence, Analyst: k.c.tok.Name, Reason: body.Reason})
	})
	if err != nil {
		return nil, err
	}
	k.s.reloadAfterImport(ctx)
	return stored, nil
}

func (k *uiKnowledge) Reopen(ctx context.Context, id, reason string) (*kb.Case, error) {
	if err := k.write(); err != nil {
		return nil, err
	}
	cs, err := k.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	stored, err := k.s.oneWriter(func() (*kb.Case, error) {
		return k.s.service().Reopen(ctx, cs.ID, k.c.tok.Name, reason)
	})
	if err != nil {
		return nil, err
	}
	k.s.reloadAfterImport(ctx)
	return stored, nil
}

// Export writes the case's bundle as GET /api/cases/{id}/export does.
func (k *uiKnowledge) Export(ctx context.Context, id string, w io.Writer) error {
	cs, err := k.Case(ctx, id)
	if err != nil {
		return err
	}
	know, err := k.s.knowledge(ctx, k.c.snap, caseKnowledge(k.c, cs))
	if err != nil {
		return err
	}
	return k.s.service().Export(ctx, cs.ID, know, w)
}

// Override keeps an analyst's rating of one cell of a case's matrix as
// POST /api/cases/{id}/ach/overrides does, with the user's name: the
// actor must be one the knowledge of the lower of the user's and the
// case's level holds. The UI attributes the case again as its next step.
func (k *uiKnowledge) Override(ctx context.Context, id string, o web.Override) (*kb.Case, error) {
	if err := k.write(); err != nil {
		return nil, err
	}
	cs, err := k.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	know, _, err := k.s.caseAttribution(ctx, k.c, cs)
	if err != nil {
		return nil, err
	}
	return k.s.service().Override(ctx, cs.ID, know, investigation.Override{Item: o.Item, Hypothesis: o.Hypothesis,
		Rating: o.Rating, Analyst: k.c.tok.Name, Reason: o.Reason, Version: o.Version})
}

// UploadSample keeps a sample as POST /api/samples does (uploadSample),
// at the lower of the user's and the case's levels: a sample added to a
// GREEN case is GREEN, whoever uploads it.
func (k *uiKnowledge) UploadSample(ctx context.Context, id, name string, body io.Reader) (web.Sample, error) {
	if err := k.write(); err != nil {
		return web.Sample{}, err
	}
	cs, err := k.Case(ctx, id)
	if err != nil {
		return web.Sample{}, err
	}
	out, err := k.s.uploadSample(ctx, k.c, caseKnowledge(k.c, cs), body)
	if err != nil {
		return web.Sample{}, err
	}
	rep := out.Report
	smp := web.Sample{Name: name, Size: rep.Size, MD5: rep.MD5, SHA1: rep.SHA1, SHA256: rep.SHA256, TLSH: rep.TLSH,
		SSDEEP: rep.SSDEEP, Type: string(rep.Type), Detail: rep.Detail, TLP: access.CaseLevel(out.TLP)}
	links := func(ls []similarity.Link) []web.SampleLink {
		out := make([]web.SampleLink, 0, len(ls))
		for _, l := range ls {
			out = append(out, web.SampleLink{ID: l.ID, Name: l.Name, Via: l.Via})
		}
		return out
	}
	for _, m := range out.Similar {
		sm := web.SimilarSample{ID: m.ID, Name: m.Name, SHA256: m.SHA256, TLSHDistance: -1, SSDEEPScore: -1,
			Families: links(m.Families), Actors: links(m.Actors)}
		if m.TLSHDistance != nil {
			sm.TLSHDistance = *m.TLSHDistance
		}
		if m.SSDEEPScore != nil {
			sm.SSDEEPScore = *m.SSDEEPScore
		}
		smp.Similar = append(smp.Similar, sm)
	}
	return smp, nil
}
