package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/token"
)

// The API root and the collections of the TAXII server.
const (
	taxiiRoot = "/taxii2/culprit/"
	// KnowledgeCollection is the read-only collection of the whole
	// knowledge base (as the token's level shows it).
	KnowledgeCollection = "7e0c4f7a-8a59-4c2e-9d3b-0b6f1c1e2a10"
	// InboxCollection is the write-only collection that objects are
	// pushed to: they are imported into the knowledge base.
	InboxCollection = "c3a3f2a5-5b1d-4f0e-8a7e-2d9b6c4e8f21"
)

func collections() []taxii.Collection {
	return []taxii.Collection{
		{ID: KnowledgeCollection, Title: "culprit knowledge base", Alias: "knowledge",
			Description: "Every object of the knowledge base that your token's TLP level allows, with every stored version.",
			CanRead:     true, MediaTypes: []string{taxii.MediaSTIX}},
		{ID: InboxCollection, Title: "culprit inbox", Alias: "inbox",
			Description: "Objects pushed here are imported into the knowledge base (analyst tokens and above).",
			CanWrite:    true, MediaTypes: []string{taxii.MediaSTIX}},
	}
}

func collectionOf(r *http.Request) (taxii.Collection, error) {
	id := r.PathValue("collection")
	for _, c := range collections() {
		if c.ID == id || c.Alias == id {
			return c, nil
		}
	}
	return taxii.Collection{}, errs.E(errs.NotFound, "no collection %q", truncate(id))
}

func writeTAXII(w http.ResponseWriter, status int, v any) error {
	// Objects are written as stored: no HTML escaping of their text.
	var b []byte
	if e, ok := v.(taxii.Envelope); ok {
		b = e.AppendJSON(nil)
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode response: %w", err)
		}
		b = buf.Bytes()
	}
	w.Header().Set("Content-Type", taxii.MediaTAXII)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// baseURL is the server's URL as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request, c *call) error {
	root := baseURL(r) + taxiiRoot
	return writeTAXII(w, http.StatusOK, taxii.Discovery{Title: "culprit TAXII server",
		Description: "The culprit knowledge base over TAXII 2.1.", Default: root, APIRoots: []string{root}})
}

func (s *Server) handleAPIRoot(w http.ResponseWriter, r *http.Request, c *call) error {
	return writeTAXII(w, http.StatusOK, taxii.APIRoot{Title: "culprit", Versions: []string{taxii.MediaTAXII},
		MaxContentLength: s.cfg.MaxEnvelope})
}

func (s *Server) handleCollections(w http.ResponseWriter, r *http.Request, c *call) error {
	return writeTAXII(w, http.StatusOK, taxii.Collections{Collections: collections()})
}

func (s *Server) handleCollection(w http.ResponseWriter, r *http.Request, c *call) error {
	col, err := collectionOf(r)
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusOK, col)
}

// readable returns the collection of the request when it can be read.
func readable(r *http.Request) error {
	col, err := collectionOf(r)
	if err != nil {
		return err
	}
	if !col.CanRead {
		return errs.E(errs.Forbidden, "collection %s cannot be read: it is an inbox", col.Alias)
	}
	return nil
}

// page selects the entries of a TAXII request and sets the date-added
// headers of section 3.4.2.
func (s *Server) page(w http.ResponseWriter, r *http.Request, c *call, ep taxii.Endpoint, id, def string) (taxii.Page, error) {
	if err := readable(r); err != nil {
		return taxii.Page{}, err
	}
	q, err := taxii.ParseQuery(r.URL.Query(), ep)
	if err != nil {
		return taxii.Page{}, err
	}
	p, err := c.snap.taxii.Select(q, id, c.view.SeesLevel, def)
	if err != nil {
		return p, err
	}
	if len(p.Entries) > 0 {
		first, last := p.Entries[0].Added, p.Entries[0].Added
		for _, e := range p.Entries {
			if e.Added.Before(first) {
				first = e.Added
			}
			if e.Added.After(last) {
				last = e.Added
			}
		}
		w.Header().Set("X-TAXII-Date-Added-First", taxii.FormatTime(first))
		w.Header().Set("X-TAXII-Date-Added-Last", taxii.FormatTime(last))
	}
	return p, nil
}

