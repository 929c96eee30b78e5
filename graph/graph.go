// Package graph is the relationship graph around an actor, for a user
// interface that draws it and grows it node by node: the actor's cluster
// (the objects folded into one hypothesis, joined by their same-as links),
// its names and aliases, the objects "possibly the same" below the fold
// threshold, the malware and tools it uses, its campaigns, the incidents
// (confirmed cases) attributed to it, the indicators and infrastructure
// around it; Expand returns one node's neighbours, a bounded page at a
// time, with their total count.
//
// Everything is read through a kb.Reader. The server passes its
// access.View, so that an object above the caller's TLP level is not a
// node, a relationship to one is not an edge, and a cluster member the
// caller may not see is left out: the graph never bypasses the filter.
// The clusters (kb.Clusters) must be those of the same reader.
package graph

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Node kinds.
const (
	KindActor          = "actor" // an intrusion-set or threat-actor object
	KindName           = "name"  // a name or alias of actor objects
	KindSoftware       = "software"
	KindCampaign       = "campaign"
	KindIncident       = "incident"
	KindIndicator      = "indicator"
	KindInfrastructure = "infrastructure"
	KindObservable     = "observable" // an address, domain, URL, file...
	KindTechnique      = "technique"
	KindOther          = "other"
)

// Edge types besides the relationship types of STIX relationships.
const (
	EdgeAlias    = "alias"            // an actor object to one of its names
	EdgeSameAs   = "same-as"          // a link that folded two objects into the cluster
	EdgePossibly = "possibly-same-as" // a same-as link that did not fold
)

// Node is one vertex of the graph.
type Node struct {
	// ID is the STIX id of the object, or "name:" and the normalised
	// name for a name.
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Type       string `json:"type,omitempty"` // the STIX type
	Label      string `json:"label"`
	ExternalID string `json:"external_id,omitempty"` // the ATT&CK id
	// Cluster is, for an actor object, the id of its cluster's primary
	// member: the hypothesis it is part of.
	Cluster  string `json:"cluster,omitempty"`
	Inactive bool   `json:"inactive,omitempty"` // revoked or deprecated
}

// Edge is one typed link: a STIX relationship from its source to its
// target, or an alias, same-as or possibly-same-as link.
type Edge struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Type       string `json:"type"`
	ID         string `json:"id,omitempty"` // the relationship's STIX id
	Confidence int    `json:"confidence,omitempty"`
	// Reason is a same-as link's reason; for a possibly-same-as link,
	// also why it did not fold.
	Reason string `json:"reason,omitempty"`
}

