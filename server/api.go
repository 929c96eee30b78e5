package server

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

//go:embed openapi.json
var openapiDoc []byte

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := encodeJSON(v)
	if err != nil {
		return err
	}
	return writeJSONBytes(w, status, b)
}

// encodeJSON encodes a response body. Objects are written as stored: no
// HTML escaping of their text.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return buf.Bytes(), nil
}

// writeJSONBytes writes an encoded JSON body.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, c *call) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request, c *call) error {
	sn := s.snap.Load()
	if sn == nil {
		return errs.E(errs.Unavailable, "the knowledge is still loading")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "loaded": sn.loaded.UTC().Format(time.RFC3339)})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openapiDoc)
	return err
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request, c *call) error {
	s.metrics.handler().ServeHTTP(w, r)
	return nil
}

// handleStats counts what the caller may see.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.statsOf(r.Context(), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"objects": st.Objects, "inactive": st.Inactive, "by_type": st.ByType,
		"names": st.Names, "same_as": st.SameAs, "versions": st.Versions, "sources": st.Sources})
}

// maxQuery bounds a name query.
const maxQuery = 256

func queryParam(r *http.Request, name string, required bool) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get(name))
	if required && q == "" {
		return "", errs.E(errs.Invalid, "parameter %s is required", name)
	}
	if len(q) > maxQuery {
		return "", errs.E(errs.Invalid, "parameter %s is longer than %d bytes", name, maxQuery)
	}
	return q, nil
}

func (s *Server) handleActors(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := queryParam(r, "q", false)
	if err != nil {
		return err
	}
	rd, _, err := s.actorsOf(r.Context(), c)
	if err != nil {
		return err
	}
	b, err := rd.ac.answer("actors\x00"+q, func() ([]byte, error) {
		var list []kb.ActorSummary
		var err error
		if q == "" {
			list, err = s.listAll(r.Context(), rd)
		} else {
			list, err = kb.ListActors(r.Context(), rd, q)
		}
		if err != nil {
			return nil, err
		}
		if list == nil {
			list = []kb.ActorSummary{}
		}
		return encodeJSON(map[string]any{"actors": list})
	})
	if err != nil {
		return err
	}
	return writeJSONBytes(w, http.StatusOK, b)
}

func (s *Server) handleActorSearch(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := queryParam(r, "q", true)
	if err != nil {
		return err
	}
	rd, cs, err := s.actorsOf(r.Context(), c)
	if err != nil {
		return err
	}
	b, err := rd.ac.answer("search\x00"+q, func() ([]byte, error) {
		cards, err := kb.FindActorsWith(r.Context(), rd, cs, q)
		if err != nil {
			return nil, err
		}
		if cards == nil {
			cards = []*kb.Card{}
		}
		return encodeJSON(map[string]any{"query": q, "cards": cards})
	})
	if err != nil {
		return err
	}
	return writeJSONBytes(w, http.StatusOK, b)
}

func (s *Server) handleActor(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	o, err := c.view.Object(r.Context(), id)
	if err != nil {
		return err
	}
	if !kb.IsActor(o.Type) {
		return errs.E(errs.NotFound, "%s is a %s, not an actor", id, o.Type)
	}
	rd, cs, err := s.actorsOf(r.Context(), c)
	if err != nil {
		return err
	}
	b, err := rd.ac.answer("actor\x00"+id, func() ([]byte, error) {
		card, err := kb.ActorCardWith(r.Context(), rd, cs, id)
		if err != nil {
			return nil, err
		}
		return encodeJSON(card)
	})
	if err != nil {
		return err
	}
	return writeJSONBytes(w, http.StatusOK, b)
}

// pageLimit reads the limit parameter: 1 to maxLimit, default 100.
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, errs.E(errs.Invalid, "limit %q: want an integer from 1 to 1000", truncate(v))
	}
	return n, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func sortObjRefs(refs []objRef) {
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].typ != refs[j].typ {
			return refs[i].typ < refs[j].typ
		}
		return refs[i].id < refs[j].id
	})
}

// handleObjects pages through the current objects, by type then id; the
// cursor is the last id of the previous page.
func (s *Server) handleObjects(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	typ, err := queryParam(r, "type", false)
	if err != nil {
		return err
	}
	after, err := queryParam(r, "after", false)
	if err != nil {
		return err
	}
	refs := c.snap.objects
	start := 0
	if after != "" {
		t, _, ok := strings.Cut(after, "--")
		if !ok {
			return errs.E(errs.Invalid, "after %q: want a STIX id from the previous page", truncate(after))
		}
		start = sort.Search(len(refs), func(i int) bool {
			return refs[i].typ > t || refs[i].typ == t && refs[i].id > after
		})
	}
	if typ != "" {
		k := sort.Search(len(refs), func(i int) bool { return refs[i].typ >= typ })
		start = max(start, k)
	}
	out := []json.RawMessage{}
	last, next := "", ""
	for i := start; i < len(refs); i++ {
		e := refs[i]
		if typ != "" && e.typ != typ {
			break
		}
		if !c.view.SeesLevel(e.level) {
			continue
		}
		if len(out) == limit {
			next = last
			break
		}
		out = append(out, e.raw)
		last = e.id
	}
	return writeJSON(w, http.StatusOK, map[string]any{"objects": out, "next_after": next})
}

func (s *Server) handleObject(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := c.view.Object(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/stix+json;version=2.1")
	_, err = w.Write(append(bytes.Clone(o.Raw), '\n'))
	return err
}

// provenanceOut is one source of an object in the API.
type provenanceOut struct {
	Source    string    `json:"source"`
	Kind      string    `json:"kind"`
	Modified  time.Time `json:"modified,omitzero"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

func (s *Server) handleProvenance(w http.ResponseWriter, r *http.Request, c *call) error {
	prov, err := c.view.Provenance(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []provenanceOut{}
	for _, p := range prov {
		out = append(out, provenanceOut{Source: p.Source.Name, Kind: string(p.Source.Kind), Modified: p.Modified,
			FirstSeen: p.FirstSeen, LastSeen: p.LastSeen})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"provenance": out})
}

func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request, c *call) error {
	vs, err := c.view.Versions(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []json.RawMessage{}
	for _, v := range vs {
		out = append(out, v.Raw)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}

// handleAttribute attributes a posted case (YAML or a STIX bundle) with
// the knowledge the caller may see.
func (s *Server) handleAttribute(w http.ResponseWriter, r *http.Request, c *call) error {
	var buf bytes.Buffer
	rd, format, top, err := s.attributeParams(r, &buf)
	if err != nil {
		return err
	}
	cs, warns, err := casefile.Parse("request", r.Body)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "")
	}
	k, err := s.knowledge(r.Context(), c.snap, c.tok.TLP)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := k.Attribute(cs, warns, assess.Options{Top: top, Network: s.network()})
	s.metrics.attribution.Observe(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	return writeResult(w, rd, format, &buf, res)
}

// handleExport streams the objects the caller may see as one STIX bundle.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request, c *call) error {
	all := r.URL.Query().Get("all") == "true"
	w.Header().Set("Content-Type", "application/stix+json;version=2.1")
	w.Header().Set("Content-Disposition", `attachment; filename="culprit-export.json"`)
	_, err := kb.Export(r.Context(), c.view, w, kb.ExportOptions{All: all})
	return err
}
