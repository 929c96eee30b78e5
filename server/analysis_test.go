package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/graph"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

var updateAnalysis = flag.Bool("update-analysis", false, "rewrite the golden files of the analysis endpoints (testdata/analysis)")

// Enterprise ATT&CK techniques for the fixture, which has none: Phishing
// again with its tactic, and a technique Open Bear uses visibly (GREEN).
var analysisObjects = []string{
	`{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--0000001e-0000-4000-8000-00000000001e","created":"2024-01-01T00:00:00.000Z","modified":"2024-02-01T00:00:00.000Z","name":"Phishing","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"initial-access"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1566"}]}`,
	`{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--0000001f-0000-4000-8000-00000000001f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Command and Scripting Interpreter","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1059"}]}`,
	`{"type":"relationship","spec_version":"2.1","id":"relationship--0000003a-0000-4000-8000-00000000003a","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":"intrusion-set--0000000a-0000-4000-8000-00000000000a","target_ref":"attack-pattern--0000001f-0000-4000-8000-00000000001f"}`,
}

// analysisCase is evidence of the hidden actors' malware and technique,
// and of a technique Open Bear is visibly known for.
var analysisCase = []byte("name: leak test\nsoftware:\n  - name: SecretLoader\ntechniques:\n  - id: T1566\n  - id: T1059\n")

