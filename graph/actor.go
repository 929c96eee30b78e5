package graph

import (
	"context"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// around are the kinds whose own neighbours an actor's graph includes
// when they are indicators, infrastructure or observables: the addresses
// of the actor's malware, of its campaigns and incidents.
var around = map[string]bool{KindSoftware: true, KindCampaign: true, KindIncident: true, KindIndicator: true, KindInfrastructure: true}

// infra are the kinds taken from one step beyond the actor's neighbours.
var infra = map[string]bool{KindIndicator: true, KindInfrastructure: true, KindObservable: true}

// Actor is the graph of the actor whose cluster holds the object id: the
// cluster's members that the reader shows, their names, their same-as
// links (folded) and possibly-same-as links (with the objects at their
// other ends), every object related to a member (malware, tools,
// campaigns, incidents, indicators, other actors; techniques only with
// Options.Techniques), and the indicators, infrastructure and observables
// related to the member's software, campaigns, incidents and
// indicators. At most Options.MaxNodes nodes (Truncated then). It returns
// a not-found error when the reader shows no actor of that id.
func (x *Explorer) Actor(ctx context.Context, id string) (*Graph, error) {
	root, err := x.object(ctx, id)
	if err != nil {
		return nil, err
	}
	if root == nil || !kb.IsActor(root.Type) {
		return nil, errs.E(errs.NotFound, "no actor %s", id)
	}
	members := []*stix.Object{root}
	var joined []kb.SameAs
	if cl := x.cs.Of(id); cl != nil {
		members, joined = nil, nil
		for i, m := range cl.Members {
			// The clusters may have been built from more than the reader
			// shows: each member is read through it.
			o, err := x.object(ctx, m.ID)
			if err != nil {
				return nil, err
			}
			if o != nil {
				members = append(members, o)
				joined = append(joined, cl.Joined[i])
			}
		}
		if len(members) == 0 {
			return nil, errs.E(errs.NotFound, "no actor %s", id)
		}
	}
	b := newBuilder(members[0].ID, x.opt.MaxNodes)
	var ids []string
	for _, m := range members {
		b.node(x.nodeOf(m))
		ids = append(ids, m.ID)
	}
	for _, l := range joined {
		if l.A != "" {
			b.edge(Edge{From: l.A, To: l.B, Type: EdgeSameAs, Confidence: l.Confidence, Reason: l.Reason})
		}
	}
	for _, m := range members {
		if err := x.names(ctx, b, m); err != nil {
			return nil, err
		}
		if err := x.possibly(ctx, b, m.ID); err != nil {
			return nil, err
		}
	}
	next, err := x.addRelated(ctx, b, ids, nil)
	if err != nil {
		return nil, err
	}
	var second []string
	for _, n := range next {
		if around[n.Kind] {
			second = append(second, n.ID)
		}
	}
	if _, err := x.addRelated(ctx, b, second, infra); err != nil {
		return nil, err
	}
	g := b.done()
	g.Total = len(g.Nodes)
	return g, nil
}

// names adds the names of actor object m as nodes with alias edges.
func (x *Explorer) names(ctx context.Context, b *builder, m *stix.Object) error {
	for _, n := range kb.NamesOf(m) {
		if n.Kind == kb.KindExternalID {
			continue
		}
		id := "name:" + n.Norm
		if !b.node(Node{ID: id, Kind: KindName, Label: n.Name}) {
			return nil
		}
		b.edge(Edge{From: m.ID, To: id, Type: EdgeAlias, Reason: string(n.Kind)})
	}
	return nil
}

// possibly adds the unfolded same-as links of object id, with the
// visible objects at their other ends.
func (x *Explorer) possibly(ctx context.Context, b *builder, id string) error {
	if x.cs == nil {
		return nil
	}
	for _, u := range x.cs.Unfolded(id) {
		o, err := x.object(ctx, u.Other(id))
		if err != nil {
			return err
		}
		if o == nil || !b.node(x.nodeOf(o)) {
			continue
		}
		b.edge(Edge{From: u.A, To: u.B, Type: EdgePossibly, Confidence: u.Confidence, Reason: u.Reason + ": " + u.Why})
	}
	return nil
}

// addRelated adds the objects related to ids (of the kinds in only, when
// not nil) with their relationships, and returns the nodes it added.
func (x *Explorer) addRelated(ctx context.Context, b *builder, ids []string, only map[string]bool) ([]Node, error) {
	rels, err := x.relationships(ctx, ids)
	if err != nil {
		return nil, err
	}
	var added []Node
	for _, rel := range rels {
		other := rel.TargetRef
		if !b.nodes[rel.SourceRef] {
			other = rel.SourceRef
		}
		if !b.nodes[other] {
			if only != nil && !only[KindOf(typeOf(other))] {
				continue
			}
			o, err := x.object(ctx, other)
			if err != nil {
				return nil, err
			}
			if o == nil {
				continue
			}
			n := x.nodeOf(o)
			if !b.node(n) {
				break
			}
			added = append(added, n)
		}
		b.edge(relEdge(rel))
	}
	return added, nil
}

// typeOf is the STIX type of an id ("malware--…" gives malware).
func typeOf(id string) string {
	t, _, _ := strings.Cut(id, "--")
	return t
}

// neighbour is one neighbour of a node, before its object is read.
type neighbour struct {
	id   string
	edge Edge
	node *Node // set for names
}

// Expand returns the node with id and its neighbours from offset on, at
// most Options.Limit of them, with Total their number and Next the offset
// of the next page (0 when none). The neighbours of an object are the
// objects related to it (techniques only with Options.Techniques); of
// an actor object also its names and possibly-same-as links and the
// members of its cluster; of a name ("name:…") the actor objects that
// carry it, in any cluster (an ambiguous name shows its candidates). It
// returns a not-found error for an id the reader does not show.
func (x *Explorer) Expand(ctx context.Context, id string, offset int) (*Graph, error) {
	if offset < 0 {
		return nil, errs.E(errs.Invalid, "negative offset %d", offset)
	}
	var self Node
	var ns []neighbour
	if name, ok := strings.CutPrefix(id, "name:"); ok {
		ms, err := x.r.LookupName(ctx, name)
		if err != nil {
			return nil, err
		}
		self = Node{ID: id, Kind: KindName, Label: name}
		for _, m := range ms {
			if kb.IsActor(m.Type) && m.Kind != kb.KindID && m.Kind != kb.KindExternalID {
				self.Label = m.Matched
				ns = append(ns, neighbour{id: m.ID, edge: Edge{From: m.ID, To: id, Type: EdgeAlias, Reason: string(m.Kind)}})
			}
		}
		if len(ns) == 0 {
			return nil, errs.E(errs.NotFound, "no actor has the name %q", name)
		}
	} else {
		o, err := x.object(ctx, id)
		if err != nil {
			return nil, err
		}
		if o == nil {
			return nil, errs.E(errs.NotFound, "no object %s", id)
		}
		self = x.nodeOf(o)
		if kb.IsActor(o.Type) {
			for _, n := range kb.NamesOf(o) {
				if n.Kind != kb.KindExternalID {
					node := Node{ID: "name:" + n.Norm, Kind: KindName, Label: n.Name}
					ns = append(ns, neighbour{id: node.ID, node: &node, edge: Edge{From: id, To: node.ID, Type: EdgeAlias, Reason: string(n.Kind)}})
				}
			}
			if x.cs != nil {
				if cl := x.cs.Of(id); cl != nil {
					for i, m := range cl.Members {
						if m.ID != id {
							l := cl.Joined[i]
							if l.A == "" {
								l = kb.SameAs{A: min(id, m.ID), B: max(id, m.ID)}
							}
							ns = append(ns, neighbour{id: m.ID, edge: Edge{From: l.A, To: l.B, Type: EdgeSameAs, Confidence: l.Confidence, Reason: l.Reason}})
						}
					}
				}
				for _, u := range x.cs.Unfolded(id) {
					ns = append(ns, neighbour{id: u.Other(id), edge: Edge{From: u.A, To: u.B, Type: EdgePossibly, Confidence: u.Confidence, Reason: u.Reason + ": " + u.Why}})
				}
			}
		}
		rels, err := x.relationships(ctx, []string{id})
		if err != nil {
			return nil, err
		}
		for _, rel := range rels {
			other := rel.TargetRef
			if other == id {
				other = rel.SourceRef
			}
			ns = append(ns, neighbour{id: other, edge: relEdge(rel)})
		}
	}
	// One entry per neighbour, in a stable order: names, then by edge
	// type and id.
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].edge.Type != ns[j].edge.Type {
			return ns[i].edge.Type < ns[j].edge.Type
		}
		return ns[i].id < ns[j].id
	})
	b := newBuilder(id, MaxLimit+1)
	b.node(self)
	g := b.g
	g.Total = len(ns)
	end := min(offset+x.opt.Limit, len(ns))
	if offset < end {
		for _, nb := range ns[offset:end] {
			if nb.node != nil {
				b.node(*nb.node)
			} else if !b.nodes[nb.id] {
				o, err := x.object(ctx, nb.id)
				if err != nil {
					return nil, err
				}
				if o == nil {
					continue
				}
				b.node(x.nodeOf(o))
			}
			b.edge(nb.edge)
		}
	}
	if end < len(ns) {
		g.Next = end
	}
	return b.done(), nil
}
