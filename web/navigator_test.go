package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/navigator"
	"github.com/culprit-cti/culprit/stix"
)

// navLayer is what the tests read of a layer.
type navLayer struct {
	Name     string `json:"name"`
	Domain   string `json:"domain"`
	Versions struct {
		Layer string `json:"layer"`
	} `json:"versions"`
	Techniques []struct {
		ID    string  `json:"techniqueID"`
		Score float64 `json:"score"`
	} `json:"techniques"`
	Metadata []struct{ Name, Value string } `json:"metadata"`
}

// validLayer validates a layer against the format's schema and returns
// it with its scores by technique.
func validLayer(t *testing.T, what string, b []byte) (*navLayer, map[string]float64) {
	t.Helper()
	if err := navigator.Validate(b); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b)
	}
	var l navLayer
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if l.Domain != "enterprise-attack" || l.Versions.Layer != "4.5" {
		t.Errorf("%s: domain %q, layer version %q", what, l.Domain, l.Versions.Layer)
	}
	scores := map[string]float64{}
	for _, tc := range l.Techniques {
		scores[tc.ID] = tc.Score
	}
	return &l, scores
}

// TestNavigatorExports exports the Navigator layer of an attributed case
// from its case page's link, and of its leading actor from the actor
// page's: both validate, the case's layer has the case's techniques (3
// where Lazarus Group uses them too, 2 where only the case has them) and
// its id, the actor's layer the actor's name; so does the comparison of
// two actors from the compare page's link, and a comparison of one actor,
// of an actor with itself or of four is refused.
func TestNavigatorExports(t *testing.T) {
	srv := newUIServer(t, false)
	c := newACHClient(t, srv.url)
	id, _ := c.attributedCase(srv.tok["alice"], "TLP:GREEN")
	_, casePage := c.get("/ui/cases/" + id)
	link := "/ui/cases/" + id + "/export/navigator.json"
	if !strings.Contains(casePage, `href="`+link+`"`) {
		t.Fatalf("the case page has no link to %s", link)
	}
	code, body := c.get(link)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", link, code, body)
	}
	l, scores := validLayer(t, "the case's layer", []byte(body))
	// The wiper report names T1485 Data Destruction, which Lazarus Group
	// uses, and T1489 Service Stop.
	if scores["T1485"] != 3 || scores["T1489"] < 2 {
		t.Errorf("case layer scores T1485 %v (want 3: the case's and the actor's), T1489 %v (want 2 or 3)", scores["T1485"], scores["T1489"])
	}
	var hasID bool
	for _, m := range l.Metadata {
		hasID = hasID || m.Value == id
	}
	if !hasID {
		t.Errorf("case layer metadata %v has no case id %s", l.Metadata, id)
	}

	_, actorPage := c.get("/ui/actors/" + url.PathEscape(lazarus))
	alink := "/ui/actors/" + lazarus + "/navigator.json"
	if !strings.Contains(actorPage, `href="`+alink+`"`) {
		t.Fatalf("the actor page has no link to %s", alink)
	}
	code, body = c.get(alink)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", alink, code, body)
	}
	al, ascores := validLayer(t, "the actor's layer", []byte(body))
	if !strings.Contains(al.Name, "Lazarus Group") || len(ascores) < 5 || ascores["T1485"] == 0 {
		t.Errorf("actor layer %q has %d techniques (T1485 %v), want Lazarus Group's", al.Name, len(ascores), ascores["T1485"])
	}

	// Two actors compared, from the compare page's link.
	_, cmpPage := c.get("/ui/compare?a=Lazarus+Group&a=APT38")
	m := regexp.MustCompile(`href="(/ui/compare/navigator\.json\?[^"]+)"`).FindStringSubmatch(cmpPage)
	if m == nil {
		t.Fatal("the compare page has no link to the comparison's Navigator layer")
	}
	code, body = c.get(html.UnescapeString(m[1]))
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", m[1], code, body)
	}
	cl, cscores := validLayer(t, "the comparison's layer", []byte(body))
	if !strings.Contains(cl.Name, "Lazarus Group") || !strings.Contains(cl.Name, "APT38") || len(cscores) == 0 {
		t.Errorf("comparison layer %q with %d techniques, want Lazarus Group and APT38's", cl.Name, len(cscores))
	}
	for _, bad := range []string{"?a=Lazarus+Group", "?a=Lazarus+Group&a=Lazarus+Group", "?a=G0032&a=G0082&a=G0034&a=G0007"} {
		if code, _ := c.get("/ui/compare/navigator.json" + bad); code != http.StatusBadRequest {
			t.Errorf("GET /ui/compare/navigator.json%s: %d, want 400", bad, code)
		}
	}
}