// analysisFixture is the server fixture with the techniques above, a RED
// analyst, and a clock that ticks one second per reading, so that
// answers are the same at every run.
func analysisFixture(t testing.TB) *fixture {
	t.Helper()
	var tick atomic.Int64
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := newFixture(t, Config{Now: func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) }})
	ctx := context.Background()
	var objs []*stix.Object
	for _, s := range analysisObjects {
		o, err := stix.ParseObject([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	if _, err := f.store.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "techniques.json"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	tok, rec, err := f.tokens.Create(ctx, "analyst-red", token.Analyst, access.Red)
	if err != nil {
		t.Fatal(err)
	}
	f.tok["analyst-red"], f.ids["analyst-red"] = tok, rec.ID
	return f
}

// achOf reads a case's matrix as key.
func (f *fixture) achOf(key, id string) achAnswer {
	f.t.Helper()
	code, b := f.get(key, "/api/cases/"+id+"/ach")
	if code != 200 {
		f.t.Fatalf("GET ach of %s as %s: %d %s", id, key, code, b)
	}
	var a achAnswer
	decodeJSON(f.t, b, &a)
	return a
}

// goldenAnalysis compares got, with the case id replaced, with
// testdata/analysis/name.
func goldenAnalysis(t *testing.T, name, caseID string, got []byte) {
	t.Helper()
	got = bytes.ReplaceAll(got, []byte(caseID), []byte("CASE-ID"))
	if strings.HasSuffix(name, ".json") {
		// Indented, so that a change reads as a diff.
		var buf bytes.Buffer
		if err := json.Indent(&buf, got, "", "  "); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got = buf.Bytes()
	}
	path := filepath.Join("testdata", "analysis", name)
	if *updateAnalysis {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./server -run %s -update-analysis)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (go test ./server -run %s -update-analysis rewrites it):\n%s", name, path, t.Name(), got)
	}
}

func TestCaseACH(t *testing.T) {
	f := analysisFixture(t)
	ctx := context.Background()
	id := f.newCase("analyst-green", "?tlp=green&name=Phish", analysisCase)

	code, b := f.get("reader-green", "/api/cases/"+id+"/ach")
	if code != 404 || !strings.Contains(string(b), "no attribution yet") {
		t.Errorf("matrix before any attribution: %d %s, want 404 saying so", code, b)
	}
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/attribute", "", nil); code != 200 {
		t.Fatalf("attribute: %d %s", code, b)
	}

	code, hdr, b := f.do("GET", "reader-green", "/api/cases/"+id+"/ach", "", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("GET ach: %d %s %s", code, hdr.Get("Content-Type"), b)
	}
	goldenAnalysis(t, "ach.json", id, b)
	var a achAnswer
	decodeJSON(t, b, &a)
	if a.CaseID != id || a.ResultTLP != "TLP:GREEN" || a.Matrix == nil || a.Case != "Phish" {
		t.Fatalf("answer = %+v, want case %s's matrix of a GREEN result", a, id)
	}
	// Columns: Open Bear (the one actor GREEN knows), then the unknown
	// actor; a row per item, a cell per column, most diagnostic first.
	if n := len(a.Columns); n != 2 || a.Columns[0].ID != openBear || a.Columns[1].ID != "unknown" {
		t.Errorf("columns = %+v, want Open Bear and the unknown actor", a.Columns)
	}
	keys := map[string]bool{}
	for i, r := range a.Rows {
		keys[r.Key] = true
		if len(r.Cells) != len(a.Columns) {
			t.Errorf("row %q has %d cells for %d columns", r.Key, len(r.Cells), len(a.Columns))
		}
		if i > 0 && r.Diagnosticity > a.Rows[i-1].Diagnosticity {
			t.Errorf("row %q (%v) after %q (%v): want the most diagnostic first", r.Key, r.Diagnosticity, a.Rows[i-1].Key, a.Rows[i-1].Diagnosticity)
		}
	}
	for _, k := range []string{"software: SecretLoader", "technique: T1566", "technique: T1059"} {
		if !keys[k] {
			t.Errorf("no row %q in %v", k, keys)
		}
	}
	// As GREEN knows it, Open Bear uses T1059 and was never seen with
	// SecretLoader: the first is more consistent with it.
	llr := map[string]float64{}
	for _, r := range a.Rows {
		llr[r.Key] = r.Cells[0].LLR
	}
	if llr["technique: T1059"] <= llr["software: SecretLoader"] {
		t.Errorf("Open Bear's ratios: %v, want T1059 above SecretLoader", llr)
	}
	if len(a.Ranking) != 2 || a.Ranking[0].Probability < a.Ranking[1].Probability {
		t.Errorf("ranking = %+v, want two hypotheses, most probable first", a.Ranking)
	}
	if a.Overrides == nil || len(a.Overrides) != 0 {
		t.Errorf("overrides = %#v, want an empty list", a.Overrides)
	}

	// In the case's order: the rows of the file, in order.
	_, b = f.get("reader-green", "/api/cases/"+id+"/ach?order=case")
	var byCase achAnswer
	decodeJSON(t, b, &byCase)
	var order []string
	for _, r := range byCase.Rows {
		order = append(order, r.Key)
	}
	if strings.Join(order, "|") != "technique: T1566|technique: T1059|software: SecretLoader" &&
		strings.Join(order, "|") != "software: SecretLoader|technique: T1566|technique: T1059" {
		t.Errorf("rows in the case's order: %v", order)
	}

	// CSV: ach's own export of the matrix of the case's latest result.
	code, hdr, csv := f.do("GET", "reader-green", "/api/cases/"+id+"/ach?format=csv", "", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(hdr.Get("Content-Disposition"), id+"-ach.csv") {
		t.Fatalf("CSV: %d %v %s", code, hdr, csv)
	}
	stored, err := f.store.Case(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	m, err := investigation.LatestMatrix(stored)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := m.WriteCSV(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(csv, want.Bytes()) {
		t.Errorf("CSV answer:\n%s\nwant ach's export:\n%s", csv, want.Bytes())
	}
	goldenAnalysis(t, "ach.csv", id, csv)
	if code, _, md := f.do("GET", "reader-green", "/api/cases/"+id+"/ach?format=markdown", "", nil); code != 200 || !strings.Contains(string(md), "### Competing hypotheses") {
		t.Errorf("Markdown: %d %s", code, md)
	}

	for _, q := range []string{"?format=xml", "?order=name"} {
		code, hdr, b := f.do("GET", "reader-green", "/api/cases/"+id+"/ach"+q, "", nil)
		if code != 400 || hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("ach%s: %d %s, want a 400 problem", q, code, b)
		}
	}
	if code, b := f.get("reader-green", "/api/cases/case-00000000ffff/ach"); code != 404 {
		t.Errorf("matrix of an absent case: %d %s", code, b)
	}
}

func TestCaseOverride(t *testing.T) {
	f := analysisFixture(t)
	id := f.newCase("analyst-green", "?tlp=green", analysisCase)
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/attribute", "", nil); code != 200 {
		t.Fatalf("attribute: %d %s", code, b)
	}
	before := f.achOf("reader-green", id)
	post := func(key, body string) (int, http.Header, []byte) {
		t.Helper()
		return f.do("POST", key, "/api/cases/"+id+"/ach/overrides", "application/json", []byte(body))
	}

	bad := []struct {
		name, body, detail string
	}{
		{"bad rating", `{"item":"software: SecretLoader","hypothesis":"` + openBear + `","rating":"maybe","reason":"r"}`, `invalid rating "maybe"`},
		{"unknown row", `{"item":"software: NoSuchTool","hypothesis":"` + openBear + `","rating":"CC","reason":"r"}`, `has no evidence item "software: NoSuchTool"`},
		{"unknown actor", `{"item":"software: SecretLoader","hypothesis":"` + absentLike(openBear) + `","rating":"CC","reason":"r"}`, "no actor"},
		{"no reason", `{"item":"software: SecretLoader","hypothesis":"` + openBear + `","rating":"CC"}`, "needs a reason"},
		{"no item", `{"hypothesis":"` + openBear + `","rating":"CC","reason":"r"}`, "item is required"},
		{"no hypothesis", `{"item":"software: SecretLoader","rating":"CC","reason":"r"}`, "hypothesis is required"},
		{"unknown field", `{"item":"software: SecretLoader","hypothesis":"` + openBear + `","rating":"CC","reason":"r","row":1}`, "unknown field"},
		{"not JSON", `item=x`, "override body"},
		{"negative version", `{"item":"software: SecretLoader","hypothesis":"` + openBear + `","rating":"CC","reason":"r","version":-1}`, "version -1"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			code, hdr, b := post("analyst-green", c.body)
			var p problem
			decodeJSON(t, b, &p)
			if code != 400 || hdr.Get("Content-Type") != "application/problem+json" || p.Status != 400 || !strings.Contains(p.Detail, c.detail) {
				t.Errorf("%d %s %s, want a 400 problem naming %q", code, hdr.Get("Content-Type"), b, c.detail)
			}
		})
	}
	if code, _, b := post("reader-red", `{"item":"software: SecretLoader","hypothesis":"`+openBear+`","rating":"CC","reason":"r"}`); code != 403 {
		t.Errorf("override by a reader: %d %s, want 403", code, b)
	}
	if got := f.achOf("reader-green", id); len(got.Overrides) != 0 || got.Version != before.Version {
		t.Fatalf("refused overrides changed the case: version %d -> %d, overrides %+v", before.Version, got.Version, got.Overrides)
	}

	// Open Bear was never seen with SecretLoader (as GREEN knows it): an
	// analyst rates it very consistent with Open Bear.
	code, _, b := post("analyst-green", `{"item":"software: SecretLoader","hypothesis":"`+openBear+`","rating":"CC","reason":"the loader's build path names Open Bear's toolkit","version":`+strconv.Itoa(before.Version)+`}`)
	if code != 200 {
		t.Fatalf("override: %d %s", code, b)
	}
	goldenAnalysis(t, "override.json", id, b)
	var got overrideAnswer
	decodeJSON(t, b, &got)
	o := got.Override
	if o.Analyst != "analyst-green" || o.Rating != string(ach.VeryConsistent) || o.Hypothesis != openBear || o.At.IsZero() || o.Reason == "" {
		t.Errorf("override kept = %+v, want analyst-green's very-consistent rating of Open Bear", o)
	}
	if len(got.Overrides) != 1 || got.Overrides[0] != o {
		t.Errorf("overrides listed = %+v, want the one kept", got.Overrides)
	}
	if !got.ResultAt.After(o.At) || got.Version <= before.Version {
		t.Errorf("result at %v (override at %v), version %d (was %d): want a new attribution after the override", got.ResultAt, o.At, got.Version, before.Version)
	}
	prob := func(cols []ach.Column, id string) float64 {
		for _, c := range cols {
			if c.ID == id {
				return c.Probability
			}
		}
		return -1
	}
	if p0, p1 := prob(got.Previous, openBear), prob(got.Ranking, openBear); p0 != prob(before.Ranking, openBear) || !(p1 > p0) {
		t.Errorf("Open Bear's probability %v -> %v (matrix before: %v): want the override to raise it, the previous ranking shown",
			p0, p1, prob(before.Ranking, openBear))
	}
	var cell *ach.Cell
	for _, r := range got.Rows {
		if r.Key == "software: SecretLoader" {
			cell = &r.Cells[0]
		}
	}
	if cell == nil || !cell.Overridden || cell.Rating != ach.VeryConsistent || cell.EngineRating == ach.VeryConsistent || !cell.Disputed || len(cell.Overrides) != 1 {
		t.Errorf("overridden cell = %+v, want very consistent, the engine's otherwise, disputed, its override listed", cell)
	}
	// The case keeps it: with the analyst, time and reason, in the
	// history, and the next matrix is the same.
	_, b = f.get("reader-green", "/api/cases/"+id)
	var cs kb.Case
	decodeJSON(t, b, &cs)
	if len(cs.Overrides) != 1 || cs.Overrides[0] != o || cs.History[len(cs.History)-2].Action != "override" {
		t.Errorf("case after the override: overrides %+v, history %+v", cs.Overrides, cs.History)
	}
	if again := f.achOf("reader-green", id); again.Version != got.Version || !again.ResultAt.Equal(got.ResultAt) {
		t.Errorf("GET after the override: version %d at %v, want %d at %v", again.Version, again.ResultAt, got.Version, got.ResultAt)
	}

	// The version read is now stale.
	if code, _, b := post("analyst-green", `{"item":"technique: T1566","hypothesis":"unknown","rating":"N","reason":"r","version":`+strconv.Itoa(before.Version)+`}`); code != 409 {
		t.Errorf("override of a stale version: %d %s, want 409", code, b)
	}
}

