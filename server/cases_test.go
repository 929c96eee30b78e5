package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// leakCase is evidence of the hidden actors' malware and technique: an
// attribution with the RED knowledge names Red Panda.
var leakCase = []byte("name: leak test\nsoftware:\n  - name: SecretLoader\ntechniques:\n  - id: T1566\n")

// caseFixture is the server fixture with a RED analyst too.
func caseFixture(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t, Config{})
	tok, rec, err := f.tokens.Create(context.Background(), "analyst-red", token.Analyst, access.Red)
	if err != nil {
		t.Fatal(err)
	}
	f.tok["analyst-red"], f.ids["analyst-red"] = tok, rec.ID
	return f
}

// newCase opens a case as key with the query q and returns its id.
func (f *fixture) newCase(key, q string, body []byte) string {
	f.t.Helper()
	code, hdr, b := f.do("POST", key, "/api/cases"+q, "application/yaml", body)
	if code != 201 {
		f.t.Fatalf("create case%s as %s: %d %s", q, key, code, b)
	}
	var c kb.Case
	decodeJSON(f.t, b, &c)
	if hdr.Get("Location") != "/api/cases/"+c.ID {
		f.t.Errorf("Location = %q, want /api/cases/%s", hdr.Get("Location"), c.ID)
	}
	return c.ID
}