// content returns the stored versions of the entries, which Select chose
// among those the caller's view admits: the snapshot holds them, as read
// through the view that indexed them.
func content(c *call, es []taxii.Entry) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(es))
	for _, e := range es {
		if !c.view.SeesLevel(e.Level) {
			continue // Select admits no such entry; kept as a second guard
		}
		out = append(out, e.Raw)
	}
	return out
}

func (s *Server) handleTAXIIObjects(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.page(w, r, c, taxii.Objects, "", "last")
	if err != nil {
		return err
	}
	objs := content(c, p.Entries)
	return writeTAXII(w, http.StatusOK, taxii.Envelope{More: p.More, Next: p.Next, Objects: objs})
}

func (s *Server) handleTAXIIObject(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("object")
	p, err := s.page(w, r, c, taxii.Object, id, "last")
	if err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		if _, err := c.view.Object(r.Context(), id); err != nil {
			return err
		}
	}
	objs := content(c, p.Entries)
	return writeTAXII(w, http.StatusOK, taxii.Envelope{More: p.More, Next: p.Next, Objects: objs})
}

func (s *Server) handleTAXIIVersions(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("object")
	p, err := s.page(w, r, c, taxii.Versions, id, "all")
	if err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		if _, err := c.view.Object(r.Context(), id); err != nil {
			return err
		}
	}
	out := taxii.VersionList{More: p.More, Next: p.Next}
	for _, e := range p.Entries {
		out.Versions = append(out.Versions, taxii.FormatTime(e.Version))
	}
	return writeTAXII(w, http.StatusOK, out)
}

func (s *Server) handleManifest(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.page(w, r, c, taxii.Objects, "", "last")
	if err != nil {
		return err
	}
	out := taxii.Manifest{More: p.More, Next: p.Next}
	for _, e := range p.Entries {
		out.Objects = append(out.Objects, taxii.ManifestRecord{ID: e.ID, DateAdded: taxii.FormatTime(e.Added),
			Version: taxii.FormatTime(e.Version), MediaType: taxii.MediaSTIX})
	}
	return writeTAXII(w, http.StatusOK, out)
}

func (s *Server) handleTAXIIDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := collectionOf(r); err != nil {
		return err
	}
	return statusErr(http.StatusNotImplemented, "the knowledge base keeps every object it imported: deletion is not supported yet (revoke the object with a newer version instead)")
}

// statuses keeps the TAXII status resources of POSTed envelopes, in
// memory and in the store (blob statusBlob), so that a restart keeps them
// for the hours TAXII asks.
type statuses struct {
	mu     sync.Mutex
	byID   map[string]*statusEntry
	loaded bool
}

// statusBlob is the store blob that keeps the statuses.
const statusBlob = "server/taxii-statuses"

type statusEntry struct {
	Owner   string       `json:"owner"`
	Created time.Time    `json:"created"`
	Status  taxii.Status `json:"status"`
}

func newStatuses() *statuses { return &statuses{byID: map[string]*statusEntry{}} }

// blobs is the part of the store that keeps the statuses.
type blobs interface {
	Blob(ctx context.Context, key string) ([]byte, string, bool, error)
	PutBlob(ctx context.Context, key, tag string, data []byte) error
}

// load reads the kept statuses once.
func (st *statuses) load(ctx context.Context, b blobs) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.loaded {
		return nil
	}
	data, _, ok, err := b.Blob(ctx, statusBlob)
	if err != nil {
		return fmt.Errorf("read TAXII statuses: %w", err)
	}
	if ok {
		var es []*statusEntry
		if err := json.Unmarshal(data, &es); err != nil {
			return fmt.Errorf("read TAXII statuses: %w", err)
		}
		for _, e := range es {
			st.byID[e.Status.ID] = e
		}
	}
	st.loaded = true
	return nil
}

