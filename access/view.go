package access

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Store is the read side of a kb.Store that a View filters.
type Store interface {
	kb.Reader
	Versions(ctx context.Context, id string) ([]kb.Version, error)
	Stats(ctx context.Context) (kb.Stats, error)
}

// versionLister is implemented by stores that list every earlier version
// in one pass (package sqlite); Build falls back to one Versions call per
// object otherwise.
type versionLister interface {
	EachVersion(ctx context.Context, fn func(kb.Version) error) error
}

// Index holds the level of every stored object, computed once per state
// of the knowledge base by Build, with what View.Stats counts. It is
// immutable and shared by the views of all callers.
type Index struct {
	unmarked Level
	objs     map[string]*entry
}

type entry struct {
	level Level
	// modified and size identify the version the level was computed
	// from: Of trusts the level only for that version.
	modified time.Time
	size     int
	typ      string
	inactive bool
	names    int
	versions []Level // the levels of the earlier versions
}

// Build reads every object of st (active or not) and its earlier versions
// and computes their levels; unmarked is the level of an object with no
// TLP marking.
func Build(ctx context.Context, st Store, unmarked Level) (*Index, error) {
	ix := &Index{unmarked: unmarked, objs: map[string]*entry{}}
	refs := map[string][]string{}
	err := st.Objects(ctx, kb.ObjectQuery{IncludeInactive: true}, func(o *stix.Object) error {
		own, rs := ownLevel(o, unmarked), refsOf(o)
		ix.objs[o.ID] = &entry{level: own, modified: o.Modified, size: len(o.Raw), typ: o.Type,
			inactive: o.Revoked || o.Deprecated, names: len(kb.NamesOf(o))}
		if len(rs) > 0 {
			refs[o.ID] = rs
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("access index: %w", err)
	}
	// Raise each object to the levels of what it refers to, until nothing
	// changes: a report of a relationship to a RED object is RED. Levels
	// only rise and are bounded, so this ends.
	ids := make([]string, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for changed := true; changed; {
		changed = false
		for _, id := range ids {
			e := ix.objs[id]
			for _, r := range refs[id] {
				if l := ix.level(r); l > e.level {
					e.level, changed = l, true
				}
			}
		}
	}
	addVersion := func(v kb.Version) error {
		e := ix.objs[v.ID]
		if e == nil {
			return nil
		}
		l := e.level
		if o, err := stix.ParseObject(v.Raw); err == nil {
			l = max(l, ix.Of(o))
		}
		e.versions = append(e.versions, l)
		return nil
	}
	if vl, ok := st.(versionLister); ok {
		if err := vl.EachVersion(ctx, addVersion); err != nil {
			return nil, fmt.Errorf("access index: %w", err)
		}
		return ix, nil
	}
	for id := range ix.objs {
		vs, err := st.Versions(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("access index: %w", err)
		}
		for _, v := range vs {
			if err := addVersion(v); err != nil {
				return nil, err
			}
		}
	}
	return ix, nil
}

// Unmarked returns the level given to objects without a TLP marking.
func (ix *Index) Unmarked() Level { return ix.unmarked }

// level returns the indexed level of id, or the unmarked level for an
// object the index does not know (a ref to an object not stored).
func (ix *Index) level(id string) Level {
	if e := ix.objs[id]; e != nil {
		return e.level
	}
	return ix.unmarked
}

// Of returns the level of o as read now: its own markings, the indexed
// level of its id (an object re-marked since the index was built keeps
// the higher of the two) and the levels of what it refers to.
func (ix *Index) Of(o *stix.Object) Level {
	e := ix.objs[o.ID]
	if e != nil && e.modified.Equal(o.Modified) && e.size == len(o.Raw) {
		return e.level // the version the index computed, refs included
	}
	l := ownLevel(o, ix.unmarked)
	if e != nil {
		l = max(l, e.level)
	}
	for _, r := range refsOf(o) {
		l = max(l, ix.level(r))
	}
	return l
}

// Highest returns the highest level of any indexed object, so that
// callers can share what they derive between levels that see the same.
func (ix *Index) Highest() Level {
	h := Clear
	for _, e := range ix.objs {
		h = max(h, e.level)
		for _, v := range e.versions {
			h = max(h, v)
		}
	}
	return h
}

// ownLevel is the highest TLP marking of o itself (object and granular
// markings), or unmarked when it has none. A marking-definition is always
// CLEAR: callers need the definitions to read the markings they may see.
func ownLevel(o *stix.Object, unmarked Level) Level {
	if o.Type == "marking-definition" {
		return Clear
	}
	l, marked := Clear, false
	for _, m := range o.ObjectMarkingRefs {
		if ml, ok := MarkingLevel(m); ok {
			l, marked = max(l, ml), true
		}
	}
	for _, m := range granularMarkings(o) {
		if ml, ok := MarkingLevel(m); ok {
			l, marked = max(l, ml), true
		}
	}
	if !marked {
		return unmarked
	}
	return l
}

func granularMarkings(o *stix.Object) []string {
	if !bytes.Contains(o.Raw, []byte(`"granular_markings"`)) {
		return nil
	}
	var x struct {
		G []struct {
			Ref string `json:"marking_ref"`
		} `json:"granular_markings"`
	}
	if json.Unmarshal(o.Raw, &x) != nil {
		return nil
	}
	var out []string
	for _, g := range x.G {
		out = append(out, g.Ref)
	}
	return out
}

// refsOf returns the ids o refers to through its top-level *_ref and
// *_refs properties, markings excepted.
func refsOf(o *stix.Object) []string {
	var out []string
	add := func(s string) {
		if s != "" && s != o.ID {
			out = append(out, s)
		}
	}
	add(o.CreatedBy)
	add(o.SourceRef)
	add(o.TargetRef)
	add(o.SightingOfRef)
	for _, r := range o.ObjectRefs {
		add(r)
	}
	// Decoding the whole object is costly: do it only when it has more
	// *_ref and *_refs keys than the properties read above account for.
	known := 0
	for _, k := range [][]byte{[]byte(`"created_by_ref"`), []byte(`"source_ref"`), []byte(`"target_ref"`),
		[]byte(`"sighting_of_ref"`), []byte(`"object_refs"`), []byte(`"object_marking_refs"`)} {
		known += bytes.Count(o.Raw, k)
	}
	if bytes.Count(o.Raw, []byte(`_ref"`))+bytes.Count(o.Raw, []byte(`_refs"`)) <= known {
		return out
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(o.Raw, &m) != nil {
		return out
	}
	for k, v := range m {
		switch k {
		case "created_by_ref", "source_ref", "target_ref", "sighting_of_ref", "object_refs", "object_marking_refs":
			continue
		}
		switch {
		case strings.HasSuffix(k, "_ref"):
			var s string
			if json.Unmarshal(v, &s) == nil {
				add(s)
			}
		case strings.HasSuffix(k, "_refs"):
			var ss []string
			if json.Unmarshal(v, &ss) == nil {
				for _, s := range ss {
					add(s)
				}
			}
		}
	}
	return out
}

// View is the knowledge base as one caller may see it: every method of
// the store's read side, with the objects above the caller's level left
// out as if they did not exist. It is the only way the server reads the
// knowledge base.
type View struct {
	st  Store
	ix  *Index
	max Level
}

// View returns the view of st for a caller whose highest level is max.
func (ix *Index) View(st Store, max Level) *View { return &View{st: st, ix: ix, max: max} }

// Max returns the highest level the view shows.
func (v *View) Max() Level { return v.max }

// Sees reports whether the view shows o.
func (v *View) Sees(o *stix.Object) bool { return v.ix.Of(o) <= v.max }

// SeesLevel reports whether the view shows objects of level l.
func (v *View) SeesLevel(l Level) bool { return l <= v.max }

// notFound is the error of an object that does not exist or is hidden:
// the same for both, so that nothing tells them apart.
func notFound(id string) error {
	return errs.Wrap(errs.NotFound, fmt.Errorf("object %s: %w", id, kb.ErrNotFound), "")
}

// Object returns the object, or a not-found error when it does not exist
// or is hidden.
func (v *View) Object(ctx context.Context, id string) (*stix.Object, error) {
	o, err := v.st.Object(ctx, id)
	if errors.Is(err, kb.ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	if !v.Sees(o) {
		return nil, notFound(id)
	}
	return o, nil
}

// ObjectsByID implements kb.ObjectsByID: the visible objects of ids, in
// one read when the store can (else one at a time).
func (v *View) ObjectsByID(ctx context.Context, ids []string) (map[string]*stix.Object, error) {
	var all map[string]*stix.Object
	if b, ok := v.st.(kb.ObjectsByID); ok {
		var err error
		if all, err = b.ObjectsByID(ctx, ids); err != nil {
			return nil, err
		}
	} else {
		all = make(map[string]*stix.Object, len(ids))
		for _, id := range ids {
			o, err := v.st.Object(ctx, id)
			if errors.Is(err, kb.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			all[id] = o
		}
	}
	for id, o := range all {
		if !v.Sees(o) {
			delete(all, id)
		}
	}
	return all, nil
}

// Objects calls fn for each visible object selected by q.
func (v *View) Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error {
	return v.st.Objects(ctx, q, func(o *stix.Object) error {
		if !v.Sees(o) {
			return nil
		}
		return fn(o)
	})
}

// Relationships calls fn for each visible relationship selected by q: a
// relationship is hidden when it or either end is.
func (v *View) Relationships(ctx context.Context, q kb.RelationshipQuery, fn func(*stix.Object) error) error {
	return v.st.Relationships(ctx, q, func(o *stix.Object) error {
		if !v.Sees(o) {
			return nil
		}
		return fn(o)
	})
}

// seesID reports whether the object with this id is visible: by its
// indexed level, or by reading it when the index does not know it (stored
// since the index was built). Lists of ids (name matches, same-as links)
// are filtered this way without reading each object.
func (v *View) seesID(ctx context.Context, id string) (bool, error) {
	if e := v.ix.objs[id]; e != nil {
		return e.level <= v.max, nil
	}
	o, err := v.st.Object(ctx, id)
	if errors.Is(err, kb.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return v.Sees(o), nil
}

// SeesID reports whether the object with this id exists and is visible.
func (v *View) SeesID(ctx context.Context, id string) (bool, error) { return v.seesID(ctx, id) }

// LookupName returns the visible objects that the name matches.
func (v *View) LookupName(ctx context.Context, name string) ([]kb.NameMatch, error) {
	ms, err := v.st.LookupName(ctx, name)
	if err != nil {
		return nil, err
	}
	out := ms[:0:0]
	for _, m := range ms {
		ok, err := v.seesID(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// SameAs returns the same-as links whose ends are both visible.
func (v *View) SameAs(ctx context.Context) ([]kb.SameAs, error) {
	links, err := v.st.SameAs(ctx)
	if err != nil {
		return nil, err
	}
	out := links[:0:0]
	for _, l := range links {
		a, err := v.seesID(ctx, l.A)
		if err != nil {
			return nil, err
		}
		b, err := v.seesID(ctx, l.B)
		if err != nil {
			return nil, err
		}
		if a && b {
			out = append(out, l)
		}
	}
	return out, nil
}

// Provenance returns the sources of a visible object.
func (v *View) Provenance(ctx context.Context, id string) ([]kb.Provenance, error) {
	if _, err := v.Object(ctx, id); err != nil {
		return nil, err
	}
	return v.st.Provenance(ctx, id)
}

// Versions returns the visible earlier versions of a visible object: a
// version marked higher than the caller's level (a TLP:RED name in the
// history) is left out.
func (v *View) Versions(ctx context.Context, id string) ([]kb.Version, error) {
	if _, err := v.Object(ctx, id); err != nil {
		return nil, err
	}
	vs, err := v.st.Versions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := vs[:0:0]
	for _, x := range vs {
		o, err := stix.ParseObject(x.Raw)
		if err != nil || !v.Sees(o) {
			continue
		}
		out = append(out, x)
	}
	return out, nil
}

// Stats counts what the view shows, as of the index: objects, inactive
// ones, per type, names and earlier versions of visible objects, and the
// visible same-as links (read now). Sources is the store's count of
// imported inputs, which names no object.
func (v *View) Stats(ctx context.Context) (kb.Stats, error) {
	all, err := v.st.Stats(ctx)
	if err != nil {
		return kb.Stats{}, err
	}
	s := kb.Stats{ByType: map[string]int{}, Sources: all.Sources}
	for _, e := range v.ix.objs {
		if e.level > v.max {
			continue
		}
		s.Objects++
		s.ByType[e.typ]++
		s.Names += e.names
		if e.inactive {
			s.Inactive++
		}
		for _, l := range e.versions {
			if l <= v.max {
				s.Versions++
			}
		}
	}
	links, err := v.SameAs(ctx)
	if err != nil {
		return kb.Stats{}, err
	}
	s.SameAs = len(links)
	return s, nil
}

// Level returns the level of o as the view judges it (see Index.Of).
func (v *View) Level(o *stix.Object) Level { return v.ix.Of(o) }
