package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/culprit-cti/culprit/access"
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

// colKind tells the collections apart.
type colKind int

const (
	colKnowledge colKind = iota
	colInbox
	colCase
)

// collection is a collection as the caller sees it.
type collection struct {
	taxii.Collection
	kind colKind
	cs   *kb.Case // a case collection's case, as access.View.Case shows it to the caller
}

// builtins are the collections every token has: the knowledge base, which
// admins may also write (push and delete), and the inbox.
func builtins(c *call) []collection {
	admin := c.tok.Role.Allows(token.Admin)
	know := "Every object of the knowledge base that your token's TLP level allows, with every stored version."
	if admin {
		know += " Admin tokens may also push to it (as to the inbox) and delete from it."
	}
	return []collection{
		{kind: colKnowledge, Collection: taxii.Collection{ID: KnowledgeCollection, Title: "culprit knowledge base", Alias: "knowledge",
			Description: know, CanRead: true, CanWrite: admin, MediaTypes: []string{taxii.MediaSTIX}}},
		{kind: colInbox, Collection: taxii.Collection{ID: InboxCollection, Title: "culprit inbox", Alias: "inbox",
			Description: "Objects pushed here are imported into the knowledge base (analyst tokens and above).",
			CanWrite:    true, MediaTypes: []string{taxii.MediaSTIX}}},
	}
}

// collections lists the collections of the caller: the built-in ones,
// then one per case it may see, oldest case first.
func (s *Server) collections(ctx context.Context, c *call) ([]collection, error) {
	out := builtins(c)
	err := s.cfg.Store.Cases(ctx, func(cs *kb.Case) error {
		v, err := c.view.Case(cs)
		if errs.KindOf(err) == errs.NotFound {
			return nil // above the caller: not listed
		}
		if err != nil {
			return err
		}
		out = append(out, caseCollection(c, v))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the case collections: %w", err)
	}
	return out, nil
}

// collectionOf returns the collection of the request. A case collection
// of a case above the caller is not found exactly as an id that names
// nothing.
func (s *Server) collectionOf(r *http.Request, c *call) (collection, error) {
	id := r.PathValue("collection")
	for _, col := range builtins(c) {
		if col.ID == id || col.Alias == id {
			return col, nil
		}
	}
	notFound := errs.E(errs.NotFound, "no collection %q", truncate(id))
	caseID, ok := caseOfCollection(id)
	if !ok {
		return collection{}, notFound
	}
	cs, err := s.caseOf(r.Context(), c, caseID)
	if errs.KindOf(err) == errs.NotFound {
		return collection{}, notFound
	}
	if err != nil {
		return collection{}, err
	}
	return caseCollection(c, cs), nil
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
	return writeTAXIIBytes(w, status, b)
}

// writeTAXIIBytes writes an encoded TAXII resource.
func writeTAXIIBytes(w http.ResponseWriter, status int, b []byte) error {
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
	cols, err := s.collections(r.Context(), c)
	if err != nil {
		return err
	}
	out := taxii.Collections{Collections: make([]taxii.Collection, len(cols))}
	for i, col := range cols {
		out.Collections[i] = col.Collection
	}
	return writeTAXII(w, http.StatusOK, out)
}

func (s *Server) handleCollection(w http.ResponseWriter, r *http.Request, c *call) error {
	col, err := s.collectionOf(r, c)
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusOK, col.Collection)
}

// index returns the index of the versions the collection col serves,
// which must be readable.
func (s *Server) index(c *call, col collection) (*taxii.Index, error) {
	switch {
	case !col.CanRead:
		return nil, errs.E(errs.Forbidden, "collection %s cannot be read: it is an inbox", col.Alias)
	case col.kind == colCase:
		return s.caseIndex(c, col.cs)
	}
	return c.snap.taxii, nil
}

// The date-added headers of a page (section 3.4.2).
const (
	hdrAddedFirst = "X-TAXII-Date-Added-First"
	hdrAddedLast  = "X-TAXII-Date-Added-Last"
)

// page selects the entries of a TAXII request to collection col and sets
// the date-added headers of section 3.4.2.
func (s *Server) page(w http.ResponseWriter, r *http.Request, c *call, ix *taxii.Index, ep taxii.Endpoint, id, def string) (taxii.Page, error) {
	q, err := taxii.ParseQuery(r.URL.Query(), ep)
	if err != nil {
		return taxii.Page{}, err
	}
	p, err := ix.Select(q, id, c.view.SeesLevel, def)
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
		w.Header().Set(hdrAddedFirst, taxii.FormatTime(first))
		w.Header().Set(hdrAddedLast, taxii.FormatTime(last))
	}
	return p, nil
}

// readPage resolves the collection of the request and selects its page.
func (s *Server) readPage(w http.ResponseWriter, r *http.Request, c *call, ep taxii.Endpoint, id, def string) (collection, *taxii.Index, taxii.Page, error) {
	col, err := s.collectionOf(r, c)
	if err != nil {
		return col, nil, taxii.Page{}, err
	}
	ix, err := s.index(c, col)
	if err != nil {
		return col, nil, taxii.Page{}, err
	}
	p, err := s.page(w, r, c, ix, ep, id, def)
	return col, ix, p, err
}

