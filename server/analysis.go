package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/graph"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
)

// The analysis endpoints render what the analysts' UI shows: a case's
// matrix of competing hypotheses (package ach) and the overrides of its
// cells (investigation/override.go), ATT&CK Navigator layers of a case
// and of an actor (package navigator), and an actor's relationship graph
// (package graph). Each reads through an access.View: the case through
// caseOf (a case above the token is one that does not exist), the
// knowledge through the view of the token's level, or of the lower of the
// token's and the case's for what is computed from a case.

// achAnswer is the JSON of a case's matrix: the matrix of its latest
// result the caller may see, and the overrides of the case.
type achAnswer struct {
	CaseID    string       `json:"case_id"`
	Version   int          `json:"version"`   // of the case: an override may name it
	ResultAt  time.Time    `json:"result_at"` // the result the matrix is of
	ResultTLP string       `json:"result_tlp"`
	Ranking   []ach.Column `json:"ranking"` // the hypotheses by probability, the unknown actor in its place
	*ach.Matrix
	// Overrides are every analyst's rating of the case, oldest first,
	// those of the cells of the matrix and those of other cells (of items
	// or actors the result does not show).
	Overrides []kb.CaseOverride `json:"overrides"`
}

// overrideAnswer is the answer to an override: the override kept, the
// ranking before it, and the matrix of the attribution it made.
type overrideAnswer struct {
	Override kb.CaseOverride `json:"override"`
	// Previous is the ranking of the latest result the caller could see
	// before the override (empty when the case had none).
	Previous []ach.Column `json:"previous_ranking"`
	achAnswer
}