var (
	techniqueID = regexp.MustCompile(`"techniqueID": "(T[0-9.]+)"`)
)

// layerOf reads a layer as key, validates it against the layer schema
// and returns it with its ATT&CK ids.
func (f *fixture) layerOf(key, path string) (navigator.Layer, map[string]bool) {
	f.t.Helper()
	code, hdr, b := f.do("GET", key, path, "", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/json" || !strings.Contains(hdr.Get("Content-Disposition"), "-layer.json") {
		f.t.Fatalf("GET %s as %s: %d %v %s", path, key, code, hdr, b)
	}
	if err := navigator.Validate(b); err != nil {
		f.t.Errorf("%s: %v\n%s", path, err, b)
	}
	var l navigator.Layer
	decodeJSON(f.t, b, &l)
	if l.Domain != navigator.Domain || l.Versions.Layer != navigator.LayerVersion {
		f.t.Errorf("%s: domain %q, layer version %q", path, l.Domain, l.Versions.Layer)
	}
	ids := map[string]bool{}
	for _, m := range techniqueID.FindAllSubmatch(b, -1) {
		ids[string(m[1])] = true
	}
	return l, ids
}

func layerMeta(l navigator.Layer, name string) []string {
	var out []string
	for _, m := range l.Metadata {
		if m.Name == name {
			out = append(out, m.Value)
		}
	}
	return out
}