func (f *fixture) caseIDs(key string) []string {
	f.t.Helper()
	code, b := f.get(key, "/api/cases")
	if code != 200 {
		f.t.Fatalf("list cases as %s: %d %s", key, code, b)
	}
	var out struct {
		Cases []struct {
			ID string `json:"id"`
		} `json:"cases"`
	}
	decodeJSON(f.t, b, &out)
	var ids []string
	for _, c := range out.Cases {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestCaseLifecycle(t *testing.T) {
	f := caseFixture(t)
	id := f.newCase("analyst-green", "?name="+url.QueryEscape("Phish of March")+"&tlp=green", leakCase)
	code, b := f.get("reader-green", "/api/cases/"+id)
	var c kb.Case
	decodeJSON(t, b, &c)
	if code != 200 || c.Name != "Phish of March" || c.TLP != "TLP:GREEN" || len(c.Evidence) != 1 || c.Evidence[0].By != "analyst-green" {
		t.Fatalf("GET case: %d %+v", code, c)
	}

	// Unreviewed evidence is kept but not attributed until accepted.
	more := []byte("techniques:\n  - id: T1059\n")
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/evidence?name=report.yaml&unreviewed=true", "application/yaml", more); code != 200 {
		t.Fatalf("add evidence: %d %s", code, b)
	}
	other := []byte("techniques:\n  - id: T1105\n")
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/evidence?name=report.yaml", "application/yaml", other); code != 409 {
		t.Errorf("evidence of the same name, other content: %d %s, want 409", code, b)
	}
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/evidence/nothing.yaml/accept", "", nil); code != 404 {
		t.Errorf("accept of absent evidence: %d %s, want 404", code, b)
	}
	code, _, b = f.do("POST", "analyst-green", "/api/cases/"+id+"/evidence/report.yaml/accept", "", nil)
	decodeJSON(t, b, &c)
	if code != 200 || c.Evidence[1].Status != kb.EvidenceAccepted {
		t.Fatalf("accept: %d %s", code, b)
	}

	code, _, b = f.do("POST", "analyst-green", "/api/cases/"+id+"/attribute?format=text&top=3", "", nil)
	if code != 200 || len(b) == 0 {
		t.Fatalf("attribute: %d %s", code, b)
	}
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/attribute?top=99", "", nil); code != 400 {
		t.Errorf("attribute with top=99: %d %s, want 400", code, b)
	}
	_, b = f.get("reader-green", "/api/cases/"+id)
	decodeJSON(t, b, &c)
	if len(c.Results) != 1 || c.Results[0].TLP != "TLP:GREEN" {
		t.Errorf("results = %+v, want one at TLP:GREEN", c.Results)
	}

	// Roles: a reader reads but does not write.
	if code, _, _ := f.do("POST", "reader-red", "/api/cases/"+id+"/attribute", "", nil); code != 403 {
		t.Errorf("attribute by a reader: %d, want 403", code)
	}

	confirm := func(key, body string) (int, []byte) {
		code, _, b := f.do("POST", key, "/api/cases/"+id+"/confirm", "application/json", []byte(body))
		return code, b
	}
	if code, b := confirm("analyst-green", `{"actor":"Open Bear","new_actor":"X"}`); code != 400 {
		t.Errorf("confirm to both: %d %s, want 400", code, b)
	}
	if code, b := confirm("analyst-green", `{"actor":"No Such Bear"}`); code != 404 {
		t.Errorf("confirm to an unknown actor: %d %s, want 404", code, b)
	}
	code, b = confirm("analyst-green", `{"actor":"Open Bear","confidence":70,"reason":"same loader"}`)
	decodeJSON(t, b, &c)
	if code != 200 || c.Status != kb.CaseConfirmed || c.Confirmation.Actor != openBear || c.Confirmation.Analyst != "analyst-green" {
		t.Fatalf("confirm: %d %s", code, b)
	}
	if code, b := confirm("analyst-green", `{"actor":"Open Bear"}`); code != 409 {
		t.Errorf("confirming twice: %d %s, want 409", code, b)
	}
	// The confirmation is knowledge at once: the incident is served.
	if code, b := f.get("reader-green", "/api/objects?type=incident"); code != 200 || !strings.Contains(string(b), "attributed-to") && !strings.Contains(string(b), "incident--") {
		t.Errorf("no incident after the confirmation: %d %s", code, b)
	}
	code, _, b = f.do("GET", "reader-green", "/api/cases/"+id+"/export", "", nil)
	if code != 200 || !strings.Contains(string(b), `"type":"incident"`) && !strings.Contains(string(b), `"incident"`) {
		t.Errorf("export: %d %s", code, b)
	}
	code, _, b = f.do("POST", "analyst-green", "/api/cases/"+id+"/reopen", "application/json", []byte(`{"reason":"wrong loader"}`))
	decodeJSON(t, b, &c)
	if code != 200 || c.Status != kb.CaseOpen {
		t.Errorf("reopen: %d %s", code, b)
	}
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/reopen", "", nil); code != 409 {
		t.Errorf("reopen of an open case: %d %s, want 409", code, b)
	}
	if code, b := f.get("reader-green", "/api/cases/case-000000000000"); code != 404 {
		t.Errorf("absent case: %d %s, want 404", code, b)
	}
	if code, b := f.get("reader-green", "/api/cases/nonsense"); code != 404 {
		t.Errorf("invalid case id: %d %s, want 404", code, b)
	}
	if code, _, b := f.do("POST", "analyst-green", "/api/cases?tlp=amber", "application/yaml", leakCase); code != 403 {
		t.Errorf("a GREEN analyst opening an AMBER case: %d %s, want 403", code, b)
	}
	if code, _, b := f.do("POST", "analyst-green", "/api/cases?tlp=purple", "application/yaml", leakCase); code != 400 {
		t.Errorf("an unknown level: %d %s, want 400", code, b)
	}
	// A stale version is a conflict, whoever writes.
	st, err := f.store.Case(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	st.Version--
	if err := f.store.PutCase(context.Background(), st); statusOf(err) != 409 {
		t.Errorf("PutCase of a stale version: %v, want a conflict", err)
	}
}