// visibleOverrides are the overrides of c whose hypothesis the caller
// may see (the unknown actor, or an actor its view shows), oldest first.
// Never nil: ach.Build reads nil as "the result's own".
func visibleOverrides(ctx context.Context, c *call, cs *kb.Case) ([]kb.CaseOverride, error) {
	out := []kb.CaseOverride{}
	// A case has at most investigation.MaxOverrides overrides, of a few
	// actors: each is looked up once.
	sees := map[string]bool{attrib.UnknownHypothesis: true}
	for _, o := range cs.Overrides {
		ok, known := sees[o.Hypothesis]
		if !known {
			var err error
			if ok, err = c.view.SeesID(ctx, o.Hypothesis); err != nil {
				return nil, err
			}
			sees[o.Hypothesis] = ok
		}
		if ok {
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// latestResult decodes the newest result of cs (as the caller's view of
// the case holds it), or returns nil when there is none.
func latestResult(cs *kb.Case) (*attrib.Result, *kb.CaseResult, error) {
	if len(cs.Results) == 0 {
		return nil, nil, nil
	}
	kept := &cs.Results[len(cs.Results)-1]
	var res attrib.Result
	if err := json.Unmarshal(kept.Result, &res); err != nil {
		return nil, nil, fmt.Errorf("case %s: decode the result of %s: %w", cs.ID, kept.At.UTC().Format(time.RFC3339), err)
	}
	return &res, kept, nil
}

// ranking lists the known hypotheses of res (at most
// ach.DefaultHypotheses) and the unknown actor, most probable first.
func ranking(res *attrib.Result) []ach.Column {
	out := []ach.Column{}
	if res == nil {
		return out
	}
	for i, h := range res.Hypotheses {
		if i == ach.DefaultHypotheses {
			break
		}
		out = append(out, ach.Column{ID: h.ID, Name: h.Name, ExternalID: h.ExternalID, Probability: h.Probability, Estimate: h.Estimate})
	}
	out = append(out, ach.Column{ID: attrib.UnknownHypothesis, Name: ach.UnknownName, Probability: res.Unknown, Estimate: res.UnknownEstimate})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Probability > out[j].Probability })
	return out
}

// matrixOf builds the answer for result res kept as kept in case cs (the
// caller's view of it), rows by diagnosticity unless byCase.
func matrixOf(ctx context.Context, c *call, cs *kb.Case, res *attrib.Result, kept *kb.CaseResult, byCase bool) (*achAnswer, error) {
	ovs, err := visibleOverrides(ctx, c, cs)
	if err != nil {
		return nil, err
	}
	m, err := ach.Build(res, ovs)
	if errs.KindOf(err) == errs.Invalid && res.Table == nil {
		// Not the request's fault: a result kept before results kept
		// their tables.
		return nil, errs.E(errs.Conflict, "case %s: its latest result (%s) has no table of its evidence: attribute the case again (POST /api/cases/%s/attribute)",
			cs.ID, kept.At.UTC().Format(time.RFC3339), cs.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", cs.ID, err)
	}
	if !byCase {
		m.SortByDiagnosticity()
	}
	return &achAnswer{CaseID: cs.ID, Version: cs.Version, ResultAt: kept.At, ResultTLP: access.CaseLevel(kept.TLP).String(),
		Ranking: ranking(res), Matrix: m, Overrides: ovs}, nil
}

// rowOrder reads ?order=diagnosticity|case.
func rowOrder(r *http.Request) (byCase bool, err error) {
	switch v := r.URL.Query().Get("order"); v {
	case "", "diagnosticity":
		return false, nil
	case "case":
		return true, nil
	default:
		return false, errs.E(errs.Invalid, "order %q: want diagnosticity or case", truncate(v))
	}
}

// handleCaseACH answers the matrix of competing hypotheses of the latest
// result of a case that the caller may see, as JSON, CSV or Markdown.
func (s *Server) handleCaseACH(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	format := r.URL.Query().Get("format")
	switch format {
	case "":
		format = "json"
	case "json", "csv", "markdown":
	default:
		return errs.E(errs.Invalid, "format %q: want json, csv or markdown", truncate(format))
	}
	byCase, err := rowOrder(r)
	if err != nil {
		return err
	}
	cs, err := s.caseOf(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	res, kept, err := latestResult(cs)
	if err != nil {
		return err
	}
	if res == nil {
		return errs.E(errs.NotFound, "case %s has no attribution yet (POST /api/cases/%s/attribute)", cs.ID, cs.ID)
	}
	a, err := matrixOf(ctx, c, cs, res, kept, byCase)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := a.WriteCSV(&buf); err != nil {
			return fmt.Errorf("case %s: write the matrix as CSV: %w", cs.ID, err)
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+cs.ID+`-ach.csv"`)
	case "markdown":
		if err := a.WriteMarkdown(&buf); err != nil {
			return fmt.Errorf("case %s: write the matrix as Markdown: %w", cs.ID, err)
		}
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	default:
		return writeJSON(w, http.StatusOK, a)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(buf.Bytes())
	return err
}

// overrideBody is the body of an override.
type overrideBody struct {
	Item       string `json:"item"`       // the row's key
	Hypothesis string `json:"hypothesis"` // the column's id: an actor's STIX id, or "unknown"
	Rating     string `json:"rating"`
	Reason     string `json:"reason"`
	Version    int    `json:"version"` // the case's version read; 0: any
}

// handleCaseOverride keeps an analyst's rating of one cell of a case's
// matrix (investigation.Service.Override, with the token's name and the
// server's clock), attributes the case again with it, as POST
// /api/cases/{id}/attribute would, and answers the new matrix with the
// ranking before. The actor must be one the knowledge of the lower of the
// token's and the case's level holds: any other is unknown.
func (s *Server) handleCaseOverride(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	cs, err := s.caseOf(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	var body overrideBody
	if err := decodeBody(r, &body, "override body: want JSON {item, hypothesis, rating, reason, version}"); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(body.Item) == "":
		return errs.E(errs.Invalid, "override of case %s: item is required (a row's key in GET /api/cases/%s/ach)", cs.ID, cs.ID)
	case strings.TrimSpace(body.Hypothesis) == "":
		return errs.E(errs.Invalid, "override of case %s: hypothesis is required (a column's id: an actor's STIX id, or %q)", cs.ID, attrib.UnknownHypothesis)
	case body.Version < 0:
		return errs.E(errs.Invalid, "override of case %s: version %d: want the case's version, or 0", cs.ID, body.Version)
	}
	prev, _, err := latestResult(cs)
	if err != nil {
		return err
	}
	know, l, err := s.caseAttribution(ctx, c, cs)
	if err != nil {
		return err
	}
	svc := s.service()
	stored, err := svc.Override(ctx, cs.ID, know, investigation.Override{Item: body.Item, Hypothesis: body.Hypothesis,
		Rating: body.Rating, Analyst: c.tok.Name, Reason: body.Reason, Version: body.Version})
	if err != nil {
		return err
	}
	kept := stored.Overrides[len(stored.Overrides)-1]
	start := time.Now()
	_, stored, err = svc.Attribute(ctx, cs.ID, know, assess.Options{Top: 5}, c.tok.Name)
	s.metrics.attribution.Observe(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("case %s: attribute again with the override: %w", cs.ID, err)
	}
	if err := s.markResult(ctx, stored, l); err != nil {
		return err
	}
	// Read back as the caller sees it: the marked result and version.
	if cs, err = s.caseOf(ctx, c, cs.ID); err != nil {
		return err
	}
	res, at, err := latestResult(cs)
	if err != nil {
		return err
	}
	if res == nil {
		return errs.E(errs.Conflict, "case %s: the new result is not visible yet; read GET /api/cases/%s/ach", cs.ID, cs.ID)
	}
	a, err := matrixOf(ctx, c, cs, res, at, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, overrideAnswer{Override: kept, Previous: ranking(prev), achAnswer: *a})
}

// readerAt is the reader of level l (the view of l with the actor cache
// of l in front) and its clusters.
func (s *Server) readerAt(ctx context.Context, c *call, l access.Level) (actorReader, *kb.Clusters, error) {
	ac, err := s.actorCache(ctx, c.snap, l)
	if err != nil {
		return actorReader{}, nil, err
	}
	return actorReader{View: c.snap.access.View(s.cfg.Store, l), ac: ac, names: c.snap.names, snap: c.snap}, ac.clusters, nil
}

// handleCaseNavigator answers the ATT&CK Navigator layer of a case: its
// techniques and those of the leading hypothesis of its latest result,
// read with the knowledge of the lower of the token's and the case's
// level (a result above it is not used), as the case export is.
func (s *Server) handleCaseNavigator(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	cs, err := s.caseOf(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	l := caseKnowledge(c, cs)
	rd, clusters, err := s.readerAt(ctx, c, l)
	if err != nil {
		return err
	}
	// The case as the knowledge's level sees it: without results above.
	lc, err := rd.View.Case(cs)
	if err != nil {
		return err
	}
	layer, warns, err := navigator.ForCase(ctx, rd, clusters, lc)
	if err != nil {
		return err
	}
	// The layer is shared as the case is.
	layer.Metadata = append(layer.Metadata, navigator.Metadata{Name: "TLP", Value: access.CaseLevel(cs.TLP).String()})
	for _, wn := range warns {
		layer.Metadata = append(layer.Metadata, navigator.Metadata{Name: "warning", Value: wn})
	}
	return writeLayer(w, layer, cs.ID+"-layer.json")
}

// actorOf returns the id of the actor the path names, or the not-found
// error of an object that does not exist when the caller may not see it.
func actorOf(r *http.Request, c *call) (string, error) {
	id := r.PathValue("id")
	o, err := c.view.Object(r.Context(), id)
	if err != nil {
		return "", err
	}
	if !kb.IsActor(o.Type) {
		return "", errs.E(errs.NotFound, "%s is a %s, not an actor", id, o.Type)
	}
	return id, nil
}

// handleActorNavigator answers the ATT&CK Navigator layer of an actor (its
// cluster), as the token's level shows it.
func (s *Server) handleActorNavigator(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	id, err := actorOf(r, c)
	if err != nil {
		return err
	}
	rd, cs, err := s.actorsOf(ctx, c)
	if err != nil {
		return err
	}
	b, err := rd.ac.answer("navigator\x00"+id, func() ([]byte, error) {
		card, err := kb.ActorCardWith(ctx, rd, cs, id)
		if err != nil {
			return nil, err
		}
		cat, err := navigator.LoadCatalogue(ctx, rd)
		if err != nil {
			return nil, err
		}
		layer, err := navigator.Actor(ctx, rd, cat, card)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := layer.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("write the layer of %s: %w", id, err)
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(id, `"`, "")+`-layer.json"`)
	return writeJSONBytes(w, http.StatusOK, b)
}

// writeLayer writes a Navigator layer as a download named name.
func writeLayer(w http.ResponseWriter, l *navigator.Layer, name string) error {
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		return fmt.Errorf("write the layer: %w", err)
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return writeJSONBytes(w, http.StatusOK, buf.Bytes())
}

// Bounds of the graph parameters.
const (
	defaultGraphNodes = 500            // nodes of an actor's graph when ?limit= is absent
	maxGraphNodes     = graph.MaxLimit // the most nodes of a graph, or neighbours of an expansion
	maxGraphOffset    = 1_000_000
)

// intParam reads the integer parameter name in [lo, hi], def when absent.
func intParam(r *http.Request, name string, lo, hi, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errs.E(errs.Invalid, "%s %q: want an integer from %d to %d", name, truncate(v), lo, hi)
	}
	return n, nil
}

// handleActorGraph answers the relationship graph of an actor (graph's
// JSON), at most ?limit= nodes; with ?expand=NODE, the neighbours of that
// node instead, ?limit= at a time from ?offset=. ?techniques=true makes
// techniques nodes too. Everything is read through the token's view.
func (s *Server) handleActorGraph(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	id, err := actorOf(r, c)
	if err != nil {
		return err
	}
	expand, err := queryParam(r, "expand", false)
	if err != nil {
		return err
	}
	def := defaultGraphNodes
	if expand != "" {
		def = graph.DefaultLimit
	}
	limit, err := intParam(r, "limit", 1, maxGraphNodes, def)
	if err != nil {
		return err
	}
	offset, err := intParam(r, "offset", 0, maxGraphOffset, 0)
	if err != nil {
		return err
	}
	if offset != 0 && expand == "" {
		return errs.E(errs.Invalid, "offset pages an expansion: give expand=NODE too")
	}
	var techniques bool
	switch v := r.URL.Query().Get("techniques"); v {
	case "", "false":
	case "true":
		techniques = true
	default:
		return errs.E(errs.Invalid, "techniques %q: want true or false", truncate(v))
	}
	rd, cs, err := s.actorsOf(ctx, c)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("graph\x00%s\x00%s\x00%d\x00%d\x00%t", id, expand, offset, limit, techniques)
	b, err := rd.ac.answer(key, func() ([]byte, error) {
		var g *graph.Graph
		var err error
		if expand == "" {
			g, err = graph.New(rd, cs, graph.Options{MaxNodes: limit, Techniques: techniques}).Actor(ctx, id)
		} else {
			g, err = graph.New(rd, cs, graph.Options{Limit: limit, Techniques: techniques}).Expand(ctx, expand, offset)
		}
		if err != nil {
			return nil, err
		}
		return encodeJSON(g)
	})
	if err != nil {
		return err
	}
	return writeJSONBytes(w, http.StatusOK, b)
}
