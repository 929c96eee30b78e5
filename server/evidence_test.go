package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

func TestRemoveEvidence(t *testing.T) {
	f := caseFixture(t)
	id := f.newCase("analyst-green", "?tlp=green", leakCase)
	more := []byte("techniques:\n  - id: T1059\n")
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/evidence?name=more.yaml", "application/yaml", more); code != 200 {
		t.Fatalf("add evidence: %d %s", code, b)
	}
	var c kb.Case
	_, b := f.get("reader-green", "/api/cases/"+id)
	decodeJSON(t, b, &c)
	read := c.Version

	del := func(key, path string) (int, []byte) {
		code, _, b := f.do("DELETE", key, path, "", nil)
		return code, b
	}
	base := "/api/cases/" + id + "/evidence/"
	for _, tc := range []struct {
		name, key, path string
		want            int
	}{
		{"reader", "reader-red", base + "more.yaml", 403},
		{"absent evidence", "analyst-green", base + "none.yaml", 404},
		{"stale version", "analyst-green", base + "more.yaml?version=" + strconv.Itoa(read-1), 409},
		{"invalid version", "analyst-green", base + "more.yaml?version=x", 400},
		{"absent case", "analyst-green", "/api/cases/case-00000000ffff/evidence/more.yaml", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, b := del(tc.key, tc.path); code != tc.want {
				t.Errorf("DELETE %s as %s: %d %s, want %d", tc.path, tc.key, code, b, tc.want)
			}
		})
	}
	code, b := del("analyst-green", base+"more.yaml?version="+strconv.Itoa(read)+"&reason=duplicate")
	decodeJSON(t, b, &c)
	if code != 200 || len(c.Evidence) != 1 || c.Version != read+1 {
		t.Fatalf("remove: %d %s", code, b)
	}
	last := c.History[len(c.History)-1]
	if last.Action != "evidence removed" || last.By != "analyst-green" || !strings.HasPrefix(last.Detail, "more.yaml (sha256 ") || !strings.HasSuffix(last.Detail, "): duplicate") {
		t.Errorf("history line = %+v", last)
	}

	// A GREEN analyst cannot tell an AMBER case from an absent one.
	amber := f.newCase("analyst-red", "?name=Amber+op", leakCase)
	code, hidden := del("analyst-green", "/api/cases/"+amber+"/evidence/evidence.yaml")
	code2, none := del("analyst-green", "/api/cases/case-00000000ffff/evidence/evidence.yaml")
	if a, b := normalize(hidden, amber), normalize(none, "case-00000000ffff"); code != 404 || code2 != 404 || a != b {
		t.Errorf("hidden case: %d %s\nabsent case: %d %s\nwant the same 404", code, a, code2, b)
	}
	if code, b := del("analyst-red", "/api/cases/"+amber+"/evidence/evidence.yaml"); code != 200 {
		t.Errorf("RED analyst removing the AMBER case's evidence: %d %s", code, b)
	}
}

// TestConfirmedKnowledgeHasTheCaseLevel confirms a case made as the
// command line makes it (no level: RED) through investigation, as culprit
// case confirm does: the incident, its relationships and its indicators
// are RED, so a GREEN token sees none of them through any path, while a
// RED one does.
func TestConfirmedKnowledgeHasTheCaseLevel(t *testing.T) {
	f := caseFixture(t)
	ctx := context.Background()
	svc := &investigation.Service{Store: f.store}
	ev := []byte("name: Quiet Heist\nsoftware:\n  - name: SecretLoader\ntechniques:\n  - id: T1566\nindicators:\n  - {type: domain, value: quiet-heist.example}\n")
	cs, err := svc.New(ctx, "", investigation.Evidence{Name: "heist.yaml", Content: ev, By: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	know, err := f.srv.knowledge(ctx, f.srv.snap.Load(), access.Red)
	if err != nil {
		t.Fatal(err)
	}
	cs, err = svc.Confirm(ctx, cs.ID, know, investigation.Confirmation{Actor: "Open Bear", Analyst: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, oid := range cs.Confirmation.Objects {
		o, err := f.store.Object(ctx, oid)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, o.Type)
		if !strings.Contains(string(o.Raw), stix.TLP2Red) {
			t.Errorf("%s is not marked TLP:RED: %s", oid, o.Raw)
		}
	}
	if strings.Join(kinds, ",") == "" || !strings.Contains(strings.Join(kinds, ","), "indicator") {
		t.Fatalf("confirmation objects %v: want an incident, relationships and an indicator", kinds)
	}
	secret := append([]string{"Quiet Heist", "quiet-heist.example"}, cs.Confirmation.Objects...)
	paths := []string{"/api/objects?type=incident", "/api/objects?type=indicator&limit=1000", "/api/objects?type=relationship&limit=1000",
		"/api/export", "/api/stats", "/api/actors/" + openBear, "/api/actors/search?q=Open+Bear",
		"/taxii2/culprit/collections/knowledge/objects/?limit=1000", "/taxii2/culprit/collections/knowledge/manifest/?limit=1000"}
	for _, oid := range cs.Confirmation.Objects {
		if code, b := f.get("reader-green", "/api/objects/"+oid); code != 404 {
			t.Errorf("GREEN GET %s: %d %s, want 404", oid, code, b)
		}
	}
	var before, after map[string]any
	for _, p := range paths {
		hdr := []string{}
		if strings.HasPrefix(p, "/taxii2/") {
			hdr = []string{"Accept", "application/taxii+json;version=2.1"}
		}
		_, _, green := f.do("GET", "reader-green", p, "", nil, hdr...)
		for _, s := range secret {
			if strings.Contains(string(green), s) {
				t.Errorf("GREEN %s shows %s of the RED case:\n%.600s", p, s, green)
			}
		}
		if p == "/api/stats" {
			decodeJSON(t, green, &after)
		}
	}
	_, red := f.get("reader-red", "/api/objects?type=indicator&limit=1000")
	if !strings.Contains(string(red), "quiet-heist.example") {
		t.Errorf("RED does not see the confirmed case's indicator:\n%s", red)
	}
	// The GREEN counts are those of a knowledge base without the case,
	// but for culprit's own identity, the creator every case shares
	// (unmarked, imported under a source of its own, naming no case), and
	// the count of sources, which names nothing.
	g := newFixture(t, Config{})
	_, b := g.get("reader-green", "/api/stats")
	decodeJSON(t, b, &before)
	creatorID := stix.DeterministicID("identity", "culprit")
	types := before["by_type"].(map[string]any)
	types["identity"] = types["identity"].(float64) + 1
	before["objects"] = before["objects"].(float64) + 1
	before["names"] = before["names"].(float64) + 1
	before["sources"] = before["sources"].(float64) + 2
	if a, b := fmt.Sprint(after), fmt.Sprint(before); a != b {
		t.Errorf("GREEN stats after the RED confirmation:\n%s\nwant (without the case, with culprit's identity):\n%s", a, b)
	}
	code, prov := f.get("reader-green", "/api/objects/"+creatorID+"/provenance")
	if code != 200 || strings.Contains(string(prov), cs.ID) {
		t.Errorf("provenance of culprit's identity as GREEN: %d %s, want it without the case id %s", code, prov, cs.ID)
	}
}