// Graph is a set of nodes and edges. For an expansion, Total counts the
// node's neighbours and Next is the offset of the next page (0 when this
// is the last); for an actor's graph, Truncated says MaxNodes was reached.
type Graph struct {
	Root      string `json:"root"`
	Nodes     []Node `json:"nodes"`
	Edges     []Edge `json:"edges"`
	Total     int    `json:"total"`
	Next      int    `json:"next,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Defaults of Options.
const (
	DefaultLimit    = 200
	DefaultMaxNodes = 5000
	MaxLimit        = 5000
)

// Options bound the graph.
type Options struct {
	Limit      int  // neighbours per expansion (0: DefaultLimit; at most MaxLimit)
	MaxNodes   int  // nodes of an actor's graph (0: DefaultMaxNodes)
	Techniques bool // techniques (attack-patterns) are nodes too; they are many, and an ATT&CK matrix shows them better
}

// Explorer builds graphs over one reader. It is cheap to make; make one
// per request or share one (it holds no mutable state).
type Explorer struct {
	r   kb.Reader
	cs  *kb.Clusters
	opt Options
}

// New returns an explorer of r, whose actors fold as cs says.
func New(r kb.Reader, cs *kb.Clusters, opt Options) *Explorer {
	if opt.Limit <= 0 {
		opt.Limit = DefaultLimit
	}
	opt.Limit = min(opt.Limit, MaxLimit)
	if opt.MaxNodes <= 0 {
		opt.MaxNodes = DefaultMaxNodes
	}
	return &Explorer{r: r, cs: cs, opt: opt}
}

// builder accumulates a graph without duplicates.
type builder struct {
	g     *Graph
	nodes map[string]bool
	edges map[string]bool
	max   int
}

func newBuilder(root string, max int) *builder {
	return &builder{g: &Graph{Root: root, Nodes: []Node{}, Edges: []Edge{}}, nodes: map[string]bool{}, edges: map[string]bool{}, max: max}
}

// node adds n, reporting false when the graph is full.
func (b *builder) node(n Node) bool {
	if b.nodes[n.ID] {
		return true
	}
	if len(b.nodes) >= b.max {
		b.g.Truncated = true
		return false
	}
	b.nodes[n.ID] = true
	b.g.Nodes = append(b.g.Nodes, n)
	return true
}

func (b *builder) edge(e Edge) {
	if !b.nodes[e.From] || !b.nodes[e.To] {
		return
	}
	k := e.From + "\x00" + e.To + "\x00" + e.Type + "\x00" + e.ID
	if b.edges[k] {
		return
	}
	b.edges[k] = true
	b.g.Edges = append(b.g.Edges, e)
}

func (b *builder) done() *Graph {
	sort.SliceStable(b.g.Nodes[min(1, len(b.g.Nodes)):], func(i, j int) bool {
		ns := b.g.Nodes[1:]
		if ns[i].Kind != ns[j].Kind {
			return kindRank(ns[i].Kind) < kindRank(ns[j].Kind)
		}
		if ns[i].Label != ns[j].Label {
			return ns[i].Label < ns[j].Label
		}
		return ns[i].ID < ns[j].ID
	})
	sort.Slice(b.g.Edges, func(i, j int) bool {
		a, c := b.g.Edges[i], b.g.Edges[j]
		if a.From != c.From {
			return a.From < c.From
		}
		if a.To != c.To {
			return a.To < c.To
		}
		if a.Type != c.Type {
			return a.Type < c.Type
		}
		return a.ID < c.ID
	})
	return b.g
}

func kindRank(k string) int {
	for i, x := range []string{KindActor, KindName, KindSoftware, KindCampaign, KindIncident, KindIndicator, KindInfrastructure, KindObservable, KindTechnique, KindOther} {
		if x == k {
			return i
		}
	}
	return 99
}

// KindOf is the node kind of a STIX type.
func KindOf(typ string) string {
	switch typ {
	case "intrusion-set", "threat-actor":
		return KindActor
	case "malware", "tool":
		return KindSoftware
	case "campaign":
		return KindCampaign
	case "incident":
		return KindIncident
	case "indicator":
		return KindIndicator
	case "infrastructure":
		return KindInfrastructure
	case "attack-pattern":
		return KindTechnique
	}
	if stix.KindOf(typ) == stix.KindSCO {
		return KindObservable
	}
	return KindOther
}

func (x *Explorer) nodeOf(o *stix.Object) Node {
	n := Node{ID: o.ID, Kind: KindOf(o.Type), Type: o.Type, Label: label(o), ExternalID: o.ExternalID("mitre-attack"),
		Inactive: o.Revoked || o.Deprecated}
	if n.Kind == KindActor && x.cs != nil {
		if cl := x.cs.Of(o.ID); cl != nil {
			n.Cluster = cl.ID
		}
	}
	return n
}

func label(o *stix.Object) string {
	switch {
	case o.Name != "":
		return o.Name
	case o.Value != "":
		return o.Value
	}
	for _, alg := range []string{"SHA-256", "SHA-1", "MD5"} {
		if h := o.Hashes[alg]; h != "" {
			return h
		}
	}
	return o.ID
}

// NameNodeID is the node id of a name.
func NameNodeID(name string) string { return "name:" + kb.Normalize(name) }

// object reads an object through the reader: hidden and missing objects
// are (nil, nil), so that the graph leaves them out.
func (x *Explorer) object(ctx context.Context, id string) (*stix.Object, error) {
	o, err := x.r.Object(ctx, id)
	if errors.Is(err, kb.ErrNotFound) || errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	return o, err
}

// relationships returns the relationships of which any of ids is the
// source or the target, each once, in a stable order; those to
// techniques only when Options.Techniques.
func (x *Explorer) relationships(ctx context.Context, ids []string) ([]*stix.Object, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []*stix.Object
	keep := func(rel *stix.Object) error {
		if seen[rel.ID] || rel.Type != "relationship" {
			return nil
		}
		if !x.opt.Techniques && (strings.HasPrefix(rel.SourceRef, "attack-pattern--") || strings.HasPrefix(rel.TargetRef, "attack-pattern--")) {
			return nil
		}
		seen[rel.ID] = true
		out = append(out, rel)
		return nil
	}
	if err := x.r.Relationships(ctx, kb.RelationshipQuery{SourceRefs: ids}, keep); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	if err := x.r.Relationships(ctx, kb.RelationshipQuery{TargetRefs: ids}, keep); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func relEdge(rel *stix.Object) Edge {
	e := Edge{From: rel.SourceRef, To: rel.TargetRef, Type: rel.RelationshipType, ID: rel.ID}
	if rel.Confidence != nil {
		e.Confidence = *rel.Confidence
	}
	return e
}