// TestNavigatorLayerTLP: a layer holds only what the user may see.
// Lazarus Group uses T1486 Data Encrypted for Impact only through an
// AMBER relationship: the AMBER analyst's layer has the technique, the
// GREEN reader's does not. An AMBER actor's layer is, for the GREEN
// reader, the 404 of an actor that does not exist. A case's layer is read
// at the case's level, whoever exports it.
func TestNavigatorLayerTLP(t *testing.T) {
	amber := access.Marking(access.Amber)
	const t1486 = "attack-pattern--b80d107d-fa0d-4b60-9684-b0433e8bdba0" // in the starter knowledge
	const hiddenActor = "intrusion-set--0000aaaa-0000-4000-8000-00000000aaaa"
	var extra []*stix.Object
	for _, raw := range []string{
		`{"type":"relationship","spec_version":"2.1","id":"relationship--0000aaaa-0000-4000-8000-00000000aaab","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":"` + lazarus + `","target_ref":"` + t1486 + `","object_marking_refs":["` + amber + `"]}`,
		`{"type":"intrusion-set","spec_version":"2.1","id":"` + hiddenActor + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Amber Test Group","object_marking_refs":["` + amber + `"]}`,
		`{"type":"relationship","spec_version":"2.1","id":"relationship--0000aaaa-0000-4000-8000-00000000aaac","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":"` + hiddenActor + `","target_ref":"` + t1486 + `","object_marking_refs":["` + amber + `"]}`,
	} {
		o, err := stix.ParseObject([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		extra = append(extra, o)
	}
	srv := newUIServer(t, false, extra...)
	path := "/ui/actors/" + lazarus + "/navigator.json"
	layers := map[string]map[string]float64{}
	clients := map[string]*achClient{}
	csrf := ""
	for _, user := range []string{"alice", "gus"} {
		c := newACHClient(t, srv.url)
		if tok := c.login(srv.tok[user]); user == "alice" {
			csrf = tok
		}
		clients[user] = c
		code, body := c.get(path)
		if code != http.StatusOK {
			t.Fatalf("%s: GET %s: %d\n%s", user, path, code, body)
		}
		_, layers[user] = validLayer(t, user+"'s layer of Lazarus Group", []byte(body))
	}
	if layers["alice"]["T1486"] == 0 {
		t.Errorf("alice (AMBER) has no T1486 in the layer of Lazarus Group: the AMBER relationship is not read")
	}
	if layers["gus"]["T1486"] != 0 {
		t.Errorf("gus (GREEN) has T1486 in the layer of Lazarus Group, known only through an AMBER relationship")
	}
	if len(layers["gus"]) == 0 {
		t.Errorf("gus's layer of Lazarus Group is empty")
	}
	if code, _ := clients["alice"].get("/ui/actors/" + hiddenActor + "/navigator.json"); code != http.StatusOK {
		t.Errorf("alice: the layer of the AMBER actor: %d", code)
	}
	// A case's layer is read at the case's level: alice's AMBER case has
	// T1486 as Lazarus Group's (score 1), her GREEN case does not.
	for _, tc := range []struct {
		tlp  string
		want float64
	}{{"TLP:AMBER", 1}, {"TLP:GREEN", 0}} {
		id := clients["alice"].newAttributedCase(csrf, tc.tlp)
		code, body := clients["alice"].get("/ui/cases/" + id + "/export/navigator.json")
		if code != http.StatusOK {
			t.Fatalf("the layer of the %s case: %d\n%s", tc.tlp, code, body)
		}
		if _, scores := validLayer(t, "the layer of the "+tc.tlp+" case", []byte(body)); scores["T1486"] != tc.want || scores["T1485"] != 3 {
			t.Errorf("alice's layer of her %s case scores T1486 %v, want %v (T1485 %v, want 3)", tc.tlp, scores["T1486"], tc.want, scores["T1485"])
		}
	}
	absent := "intrusion-set--0000aaaa-0000-4000-8000-0000000000ff"
	hc, hb := clients["gus"].get("/ui/actors/" + hiddenActor + "/navigator.json")
	ac, ab := clients["gus"].get("/ui/actors/" + absent + "/navigator.json")
	if hc != http.StatusNotFound || hc != ac || strings.ReplaceAll(hb, hiddenActor, "ID") != strings.ReplaceAll(ab, absent, "ID") {
		t.Errorf("gus's layer of an AMBER actor: %d %q; of no actor: %d %q", hc, hb, ac, ab)
	}
}