// TestGreenSeesNoAmberCase checks each case path: a GREEN token never
// sees an AMBER case, and answers of a hidden case are those of an absent
// one; the RED token does see it (so that the test can fail).
func TestGreenSeesNoAmberCase(t *testing.T) {
	f := caseFixture(t)
	amber := f.newCase("analyst-red", "?name=Amber+op", leakCase) // AMBER by default
	absent := "case-00000000ffff"
	if ids := f.caseIDs("reader-green"); len(ids) != 0 {
		t.Errorf("GREEN lists %v, want no case", ids)
	}
	if ids := f.caseIDs("reader-red"); len(ids) != 1 || ids[0] != amber {
		t.Errorf("RED lists %v, want %s", ids, amber)
	}
	paths := []struct {
		name, method, key, path, ctype, body string
		redKey                               string
	}{
		{"get", "GET", "reader-green", "/api/cases/ID", "", "", "reader-red"},
		{"export", "GET", "reader-green", "/api/cases/ID/export", "", "", "reader-red"},
		{"evidence", "POST", "analyst-green", "/api/cases/ID/evidence?name=more.yaml", "application/yaml", "techniques:\n  - id: T1059\n", "analyst-red"},
		{"accept", "POST", "analyst-green", "/api/cases/ID/evidence/evidence.yaml/accept", "", "", "analyst-red"},
		{"attribute", "POST", "analyst-green", "/api/cases/ID/attribute", "", "", "analyst-red"},
		{"confirm", "POST", "analyst-green", "/api/cases/ID/confirm", "application/json", `{"actor":"Open Bear"}`, "analyst-red"},
		{"reopen", "POST", "analyst-green", "/api/cases/ID/reopen", "", "", "analyst-red"},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			code, _, hidden := f.do(p.method, p.key, strings.Replace(p.path, "ID", amber, 1), p.ctype, []byte(p.body))
			code2, _, none := f.do(p.method, p.key, strings.Replace(p.path, "ID", absent, 1), p.ctype, []byte(p.body))
			if a, b := normalize(hidden, amber), normalize(none, absent); code != 404 || code != code2 || a != b {
				t.Errorf("hidden case: %d %s\nabsent case: %d %s\nwant the same 404", code, a, code2, b)
			}
			code, _, b := f.do(p.method, p.redKey, strings.Replace(p.path, "ID", amber, 1), p.ctype, []byte(p.body))
			if code != 200 {
				t.Errorf("RED token: %s: %d %s, want 200", p.path, code, b)
			}
			if p.name == "export" && !strings.Contains(string(b), stix.TLP2Amber) {
				t.Errorf("the AMBER case's bundle is not marked TLP:AMBER:\n%s", b)
			}
			if p.name != "confirm" {
				return
			}
			// The confirmation is knowledge at the case's level: the
			// incident named after the case is AMBER, not unmarked.
			for _, path := range []string{"/api/objects?type=incident", "/api/export", "/api/stats"} {
				_, green := f.get("reader-green", path)
				if strings.Contains(string(green), "Amber op") || strings.Contains(string(green), `"incident"`) {
					t.Errorf("GREEN %s shows the AMBER case's knowledge:\n%s", path, green)
				}
			}
			if _, red := f.get("reader-red", "/api/objects?type=incident"); !strings.Contains(string(red), "Amber op") {
				t.Errorf("RED does not see the confirmed AMBER case's incident:\n%s", red)
			}
		})
	}
}