func TestNavigatorLayers(t *testing.T) {
	f := analysisFixture(t)
	id := f.newCase("analyst-green", "?tlp=green&name=Phish", append(analysisCase, "  - id: T9999\n"...))
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/attribute", "", nil); code != 200 {
		t.Fatalf("attribute: %d %s", code, b)
	}
	l, ids := f.layerOf("reader-green", "/api/cases/"+id+"/navigator")
	if !ids["T1566"] || !ids["T1059"] || ids["T9999"] {
		t.Errorf("case layer techniques = %v, want T1566 and T1059 (T9999 is no technique)", ids)
	}
	if tlp, cid, warns := layerMeta(l, "TLP"), layerMeta(l, "case id"), layerMeta(l, "warning"); len(tlp) != 1 || tlp[0] != "TLP:GREEN" || len(cid) != 1 || cid[0] != id || len(warns) != 1 || !strings.Contains(warns[0], "T9999") {
		t.Errorf("case layer metadata = %+v, want its TLP, case id and a warning about T9999", l.Metadata)
	}

	// Open Bear uses T1059 (GREEN) and T1566 through an AMBER
	// relationship: GREEN's layer has only the first.
	_, green := f.layerOf("reader-green", "/api/actors/"+openBear+"/navigator")
	_, red := f.layerOf("reader-red", "/api/actors/"+openBear+"/navigator")
	if !green["T1059"] || green["T1566"] || !red["T1059"] || !red["T1566"] {
		t.Errorf("Open Bear's layer: GREEN %v, RED %v; want T1059 for both, T1566 for RED only", green, red)
	}
	for _, p := range []string{"/api/actors/" + absentLike(openBear) + "/navigator", "/api/actors/" + secretMal + "/navigator", "/api/cases/case-00000000ffff/navigator"} {
		if code, b := f.get("reader-red", p); code != 404 {
			t.Errorf("GET %s: %d %s, want 404", p, code, b)
		}
	}
}