// objectExists answers a request for one object that selected nothing:
// the object is not found unless the caller may see a version of it.
func objectExists(r *http.Request, c *call, col collection, ix *taxii.Index, id string) error {
	if col.kind == colCase {
		if !ix.Has(id, c.view.SeesLevel) {
			return errs.E(errs.NotFound, "no object %s in collection %s", truncate(id), col.ID)
		}
		return nil
	}
	_, err := c.view.Object(r.Context(), id)
	return err
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
	col, err := s.collectionOf(r, c)
	if err != nil {
		return err
	}
	// The knowledge collection's pages are the snapshot's (pagecache.go);
	// a case's collection has an index of its own.
	cached := col.kind == colKnowledge && col.CanRead
	key := pageKey{level: min(c.tok.TLP, c.snap.highest), query: r.URL.RawQuery}
	if cached {
		if pg := c.snap.pages.get(key); pg != nil {
			if pg.first != "" {
				w.Header().Set(hdrAddedFirst, pg.first)
				w.Header().Set(hdrAddedLast, pg.last)
			}
			return writeTAXIIBytes(w, http.StatusOK, pg.body)
		}
	}
	ix, err := s.index(c, col)
	if err != nil {
		return err
	}
	p, err := s.page(w, r, c, ix, taxii.Objects, "", "last")
	if err != nil {
		return err
	}
	body := taxii.Envelope{More: p.More, Next: p.Next, Objects: content(c, p.Entries)}.AppendJSON(nil)
	if cached {
		c.snap.pages.put(&cachedPage{key: key, body: body, first: w.Header().Get(hdrAddedFirst), last: w.Header().Get(hdrAddedLast)})
	}
	return writeTAXIIBytes(w, http.StatusOK, body)
}

func (s *Server) handleTAXIIObject(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("object")
	col, ix, p, err := s.readPage(w, r, c, taxii.Object, id, "last")
	if err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		if err := objectExists(r, c, col, ix, id); err != nil {
			return err
		}
		// A version that is not there (deleted, or never stored) is not
		// found either, as section 5.7 asks after a delete; a later page
		// may be empty.
		if r.URL.Query().Get("next") == "" {
			return errs.E(errs.NotFound, "object %s has no version that the filters select", truncate(id))
		}
	}
	objs := content(c, p.Entries)
	return writeTAXII(w, http.StatusOK, taxii.Envelope{More: p.More, Next: p.Next, Objects: objs})
}

func (s *Server) handleTAXIIVersions(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("object")
	col, ix, p, err := s.readPage(w, r, c, taxii.Versions, id, "all")
	if err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		if err := objectExists(r, c, col, ix, id); err != nil {
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
	_, _, p, err := s.readPage(w, r, c, taxii.Objects, "", "last")
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

// handleTAXIIDelete deletes an object, or the versions of it that
// match[version] names, from the knowledge base (section 5.7; admins
// only, by the route). Only the versions the caller's level shows are
// selected: an object above it is not found, as an absent one, and a
// version above it is kept. The knowledge is reloaded before the answer,
// so that the next read no longer serves what was deleted.
func (s *Server) handleTAXIIDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	col, err := s.collectionOf(r, c)
	if err != nil {
		return err
	}
	switch {
	case col.kind == colCase:
		return errs.E(errs.Forbidden, "the objects of case %s are its evidence: remove the evidence file that holds them (DELETE /api/cases/%s/evidence/{name})", col.cs.ID, col.cs.ID)
	case !col.CanRead || !col.CanWrite:
		return errs.E(errs.Forbidden, "collection %s does not support delete: it is not both readable and writable by you", col.Alias)
	}
	id := r.PathValue("object")
	q, err := taxii.ParseQuery(r.URL.Query(), taxii.Delete)
	if err != nil {
		return err
	}
	p, err := c.snap.taxii.Select(q, id, c.view.SeesLevel, "all")
	if err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		if _, err := c.view.Object(r.Context(), id); err != nil {
			return err
		}
		return errs.E(errs.NotFound, "object %s has no version that the filters select", truncate(id))
	}
	versions := make([]time.Time, len(p.Entries))
	for i, e := range p.Entries {
		versions[i] = e.Modified
	}
	s.writeMu.Lock()
	_, err = s.cfg.Store.Delete(context.WithoutCancel(r.Context()), id, versions)
	s.writeMu.Unlock()
	if errs.KindOf(err) == errs.Conflict {
		return s.referredTo(c, id)
	}
	if err != nil {
		return err
	}
	s.reloadAfterImport(r.Context())
	w.Header().Set("Content-Type", taxii.MediaTAXII)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	return nil
}