// add keeps e, drops the statuses older than keep, and writes them all.
func (st *statuses) add(ctx context.Context, b blobs, e *statusEntry) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	var es []*statusEntry
	for id, o := range st.byID {
		if e.Created.Sub(o.Created) > keep {
			delete(st.byID, id)
			continue
		}
		es = append(es, o)
	}
	st.byID[e.Status.ID] = e
	es = append(es, e)
	data, err := json.Marshal(es)
	if err != nil {
		return err
	}
	return b.PutBlob(ctx, statusBlob, e.Created.Format(time.RFC3339Nano), data)
}

func (st *statuses) get(id string) *statusEntry {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.byID[id]
}

// handleTAXIIAdd imports a POSTed envelope into the knowledge base (the
// inbox collection) in one transaction: every object succeeds or every
// one fails, and the status says which.
func (s *Server) handleTAXIIAdd(w http.ResponseWriter, r *http.Request, c *call) error {
	col, err := collectionOf(r)
	if err != nil {
		return err
	}
	if !col.CanWrite {
		return errs.E(errs.Forbidden, "collection %s is read-only: push to the inbox collection %s", col.Alias, InboxCollection)
	}
	objs, err := taxii.DecodeEnvelope(r.Body, s.cfg.MaxEnvelope)
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	st := taxii.Status{ID: newID(), Status: "complete", RequestTimestamp: taxii.FormatTime(now), TotalCount: len(objs)}
	src := kb.Source{Kind: kb.SourceFile, Name: "taxii-inbox", Path: "taxii:" + st.ID}
	_, ierr := s.runImport(context.WithoutCancel(r.Context()), c, src, kb.SliceStream(objs), kb.ImportOptions{})
	for _, o := range objs {
		d := taxii.StatusDetail{ID: o.ID, Version: taxii.FormatTime(versionOf(o.Modified, o.Created, now))}
		if ierr != nil {
			d.Message = ierr.Error()
			if errs.KindOf(ierr) == errs.Internal {
				d.Message = "internal error (status " + st.ID + ")"
			}
			st.Failures = append(st.Failures, d)
		} else {
			st.Successes = append(st.Successes, d)
		}
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	if ierr != nil && errs.KindOf(ierr) == errs.Internal {
		s.log.Error("TAXII add failed", "status", st.ID, "err", ierr)
	}
	if err := s.status.add(context.WithoutCancel(r.Context()), s.cfg.Store, &statusEntry{Owner: c.tok.ID, Created: now, Status: st}); err != nil {
		// The objects are imported: the status is still answered from
		// memory, only a restart would forget it.
		s.log.Error("keep TAXII status", "status", st.ID, "err", err)
	}
	return writeTAXII(w, http.StatusAccepted, s.visibleStatus(r, c, st))
}

func versionOf(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// visibleStatus leaves out of a status the objects the caller cannot see
// (an object re-marked since it was pushed), counts included.
func (s *Server) visibleStatus(r *http.Request, c *call, st taxii.Status) taxii.Status {
	keep := func(ds []taxii.StatusDetail) []taxii.StatusDetail {
		var out []taxii.StatusDetail
		for _, d := range ds {
			if _, err := c.view.Object(r.Context(), d.ID); err == nil {
				out = append(out, d)
			}
		}
		return out
	}
	st.Successes = keep(st.Successes)
	st.SuccessCount = len(st.Successes)
	st.TotalCount = st.SuccessCount + st.FailureCount + st.PendingCount
	return st
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	e := s.status.get(r.PathValue("status"))
	if e == nil || e.Owner != c.tok.ID && c.tok.Role != token.Admin {
		return errs.E(errs.NotFound, "no status %q", truncate(r.PathValue("status")))
	}
	return writeTAXII(w, http.StatusOK, s.visibleStatus(r, c, e.Status))
}