// graphOf reads a graph as key.
func (f *fixture) graphOf(key, path string) graph.Graph {
	f.t.Helper()
	code, b := f.get(key, path)
	if code != 200 {
		f.t.Fatalf("GET %s as %s: %d %s", path, key, code, b)
	}
	var g graph.Graph
	decodeJSON(f.t, b, &g)
	return g
}

func graphLabels(g graph.Graph) map[string]bool {
	out := map[string]bool{}
	for _, n := range g.Nodes {
		out[n.Label] = true
	}
	return out
}

func TestActorGraph(t *testing.T) {
	f := analysisFixture(t)
	base := "/api/actors/" + openBear + "/graph"
	g := f.graphOf("reader-green", base)
	if got := graphLabels(g); g.Root != openBear || !got["Open Bear"] || !got["Grizzly"] || !got["PublicRAT"] || got["SecretLoader"] || got["Command and Scripting Interpreter"] || g.Truncated {
		t.Errorf("GREEN graph of Open Bear = %v, want Open Bear, its name Grizzly, PublicRAT, no technique", got)
	}
	if got := graphLabels(f.graphOf("reader-green", base+"?techniques=true")); !got["Command and Scripting Interpreter"] || got["Phishing"] {
		t.Errorf("GREEN graph with techniques = %v, want T1059 (GREEN), not Phishing (AMBER relationship)", got)
	}
	if got := graphLabels(f.graphOf("reader-red", base+"?techniques=true")); !got["Phishing"] || !got["SecretLoader"] || !got["Red Panda"] {
		t.Errorf("RED graph with techniques = %v, want Phishing, SecretLoader and Red Panda", got)
	}
	if small := f.graphOf("reader-green", base+"?limit=2"); len(small.Nodes) != 2 || !small.Truncated {
		t.Errorf("graph with limit=2: %d nodes, truncated %v; want 2, truncated", len(small.Nodes), small.Truncated)
	}

	// Expansion a page at a time.
	name := "name:" + kb.Normalize("Grizzly")
	if e := f.graphOf("reader-green", base+"?expand="+url.QueryEscape(name)); e.Root != name || e.Total != 1 || len(e.Nodes) != 2 {
		t.Errorf("GREEN expansion of Grizzly = %+v, want Open Bear alone", e)
	}
	if e := f.graphOf("reader-red", base+"?expand="+url.QueryEscape(name)); e.Total != 2 || !graphLabels(e)["Red Panda"] {
		t.Errorf("RED expansion of Grizzly = %+v, want Open Bear and Red Panda", e)
	}
	all := f.graphOf("reader-red", base+"?expand="+openBear)
	first := f.graphOf("reader-red", base+"?expand="+openBear+"&limit=1")
	second := f.graphOf("reader-red", base+"?expand="+openBear+"&limit=1&offset=1")
	if all.Total < 2 || first.Total != all.Total || first.Next != 1 || len(first.Nodes) != 2 || len(second.Nodes) != 2 || first.Nodes[1].ID == second.Nodes[1].ID {
		t.Errorf("pages of Open Bear's neighbours: all %d, first %+v, second %+v", all.Total, first, second)
	}

	for _, q := range []string{"?limit=0", "?limit=5001", "?limit=x", "?offset=1", "?expand=" + openBear + "&offset=-1", "?techniques=yes"} {
		code, hdr, b := f.do("GET", "reader-green", base+q, "", nil)
		if code != 400 || hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("graph%s: %d %s, want a 400 problem", q, code, b)
		}
	}
	for _, p := range []string{"/api/actors/" + absentLike(openBear) + "/graph", "/api/actors/" + secretMal + "/graph", base + "?expand=" + absentLike(secretMal)} {
		if code, b := f.get("reader-green", p); code != 404 {
			t.Errorf("GET %s: %d %s, want 404", p, code, b)
		}
	}
}

