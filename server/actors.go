package server

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// actorCache holds, for one snapshot and level, what every actor lookup
// reads: the visible active actors, the visible same-as links and their
// clusters. Built once through the level's view, so the cache shows no
// more than the view.
type actorCache struct {
	once     sync.Once
	actors   []*stix.Object
	links    []kb.SameAs
	clusters *kb.Clusters
	err      error

	// The full listing (no query), built at its first request.
	listOnce sync.Once
	list     []kb.ActorSummary
	listErr  error

	// The counts of /api/stats, built at their first request.
	statsOnce sync.Once
	stats     kb.Stats
	statsErr  error

	// Encoded answers of actor lookups by route and query: they depend on
	// nothing but the snapshot and the level, and a card costs a millisecond
	// of store reads to build. Bounded: past maxCachedAnswers, answers are
	// built each time.
	answerMu sync.Mutex
	answers  map[string][]byte
}

const maxCachedAnswers = 8192

// answer returns the cached answer under key, or builds it with build,
// caches it and returns it. Errors are not cached.
func (ac *actorCache) answer(key string, build func() ([]byte, error)) ([]byte, error) {
	ac.answerMu.Lock()
	b, ok := ac.answers[key]
	ac.answerMu.Unlock()
	if ok {
		return b, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	ac.answerMu.Lock()
	if ac.answers == nil {
		ac.answers = make(map[string][]byte)
	}
	if len(ac.answers) < maxCachedAnswers {
		ac.answers[key] = b
	}
	ac.answerMu.Unlock()
	return b, nil
}

var actorTypes = []string{"intrusion-set", "threat-actor"}

func (s *Server) actorCache(ctx context.Context, sn *snapshot, l access.Level) (*actorCache, error) {
	l = min(l, sn.highest)
	ac := &sn.actors[l]
	ac.once.Do(func() {
		ctx := context.WithoutCancel(ctx)
		var src access.Store = s.cfg.Store
		if sn.mem != nil {
			src = sn.mem
		}
		v := sn.access.View(src, l)
		ac.err = v.Objects(ctx, kb.ObjectQuery{Types: actorTypes}, func(o *stix.Object) error {
			ac.actors = append(ac.actors, o)
			return nil
		})
		if ac.err != nil {
			return
		}
		if ac.links, ac.err = v.SameAs(ctx); ac.err != nil {
			return
		}
		ac.clusters = kb.NewClusters(ac.actors, ac.links, s.cfg.Fold)
	})
	return ac, ac.err
}

// actorReader is a caller's view with the actor cache of its level in
// front: the actor listing and the same-as links come from memory, every
// other read from the view.
type actorReader struct {
	*access.View
	ac    *actorCache
	names nameIndex
	snap  *snapshot
}

func (r actorReader) Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error {
	if q.IncludeInactive || len(q.Types) != 2 || !(q.Types[0] == actorTypes[0] && q.Types[1] == actorTypes[1]) {
		return r.View.Objects(ctx, q, fn)
	}
	for _, o := range r.ac.actors {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

func (r actorReader) SameAs(ctx context.Context) ([]kb.SameAs, error) {
	return append([]kb.SameAs(nil), r.ac.links...), nil
}

// actorsOf returns the reader and clusters of a call.
func (s *Server) actorsOf(ctx context.Context, c *call) (actorReader, *kb.Clusters, error) {
	ac, err := s.actorCache(ctx, c.snap, c.tok.TLP)
	if err != nil {
		return actorReader{}, nil, err
	}
	return actorReader{View: c.view, ac: ac, names: c.snap.names, snap: c.snap}, ac.clusters, nil
}

// listAll returns the listing of every visible actor, built once.
func (s *Server) listAll(ctx context.Context, rd actorReader) ([]kb.ActorSummary, error) {
	rd.ac.listOnce.Do(func() {
		rd.ac.list, rd.ac.listErr = kb.ListActors(context.WithoutCancel(ctx), rd, "")
	})
	return rd.ac.list, rd.ac.listErr
}

// statsOf returns the counts of a call's view, computed once per
// snapshot and level.
func (s *Server) statsOf(ctx context.Context, c *call) (kb.Stats, error) {
	ac, err := s.actorCache(ctx, c.snap, c.tok.TLP)
	if err != nil {
		return kb.Stats{}, err
	}
	ac.statsOnce.Do(func() { ac.stats, ac.statsErr = c.view.Stats(context.WithoutCancel(ctx)) })
	return ac.stats, ac.statsErr
}

// nameIndex is the snapshot's own name lookup (kb.NamesOf of every
// object, as the store indexes them), so that lookups neither query the
// store nor wait for its index, which each import drops.
type nameIndex map[string][]kb.NameMatch

func buildNames(objs []*stix.Object) nameIndex {
	idx := nameIndex{}
	for _, o := range objs {
		for _, n := range kb.NamesOf(o) {
			idx[n.Norm] = append(idx[n.Norm], kb.NameMatch{ID: o.ID, Type: o.Type, Name: o.Name, Matched: n.Name,
				Kind: n.Kind, Inactive: o.Revoked || o.Deprecated})
		}
	}
	for k, ms := range idx {
		idx[k] = kb.SortMatches(ms)
	}
	return idx
}

// LookupName answers from the snapshot's name index, through the view;
// an id is looked up in the store (through the view).
func (r actorReader) LookupName(ctx context.Context, name string) ([]kb.NameMatch, error) {
	if kb.LooksLikeID(name) || r.names == nil {
		return r.View.LookupName(ctx, name)
	}
	var out []kb.NameMatch
	for _, m := range r.names[kb.Normalize(name)] {
		ok, err := r.View.SeesID(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// object returns the current version of id from the snapshot, with ok
// false when the snapshot does not hold it.
func (sn *snapshot) object(id string) (objRef, bool) {
	typ, _, _ := strings.Cut(id, "--")
	refs := sn.objects
	i := sort.Search(len(refs), func(i int) bool {
		return refs[i].typ > typ || refs[i].typ == typ && refs[i].id >= id
	})
	if i < len(refs) && refs[i].id == id {
		return refs[i], true
	}
	return objRef{}, false
}

// Object answers from the snapshot's stored versions when it holds the
// object (its level as the view computed it decides), else from the view.
func (r actorReader) Object(ctx context.Context, id string) (*stix.Object, error) {
	if r.snap != nil {
		if e, ok := r.snap.object(id); ok && r.View.SeesLevel(e.level) {
			if o, err := stix.ParseObject(e.raw); err == nil {
				return o, nil
			}
		}
	}
	return r.View.Object(ctx, id)
}

// Relationships answers the card's queries (by source or target, active
// only) from the snapshot's relationship index; other queries go to the
// view.
func (r actorReader) Relationships(ctx context.Context, q kb.RelationshipQuery, fn func(*stix.Object) error) error {
	if r.snap == nil || q.IncludeInactive || len(q.SourceRefs)+len(q.TargetRefs) != 1 {
		return r.View.Relationships(ctx, q, fn)
	}
	var idx []int
	if len(q.SourceRefs) == 1 {
		idx = r.snap.relsBySource[q.SourceRefs[0]]
	} else {
		idx = r.snap.relsByTarget[q.TargetRefs[0]]
	}
	types := map[string]bool{}
	for _, t := range q.Types {
		types[t] = true
	}
	for _, i := range idx {
		e := r.snap.objects[i]
		if !r.View.SeesLevel(e.level) {
			continue
		}
		o, err := stix.ParseObject(e.raw)
		if err != nil || o.Revoked || o.Deprecated || len(types) > 0 && !types[o.RelationshipType] {
			continue
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// indexRelationships fills the snapshot's relationship index from the
// decoded objects (ordered by id within each end, as the store orders
// them).
func (sn *snapshot) indexRelationships(objs []*stix.Object) {
	sn.relsBySource, sn.relsByTarget = map[string][]int{}, map[string][]int{}
	for _, o := range objs {
		if o.Type != "relationship" {
			continue
		}
		if e, ok := sn.object(o.ID); ok {
			i := sort.Search(len(sn.objects), func(i int) bool {
				return sn.objects[i].typ > e.typ || sn.objects[i].typ == e.typ && sn.objects[i].id >= e.id
			})
			sn.relsBySource[o.SourceRef] = append(sn.relsBySource[o.SourceRef], i)
			sn.relsByTarget[o.TargetRef] = append(sn.relsByTarget[o.TargetRef], i)
		}
	}
}
