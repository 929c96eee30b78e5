package web

import (
	"net/http"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// graphNode and graphEdge are the relationship graph as the page's script
// reads it (static/graph.js).
type graphNode struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Type  string `json:"type"`
	TLP   string `json:"tlp"`
	URL   string `json:"url,omitempty"`
}

type graphEdge struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Type   string `json:"type"`
}

// maxExpand bounds the neighbours of one expansion.
const maxExpand = 5000

// graphJSON returns a node and its neighbours: for an actor its names
// (aliases) as well, so the graph grows one expansion at a time.
func (u *UI) graphJSON(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	o, err := q.know.Object(ctx, id)
	if err != nil {
		return err
	}
	node := graphNode{ID: o.ID, Label: displayName(o), Type: o.Type, TLP: q.know.Level(o).String(), URL: objectURL(searchTypes[o.Type], o.ID)}
	var nodes []graphNode
	var edges []graphEdge
	seen := map[string]bool{o.ID: true}
	truncated := false
	if o.Type == "intrusion-set" || o.Type == "threat-actor" {
		for _, a := range o.Aliases {
			if strings.EqualFold(a, o.Name) {
				continue
			}
			aid := "alias:" + o.ID + ":" + a
			nodes = append(nodes, graphNode{ID: aid, Label: a, Type: "alias", TLP: node.TLP})
			edges = append(edges, graphEdge{Source: o.ID, Target: aid, Type: "alias"})
		}
	}
	err = u.neighbours(ctx, q.know, o.ID, func(rel, other *stix.Object, out bool) bool {
		if len(nodes) >= maxExpand {
			truncated = true
			return false
		}
		if !seen[other.ID] {
			seen[other.ID] = true
			nodes = append(nodes, graphNode{ID: other.ID, Label: displayName(other), Type: other.Type,
				TLP: q.know.Level(other).String(), URL: objectURL(searchTypes[other.Type], other.ID)})
		}
		e := graphEdge{Source: o.ID, Target: other.ID, Type: rel.RelationshipType}
		if !out {
			e.Source, e.Target = other.ID, o.ID
		}
		edges = append(edges, e)
		return true
	})
	if err != nil {
		return err
	}
	if nodes == nil {
		nodes = []graphNode{}
	}
	if edges == nil {
		edges = []graphEdge{}
	}
	return writeJSON(w, map[string]any{"node": node, "nodes": nodes, "edges": edges, "truncated": truncated})
}