// TestAnalysisGreenSeesNothingAbove checks the analysis endpoints as
// TestGreenSeesNothingAbove checks the others: a TLP:GREEN token reads no
// TLP:AMBER or TLP:RED name or id through them, a hidden object or case
// answers as an absent one, and a TLP:RED token does see what GREEN may
// not (so that the test can fail).
func TestAnalysisGreenSeesNothingAbove(t *testing.T) {
	f := analysisFixture(t)
	ctx := context.Background()
	sn := f.srv.snap.Load()
	redKnow, err := f.srv.knowledge(ctx, sn, access.Red)
	if err != nil {
		t.Fatal(err)
	}
	svc := f.srv.service()

	// A GREEN case attributed through the server (GREEN knowledge), then,
	// as the command line does, with the RED knowledge and an override
	// naming Red Panda: the second result and the override are RED.
	green := f.newCase("analyst-green", "?tlp=green", analysisCase)
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+green+"/attribute", "", nil); code != 200 {
		t.Fatalf("attribute: %d %s", code, b)
	}
	if _, err := svc.Override(ctx, green, redKnow, investigation.Override{Item: "software: SecretLoader", Hypothesis: redPanda,
		Rating: "CC", Analyst: "cli", Reason: "Crimson Panda's loader"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Attribute(ctx, green, redKnow, assess.Options{Top: 5}, "cli"); err != nil {
		t.Fatal(err)
	}
	// An AMBER case, attributed with the AMBER knowledge.
	amber := f.newCase("analyst-red", "?tlp=amber", analysisCase)
	if code, _, b := f.do("POST", "analyst-red", "/api/cases/"+amber+"/attribute", "", nil); code != 200 {
		t.Fatalf("attribute: %d %s", code, b)
	}

	actor := "/api/actors/" + openBear
	paths := []struct {
		name, path string
		redSees    string
	}{
		{"matrix of a GREEN case with a RED result", "/api/cases/" + green + "/ach", "Red Panda"},
		{"matrix CSV", "/api/cases/" + green + "/ach?format=csv", "Red Panda"},
		{"matrix Markdown", "/api/cases/" + green + "/ach?format=markdown", "Crimson Panda"},
		{"case layer", "/api/cases/" + green + "/navigator", "TLP:GREEN"},
		{"actor layer", actor + "/navigator", "T1566"},
		{"hidden actor layer", "/api/actors/" + redPanda + "/navigator", "Red Panda"},
		{"actor graph", actor + "/graph", "Red Panda"},
		{"actor graph with techniques", actor + "/graph?techniques=true", amberRel2},
		{"hidden actor graph", "/api/actors/" + redPanda + "/graph", "Red Panda"},
		{"expansion of a shared name", actor + "/graph?expand=" + url.QueryEscape("name:"+kb.Normalize("Grizzly")), "Red Panda"},
		{"expansion of the actor", actor + "/graph?expand=" + openBear, secretRel},
		{"expansion of visible malware a hidden actor uses", actor + "/graph?expand=" + secretMal, "Red Panda"},
		{"expansion of a hidden actor", actor + "/graph?expand=" + redPanda, "Red Panda"},
		{"expansion of a hidden actor's name", actor + "/graph?expand=" + url.QueryEscape("name:"+kb.Normalize("Crimson Panda")), "Red Panda"},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			code, green := f.get("reader-green", p.path)
			if id := hiddenIDIn(p.path); id != "" {
				absent := absentLike(id)
				code2, other := f.get("reader-green", strings.Replace(p.path, id, absent, 1))
				if a, b := normalize(green, id), normalize(other, absent); code != code2 || a != b {
					t.Errorf("hidden %s: %d %s\nabsent %s: %d %s\nwant the same answer", id, code, a, absent, code2, b)
				}
			} else {
				assertHidden(t, p.path, green)
			}
			code, red := f.get("reader-red", p.path)
			if code != 200 || !strings.Contains(string(red), p.redSees) {
				t.Errorf("TLP:RED token: %s: %d, want 200 with %q:\n%s", p.path, code, p.redSees, red)
			}
		})
	}

	t.Run("hidden name", func(t *testing.T) {
		// A name only a hidden actor has answers as a name nobody has.
		p := actor + "/graph?expand="
		code, hid := f.get("reader-green", p+url.QueryEscape("name:"+kb.Normalize("Crimson Panda")))
		code2, none := f.get("reader-green", p+url.QueryEscape("name:"+kb.Normalize("Blue Whale")))
		if a, b := normalize(hid, kb.Normalize("Crimson Panda")), normalize(none, kb.Normalize("Blue Whale")); code != 404 || code != code2 || a != b {
			t.Errorf("hidden name: %d %s\nabsent name: %d %s\nwant the same 404", code, a, code2, b)
		}
	})

	t.Run("case layer at the case's level", func(t *testing.T) {
		// The RED token reads the GREEN case's layer with the GREEN
		// knowledge: the RED result is not used.
		_, red := f.get("reader-red", "/api/cases/"+green+"/navigator")
		assertHidden(t, "RED token's layer of a GREEN case", red)
	})

	t.Run("override naming a hidden actor", func(t *testing.T) {
		body := func(hyp string) []byte {
			return []byte(`{"item":"software: SecretLoader","hypothesis":"` + hyp + `","rating":"CC","reason":"r"}`)
		}
		path := "/api/cases/" + green + "/ach/overrides"
		code, _, hid := f.do("POST", "analyst-green", path, "application/json", body(redPanda))
		code2, _, none := f.do("POST", "analyst-green", path, "application/json", body(absentLike(redPanda)))
		if a, b := normalize(hid, redPanda), normalize(none, absentLike(redPanda)); code != 400 || code != code2 || a != b {
			t.Errorf("override for a hidden actor: %d %s\nfor an absent one: %d %s\nwant the same 400", code, a, code2, b)
		}
		// Above the case's level, even for the RED analyst.
		if code, _, b := f.do("POST", "analyst-red", path, "application/json", body(amberKitten)); code != 400 {
			t.Errorf("RED analyst's override of a GREEN case for Amber Kitten: %d %s, want 400", code, b)
		}
		// An override the GREEN analyst may make answers nothing hidden,
		// though the case holds the RED one.
		code, _, b := f.do("POST", "analyst-green", path, "application/json", body(openBear))
		if code != 200 {
			t.Fatalf("override: %d %s", code, b)
		}
		assertHidden(t, "override answer", b)
	})

	t.Run("AMBER case", func(t *testing.T) {
		absent := "case-00000000ffff"
		for _, p := range []struct{ method, key, path, body, redKey string }{
			{"GET", "reader-green", "/api/cases/ID/ach", "", "reader-red"},
			{"GET", "reader-green", "/api/cases/ID/ach?format=csv", "", "reader-red"},
			{"GET", "reader-green", "/api/cases/ID/navigator", "", "reader-red"},
			{"POST", "analyst-green", "/api/cases/ID/ach/overrides", `{"item":"technique: T1566","hypothesis":"unknown","rating":"I","reason":"r"}`, "analyst-red"},
		} {
			code, _, hid := f.do(p.method, p.key, strings.Replace(p.path, "ID", amber, 1), "application/json", []byte(p.body))
			code2, _, none := f.do(p.method, p.key, strings.Replace(p.path, "ID", absent, 1), "application/json", []byte(p.body))
			if a, b := normalize(hid, amber), normalize(none, absent); code != 404 || code != code2 || a != b {
				t.Errorf("%s %s: hidden case: %d %s\nabsent case: %d %s\nwant the same 404", p.method, p.path, code, a, code2, b)
			}
			code, _, b := f.do(p.method, p.redKey, strings.Replace(p.path, "ID", amber, 1), "application/json", []byte(p.body))
			if code != 200 || p.method == "GET" && !strings.Contains(string(b), "Amber Kitten") && !strings.Contains(string(b), "TLP:AMBER") {
				t.Errorf("RED token: %s %s: %d %s, want 200 with the AMBER knowledge", p.method, p.path, code, b)
			}
		}
	})
}

