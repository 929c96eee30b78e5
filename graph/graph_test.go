package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/graph"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"

// secret is a RED malware Lazarus Group uses, beside the starter
// knowledge: a GREEN caller must not see it, nor the relationship.
const secret = `{"type":"bundle","id":"bundle--6a1c7d2e-3f4b-4c5d-8e9f-0a1b2c3d4e5f","objects":[
{"type":"malware","spec_version":"2.1","id":"malware--11111111-2222-4333-8444-555555555555","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Secret Wiper","is_family":true,"object_marking_refs":["` + stix.TLPRed + `"]},
{"type":"relationship","spec_version":"2.1","id":"relationship--11111111-2222-4333-8444-666666666666","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":"` + lazarus + `","target_ref":"malware--11111111-2222-4333-8444-555555555555"}
]}`

func store(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, src := range []struct{ name, data string }{{"starter", string(examples.StarterKnowledge())}, {"secret", secret}} {
		objs, err := stix.ReadAll(strings.NewReader(src.data), src.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: src.name}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func view(t testing.TB, st *sqlite.Store, max access.Level) (*access.View, *kb.Clusters) {
	t.Helper()
	ctx := context.Background()
	ix, err := access.Build(ctx, st, access.Clear)
	if err != nil {
		t.Fatal(err)
	}
	v := ix.View(st, max)
	cs, err := kb.LoadClusters(ctx, v, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v, cs
}

func has(g *graph.Graph, id string) bool {
	for _, n := range g.Nodes {
		if n.ID == id {
			return true
		}
	}
	return false
}

func TestActorGolden(t *testing.T) {
	st := store(t)
	v, cs := view(t, st, access.Green)
	g, err := graph.New(v, cs, graph.Options{}).Actor(context.Background(), lazarus)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "lazarus.json")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("Lazarus Group's graph differs from %s:\n%s", path, b)
	}
	// What the graph must hold: the cluster, a name, the malware, the
	// campaign, an indicator of the malware; every edge between nodes.
	for _, id := range []string{lazarus, "threat-actor--c58d88e8-7b9d-572a-80e1-9cd06b576428", graph.NameNodeID("Guardians of Peace"),
		"malware--a5782767-d627-5c7f-82cf-1c48702fa595", "campaign--c8902f46-d8c8-5b7d-8914-e0fb65e058ea"} {
		if !has(g, id) {
			t.Errorf("no node %s", id)
		}
	}
	kinds := map[string]int{}
	for _, n := range g.Nodes {
		kinds[n.Kind]++
	}
	if kinds[graph.KindIndicator]+kinds[graph.KindObservable] == 0 {
		t.Errorf("no indicator around Lazarus Group: %v", kinds)
	}
	for _, e := range g.Edges {
		if !has(g, e.From) || !has(g, e.To) {
			t.Errorf("edge %+v to a node not in the graph", e)
		}
	}
}

// TestTLP: the RED malware is in the graph for a RED caller only, both in
// the actor's graph and in an expansion.
func TestTLP(t *testing.T) {
	st := store(t)
	ctx := context.Background()
	const wiper = "malware--11111111-2222-4333-8444-555555555555"
	for _, tc := range []struct {
		max  access.Level
		want bool
	}{{access.Green, false}, {access.Amber, false}, {access.Red, true}} {
		v, cs := view(t, st, tc.max)
		x := graph.New(v, cs, graph.Options{})
		g, err := x.Actor(ctx, lazarus)
		if err != nil {
			t.Fatal(err)
		}
		e, err := x.Expand(ctx, lazarus, 0)
		if err != nil {
			t.Fatal(err)
		}
		if has(g, wiper) != tc.want || has(e, wiper) != tc.want {
			t.Errorf("at %s: the RED malware in the graph %v, in the expansion %v; want %v", tc.max, has(g, wiper), has(e, wiper), tc.want)
		}
		_, err = x.Expand(ctx, wiper, 0)
		if tc.want == (err != nil) {
			t.Errorf("at %s: Expand(the RED malware) = %v", tc.max, err)
		}
		if err != nil && !errors.Is(err, errs.E(errs.NotFound, "")) {
			t.Errorf("at %s: Expand(the RED malware) = %v, want not found", tc.max, err)
		}
	}
}

// TestExpandPages: an expansion pages through a node's neighbours; the
// pages together are the whole, each once.
func TestExpandPages(t *testing.T) {
	st := store(t)
	v, cs := view(t, st, access.Red)
	ctx := context.Background()
	all, err := graph.New(v, cs, graph.Options{Limit: 1000}).Expand(ctx, lazarus, 0)
	if err != nil {
		t.Fatal(err)
	}
	if all.Next != 0 || all.Total < 10 || len(all.Edges) != all.Total {
		t.Fatalf("one page: total %d, %d edges, next %d", all.Total, len(all.Edges), all.Next)
	}
	x := graph.New(v, cs, graph.Options{Limit: 3})
	var edges []graph.Edge
	for off := 0; ; {
		g, err := x.Expand(ctx, lazarus, off)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Edges) > 3 || g.Total != all.Total {
			t.Fatalf("page at %d: %d edges, total %d", off, len(g.Edges), g.Total)
		}
		edges = append(edges, g.Edges...)
		if g.Next == 0 {
			break
		}
		off = g.Next
	}
	if len(edges) != all.Total {
		t.Errorf("pages hold %d edges, want %d", len(edges), all.Total)
	}
	// A name expands to the actors that carry it.
	n, err := x.Expand(ctx, graph.NameNodeID("Guardians of Peace"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !has(n, lazarus) && !has(n, "intrusion-set--8dee8277-0b40-56c5-830b-956577c682ba") {
		t.Errorf("Guardians of Peace expands to %+v", n.Nodes)
	}
	if _, err := x.Expand(ctx, "malware--00000000-0000-4000-8000-000000000000", 0); !errors.Is(err, errs.E(errs.NotFound, "")) {
		t.Errorf("Expand(unknown) = %v, want not found", err)
	}
	if _, err := x.Expand(ctx, lazarus, -1); !errors.Is(err, errs.E(errs.Invalid, "")) {
		t.Errorf("Expand(offset -1) = %v, want invalid", err)
	}
}