// referredTo is the error of a delete the store refused because
// relationships refer to the object: it names those the caller may see,
// never the others.
func (s *Server) referredTo(c *call, id string) error {
	var refs []string
	for _, is := range [][]int{c.snap.relsBySource[id], c.snap.relsByTarget[id]} {
		for _, i := range is {
			if o := c.snap.objects[i]; c.view.SeesLevel(o.level) && o.id != id && len(refs) < 5 {
				refs = append(refs, o.id)
			}
		}
	}
	if len(refs) == 0 {
		return errs.E(errs.Conflict, "object %s cannot be deleted: other objects refer to it", id)
	}
	return errs.E(errs.Conflict, "object %s cannot be deleted: relationships refer to it (%s): delete them first", id, strings.Join(refs, ", "))
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
	// Case is the case of a push to a case collection, and Levels the
	// level of each of its objects (they are not in the knowledge base,
	// whose view tells the others).
	Case   string                  `json:"case,omitempty"`
	Levels map[string]access.Level `json:"levels,omitempty"`
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
// inbox collection, and the knowledge collection for admins) in one
// transaction, or adds it to a case as unreviewed evidence (a case
// collection): every object succeeds or every one fails, and the status
// says which.
func (s *Server) handleTAXIIAdd(w http.ResponseWriter, r *http.Request, c *call) error {
	col, err := s.collectionOf(r, c)
	if err != nil {
		return err
	}
	if !col.CanWrite {
		if col.kind == colCase {
			return errs.E(errs.Forbidden, "collection %s is read-only for you: case %s is %s, or your token is a reader's", col.ID, col.cs.ID, col.cs.Status)
		}
		return errs.E(errs.Forbidden, "collection %s is read-only: push to the inbox collection %s", col.Alias, InboxCollection)
	}
	limit := s.cfg.MaxEnvelope
	if col.kind == colCase {
		limit = min(limit, s.cfg.MaxCase) // the bound of evidence posted to a case
	}
	objs, err := taxii.DecodeEnvelope(r.Body, limit)
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	e := &statusEntry{Owner: c.tok.ID, Created: now,
		Status: taxii.Status{ID: newID(), Status: "complete", RequestTimestamp: taxii.FormatTime(now), TotalCount: len(objs)}}
	ctx := context.WithoutCancel(r.Context())
	var aerr error
	if col.kind == colCase {
		aerr = s.pushToCase(ctx, c, col.cs, e, objs)
	} else {
		src := kb.Source{Kind: kb.SourceFile, Name: "taxii-inbox", Path: "taxii:" + e.Status.ID}
		_, aerr = s.runImport(ctx, c, src, kb.SliceStream(objs), kb.ImportOptions{})
	}
	st := &e.Status
	for _, o := range objs {
		d := taxii.StatusDetail{ID: o.ID, Version: taxii.FormatTime(versionOf(o.Modified, o.Created, now))}
		if aerr != nil {
			d.Message = aerr.Error()
			if errs.KindOf(aerr) == errs.Internal {
				d.Message = "internal error (status " + st.ID + ")"
			}
			st.Failures = append(st.Failures, d)
		} else {
			st.Successes = append(st.Successes, d)
		}
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	if aerr != nil && errs.KindOf(aerr) == errs.Internal {
		s.log.Error("TAXII add failed", "status", st.ID, "err", aerr)
	}
	if err := s.status.add(ctx, s.cfg.Store, e); err != nil {
		// The objects are stored: the status is still answered from
		// memory, only a restart would forget it.
		s.log.Error("keep TAXII status", "status", st.ID, "err", err)
	}
	v, err := s.visibleStatus(r, c, e)
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusAccepted, v)
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
// (an object re-marked since it was pushed), counts included. The status
// of a push to a case is not found by a caller who cannot see the case
// (any more), and its objects are those of the levels kept with it.
func (s *Server) visibleStatus(r *http.Request, c *call, e *statusEntry) (taxii.Status, error) {
	st := e.Status
	sees := func(id string) bool {
		_, err := c.view.Object(r.Context(), id)
		return err == nil
	}
	if e.Case != "" {
		if _, err := s.caseOf(r.Context(), c, e.Case); err != nil {
			if errs.KindOf(err) == errs.NotFound {
				return st, errs.E(errs.NotFound, "no status %q", truncate(st.ID))
			}
			return st, err
		}
		sees = func(id string) bool {
			l, ok := e.Levels[id]
			return ok && c.view.SeesLevel(l)
		}
	}
	var kept []taxii.StatusDetail
	for _, d := range st.Successes {
		if sees(d.ID) {
			kept = append(kept, d)
		}
	}
	st.Successes = kept
	st.SuccessCount = len(st.Successes)
	st.TotalCount = st.SuccessCount + st.FailureCount + st.PendingCount
	return st, nil
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	e := s.status.get(r.PathValue("status"))
	if e == nil || e.Owner != c.tok.ID && c.tok.Role != token.Admin {
		return errs.E(errs.NotFound, "no status %q", truncate(r.PathValue("status")))
	}
	st, err := s.visibleStatus(r, c, e)
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusOK, st)
}