// FuzzAnalysisRequests sends arbitrary override bodies and matrix and
// graph parameters: every answer is a 2xx or a 4xx, never a 5xx
// (fixture.do fails the test on one) or a crash.
func FuzzAnalysisRequests(f *testing.F) {
	fx := analysisFixture(f)
	http.DefaultClient.Timeout = 10 * time.Second
	f.Cleanup(func() { http.DefaultClient.Timeout = 0 })
	id := fx.newCase("analyst-red", "?tlp=red", analysisCase)
	if code, _, b := fx.do("POST", "analyst-red", "/api/cases/"+id+"/attribute", "", nil); code != 200 {
		f.Fatalf("attribute: %d %s", code, b)
	}
	f.Add(0, "", []byte(`{"item":"software: SecretLoader","hypothesis":"`+openBear+`","rating":"CC","reason":"r"}`))
	f.Add(0, "", []byte(`{"item":"technique: T1566","hypothesis":"unknown","rating":"very inconsistent","reason":"r","version":99}`))
	f.Add(1, "format=csv&order=case", []byte(nil))
	f.Add(2, "expand=name:grizzly&limit=3&offset=1&techniques=true", []byte(nil))
	f.Add(2, "expand="+openBear+"&offset=999999", []byte(nil))
	f.Add(3, "", []byte(nil))
	f.Fuzz(func(t *testing.T, route int, query string, body []byte) {
		if len(query) > 200 || len(body) > 64<<10 {
			return
		}
		fx.t = t
		method, path := "GET", ""
		switch (route%4 + 4) % 4 {
		case 0:
			// A case of its own: each override attributes the case again,
			// which grows it.
			own := fx.newCase("analyst-red", "?tlp=red", analysisCase)
			method, path = "POST", "/api/cases/"+own+"/ach/overrides"
		case 1:
			path = "/api/cases/" + id + "/ach"
		case 2:
			path = "/api/actors/" + openBear + "/graph"
		case 3:
			path = "/api/cases/" + id + "/navigator"
		}
		code, _, b := fx.do(method, "analyst-red", path+"?"+url.PathEscape(query), "application/json", body)
		if code >= 500 {
			t.Errorf("%s %s?%s: %d %s", method, path, query, code, b)
		}
	})
}

