package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// Every case the caller may see is a TAXII collection of its own: its
// STIX evidence served as objects, and, for analysts, an inbox of the
// case. Which cases a caller sees is access.View.Case's rule (through
// caseOf and the case list), never decided here.

// caseCollectionPrefix starts the id of every case collection: a UUID of
// version 8 (custom) whose last 48 bits are the case id's 12 hex digits,
// so that the id is stable and names its case without a lookup table.
const caseCollectionPrefix = "4ca5e1d0-7a11-8c0e-9a5e-"

// caseCollectionID returns the collection id of case id.
func caseCollectionID(id string) string {
	return caseCollectionPrefix + strings.TrimPrefix(id, "case-")
}

// caseOfCollection returns the case id a collection id (or its alias, the
// case id itself) names, if it names one.
func caseOfCollection(id string) (string, bool) {
	if kb.ValidCaseID(id) {
		return id, true
	}
	rest, ok := strings.CutPrefix(id, caseCollectionPrefix)
	if !ok || !kb.ValidCaseID("case-"+rest) {
		return "", false
	}
	return "case-" + rest, true
}

// caseCollection is the collection of case cs as the caller sees it:
// readable, and writable by analysts and admins while the case is open.
func caseCollection(c *call, cs *kb.Case) collection {
	write := c.tok.Role.Allows(token.Analyst) && cs.Status == kb.CaseOpen
	desc := "The STIX evidence of case " + cs.ID + " (" + access.CaseLevel(cs.TLP).String() + ")."
	if write {
		desc += " Objects pushed here are added to the case as one evidence file, extracted, not reviewed."
	}
	return collection{kind: colCase, cs: cs, Collection: taxii.Collection{ID: caseCollectionID(cs.ID), Title: cs.Name,
		Alias: cs.ID, Description: desc, CanRead: true, CanWrite: write, MediaTypes: []string{taxii.MediaSTIX}}}
}

// caseIndexes keeps the indexes of the cases read lately, so that paging
// through a case collection parses its evidence once, not once a page.
// An index is of one version of one case under one snapshot (the levels
// of its objects are the snapshot's); it does not depend on the caller,
// whose level Select applies. At most maxCaseIndexes are kept, of at
// most maxCaseIndexBytes of evidence together, the oldest dropped first.
type caseIndexes struct {
	mu    sync.Mutex
	keys  []caseIndexKey // oldest first
	ix    map[caseIndexKey]*taxii.Index
	size  map[caseIndexKey]int
	bytes int
}

type caseIndexKey struct {
	id      string
	version int
	snap    *snapshot
}

const (
	maxCaseIndexes    = 8
	maxCaseIndexBytes = 128 << 20
)

// caseIndex returns the index of case cs (as the caller may see it) under
// the caller's snapshot.
func (s *Server) caseIndex(c *call, cs *kb.Case) (*taxii.Index, error) {
	k := caseIndexKey{cs.ID, cs.Version, c.snap}
	ci := &s.caseIx
	ci.mu.Lock()
	ix := ci.ix[k]
	ci.mu.Unlock()
	if ix != nil {
		return ix, nil
	}
	ix, n := buildCaseIndex(c, cs)
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.ix == nil {
		ci.ix, ci.size = map[caseIndexKey]*taxii.Index{}, map[caseIndexKey]int{}
	}
	if _, ok := ci.ix[k]; ok || n > maxCaseIndexBytes {
		return ix, nil // built meanwhile by another request, or too large to keep
	}
	for len(ci.keys) > 0 && (len(ci.keys) >= maxCaseIndexes || ci.bytes+n > maxCaseIndexBytes) {
		old := ci.keys[0]
		ci.keys = ci.keys[1:]
		ci.bytes -= ci.size[old]
		delete(ci.ix, old)
		delete(ci.size, old)
	}
	ci.keys = append(ci.keys, k)
	ci.ix[k], ci.size[k] = ix, n
	ci.bytes += n
	return ix, nil
}

// buildCaseIndex indexes the objects of the STIX evidence of cs, each
// added when its evidence was, at the level of the case or the object's
// own marking, whichever is higher, and returns the bytes of evidence
// read. Case files (YAML) and report extracts are not STIX and are not
// served.
func buildCaseIndex(c *call, cs *kb.Case) (*taxii.Index, int) {
	caseLevel := access.CaseLevel(cs.TLP)
	n := 0
	var es []taxii.Entry
	for _, ev := range cs.Evidence {
		if ev.Format != "stix" {
			continue
		}
		n += len(ev.Content)
		objs, err := evidenceObjects(ev)
		if err != nil {
			// A JSON-looking case file that is not a bundle (a YAML flow
			// mapping): no STIX to serve.
			continue
		}
		for _, o := range objs {
			es = append(es, taxii.NewEntry(o, ev.Added, max(caseLevel, c.snap.access.Of(o))))
		}
	}
	return taxii.NewIndex(es), n
}

// evidenceObjects decodes a STIX evidence file, gzip-compressed or not.
func evidenceObjects(ev kb.CaseEvidence) ([]*stix.Object, error) {
	var r io.Reader = bytes.NewReader(ev.Content)
	if len(ev.Content) >= 2 && ev.Content[0] == 0x1f && ev.Content[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("evidence %s: %w", ev.Name, err)
		}
		r = io.LimitReader(zr, kb.MaxCaseSize)
	}
	dec := stix.NewDecoder(r, ev.Name)
	var out []*stix.Object
	for {
		o, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
}

// pushToCase adds objs to case cs as one STIX bundle of evidence, named
// after the status e, marked extracted, not reviewed: what POST
// /api/cases/{id}/evidence?unreviewed=true does with a bundle, through
// the same investigation.Service.Add. An object marked above the case is
// refused (the case would show it to every reader of the case), and then
// nothing is added.
func (s *Server) pushToCase(ctx context.Context, c *call, cs *kb.Case, e *statusEntry, objs []*stix.Object) error {
	caseLevel := access.CaseLevel(cs.TLP)
	e.Case, e.Levels = cs.ID, make(map[string]access.Level, len(objs))
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--` + e.Status.ID + `","objects":[`)
	for i, o := range objs {
		l := c.snap.access.Of(o)
		if l > caseLevel {
			return errs.E(errs.Forbidden, "object %s is marked %s, above case %s's level (%s): push it to a case of its level", o.ID, l, cs.ID, caseLevel)
		}
		e.Levels[o.ID] = caseLevel
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.Raw)
	}
	b.WriteString("]}")
	ev := investigation.Evidence{Name: "taxii-" + e.Status.ID + ".json", Content: b.Bytes(), By: c.tok.Name, Unreviewed: true}
	if _, err := s.service().Add(ctx, cs.ID, ev); err != nil {
		return fmt.Errorf("add to case %s: %w", cs.ID, err)
	}
	return nil
}