// TestCaseResultLevels checks that a result computed with knowledge above
// a case's readers is hidden from them with its line of history, that the
// server computes a case's results at most at the case's level, and that
// a confirmation cannot name an actor the case's level hides.
func TestCaseResultLevels(t *testing.T) {
	f := caseFixture(t)
	ctx := context.Background()
	green := f.newCase("analyst-red", "?tlp=green", leakCase)

	// Attributed through the server by the RED analyst: with GREEN
	// knowledge, the case's level.
	code, _, b := f.do("POST", "analyst-red", "/api/cases/"+green+"/attribute", "", nil)
	if code != 200 {
		t.Fatalf("attribute: %d %s", code, b)
	}
	assertHidden(t, "attribution of a GREEN case by a RED token", b)

	// Attributed with the RED knowledge, as the command line does (it
	// reads every level): the result has no level, so it is TLP:RED.
	know, err := f.srv.knowledge(ctx, f.srv.snap.Load(), access.Red)
	if err != nil {
		t.Fatal(err)
	}
	svc := &investigation.Service{Store: f.store}
	res, _, err := svc.Attribute(ctx, green, know, assess.Options{Top: 5}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(res); !strings.Contains(string(raw), "Red Panda") {
		t.Fatalf("the RED attribution does not name Red Panda: %s", raw)
	}
	for _, path := range []string{"/api/cases/" + green, "/api/cases"} {
		_, b := f.get("reader-green", path)
		assertHidden(t, path, b)
		_, b = f.get("reader-red", path)
		if path != "/api/cases" && !strings.Contains(string(b), "Red Panda") {
			t.Errorf("the RED token's %s does not show the RED result:\n%s", path, b)
		}
	}
	var gc, rc kb.Case
	_, b = f.get("reader-green", "/api/cases/"+green)
	decodeJSON(t, b, &gc)
	_, b = f.get("reader-red", "/api/cases/"+green)
	decodeJSON(t, b, &rc)
	if len(gc.Results) != 1 || len(rc.Results) != 2 || len(rc.History)-len(gc.History) != 1 {
		t.Errorf("GREEN sees %d results, %d lines of history; RED %d, %d: want 1 and 2 results, one line fewer for GREEN",
			len(gc.Results), len(gc.History), len(rc.Results), len(rc.History))
	}

	// A RED case: the RED analyst's attribution uses the RED knowledge.
	red := f.newCase("analyst-red", "?tlp=red", leakCase)
	_, _, b = f.do("POST", "analyst-red", "/api/cases/"+red+"/attribute", "", nil)
	if !strings.Contains(string(b), "Red Panda") {
		t.Errorf("the RED case's attribution does not name Red Panda:\n%s", b)
	}

	// Confirming the GREEN case to Red Panda is confirming to an actor
	// it does not know: not found, even for the RED analyst, and the
	// answer is that of an absent actor.
	code, _, hid := f.do("POST", "analyst-red", "/api/cases/"+green+"/confirm", "application/json", []byte(`{"actor":"Red Panda"}`))
	code2, _, none := f.do("POST", "analyst-red", "/api/cases/"+green+"/confirm", "application/json", []byte(`{"actor":"Blue Whale"}`))
	if a, b := normalize(hid, "Red Panda"), normalize(none, "Blue Whale"); code != 404 || code2 != 404 || a != b {
		t.Errorf("confirm to a hidden actor: %d %s\nto an absent one: %d %s\nwant the same 404", code, a, code2, b)
	}
	code, _, b = f.do("POST", "analyst-red", "/api/cases/"+red+"/confirm", "application/json", []byte(`{"actor":"Red Panda"}`))
	if code != 200 || !strings.Contains(string(b), redPanda) {
		t.Errorf("confirm the RED case to Red Panda: %d %s", code, b)
	}
}

// FuzzCaseRequests posts arbitrary bodies and parameters to the case
// routes that decode them: every answer is a 2xx or a 4xx, never a 5xx
// (fixture.do fails the test on one) or a crash.
func FuzzCaseRequests(f *testing.F) {
	fx := caseFixture(f)
	// A request that hangs fails as a timeout instead of stalling the
	// fuzzer.
	http.DefaultClient.Timeout = 10 * time.Second
	f.Cleanup(func() { http.DefaultClient.Timeout = 0 })
	f.Add(0, "", []byte(`{"actor":"Open Bear","confidence":70}`))
	f.Add(0, "", []byte(`{"new_actor":"Fresh Fox","confidence":101}`))
	f.Add(1, "name=x.yaml&unreviewed=true", []byte("techniques:\n  - id: T1059\n"))
	f.Add(2, "tlp=amber+strict&name=a", []byte(`{"type":"bundle","id":"bundle--1","objects":[]}`))
	f.Add(3, "format=stix&top=2", []byte(nil))
	f.Add(4, "", []byte(`{"reason":7}`))
	routes := []string{"/confirm", "/evidence", "", "/attribute", "/reopen"}
	f.Fuzz(func(t *testing.T, route int, query string, body []byte) {
		if route < 0 {
			route = -route
		}
		if len(query) > 200 || len(body) > 64<<10 {
			return
		}
		fx.t = t
		// A case of its own for each input, so that one that grows (each
		// attribution adds a result) does not slow every later one.
		path := "/api/cases"
		if r := routes[route%len(routes)]; r != "" {
			path += "/" + fx.newCase("analyst-red", "?tlp=red", leakCase) + r
		}
		code, _, b := fx.do("POST", "analyst-red", path+"?"+url.PathEscape(query), "application/yaml", body)
		if code >= 500 {
			t.Errorf("%s?%s: %d %s", path, query, code, b)
		}
	})
}