// BenchmarkAnalysisATTACK measures the analysis endpoints through HTTP on
// ATT&CK Enterprise 18.1, each request computed (no answer cache): the
// graph and layer of a different actor each time, a case's matrix, its
// layer, and an override (which attributes the case twice: once to check
// the row, once with the override).
func BenchmarkAnalysisATTACK(b *testing.B) {
	attack := refdata.Path(b, "attack", "enterprise-attack-18.1.json.gz")
	f := newFixture(b, Config{})
	ctx := context.Background()
	objs, err := stix.ReadFile(attack)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.store.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "attack"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := f.srv.Load(ctx); err != nil {
		b.Fatal(err)
	}
	tok, rec, err := f.tokens.Create(ctx, "analyst-red", token.Analyst, access.Red)
	if err != nil {
		b.Fatal(err)
	}
	f.tok["analyst-red"], f.ids["analyst-red"] = tok, rec.ID
	var groups []string
	for _, o := range objs {
		if o.Type == "intrusion-set" && !o.Revoked && !o.Deprecated {
			groups = append(groups, o.ID)
		}
	}
	sony, err := os.ReadFile("../examples/sony-2014/case.yaml")
	if err != nil {
		b.Fatal(err)
	}
	id := f.newCase("analyst-red", "?tlp=red", sony)
	if code, _, body := f.do("POST", "analyst-red", "/api/cases/"+id+"/attribute", "", nil); code != 200 {
		b.Fatalf("attribute: %d %s", code, body)
	}
	a := f.achOf("reader-red", id)
	get := func(b *testing.B, path string) {
		if code, body := f.get("reader-red", path); code != 200 {
			b.Fatalf("GET %s: %d %s", path, code, body)
		}
	}
	// A distinct limit makes each graph request a new answer.
	b.Run("actor graph", func(b *testing.B) {
		for i := range b.N {
			get(b, "/api/actors/"+groups[i%len(groups)]+"/graph?limit="+strconv.Itoa(4000+i%1000))
		}
	})
	b.Run("actor layer", func(b *testing.B) {
		if b.N > len(groups) {
			b.Skipf("%d requests: more than the %d groups, the layers would come from the cache", b.N, len(groups))
		}
		for i := range b.N {
			get(b, "/api/actors/"+groups[i]+"/navigator")
		}
	})
	b.Run("case matrix", func(b *testing.B) {
		for range b.N {
			get(b, "/api/cases/"+id+"/ach")
		}
	})
	b.Run("case layer", func(b *testing.B) {
		for range b.N {
			get(b, "/api/cases/"+id+"/navigator")
		}
	})
	b.Run("override", func(b *testing.B) {
		ratings := []string{"C", "I"}
		for i := range b.N {
			body := `{"item":"` + a.Rows[0].Key + `","hypothesis":"` + a.Columns[0].ID + `","rating":"` + ratings[i%2] + `","reason":"bench"}`
			if code, _, resp := f.do("POST", "analyst-red", "/api/cases/"+id+"/ach/overrides", "application/json", []byte(body)); code != 200 {
				b.Fatalf("override: %d %s", code, resp)
			}
		}
	})
}
