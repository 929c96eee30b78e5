package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestListsFollowLevel reads the suggestions the case and compare pages
// load (their datalists' data-src) as analysts of AMBER and RED and a GREEN reader:
// each gets the actors and software of its own level (a RED analyst the
// RED actors too), the GREEN reader none of the names above GREEN, and
// an unknown list is a 404.
func TestListsFollowLevel(t *testing.T) {
	f := newWebFixture(t)
	alice, csrf := f.loggedIn("alice")
	id, _ := alice.newCase(csrf, "Lists", "TLP:AMBER")
	page := alice.get("/ui/cases/" + id)
	for _, src := range []string{"/ui/lists/software.json", "/ui/lists/actors.json", "/ui/lists/techniques.json"} {
		if !strings.Contains(page.body, `data-src="`+src+`"`) {
			t.Errorf("the case page names no list %s", src)
		}
	}
	names := func(c *client, path string) map[string]bool {
		t.Helper()
		r := c.get(path)
		if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET %s: %d %s\n%s", path, r.code, r.header.Get("Content-Type"), r.body)
		}
		var opts []struct{ Value, Label string }
		if err := json.Unmarshal([]byte(r.body), &opts); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, r.body)
		}
		out := map[string]bool{}
		for _, o := range opts {
			out[o.Value] = true
		}
		return out
	}
	gus, _ := f.loggedIn("gus")
	for _, list := range []string{"actors", "software"} {
		path := "/ui/lists/" + list + ".json"
		a, g := names(alice, path), names(gus, path)
		if len(g) == 0 || len(a) < len(g) {
			t.Errorf("%s: %d names for alice (AMBER), %d for gus (GREEN): want some for gus and as many for alice", path, len(a), len(g))
		}
		for _, h := range hiddenFromGreen {
			if g[h] {
				t.Errorf("%s: gus (GREEN) is offered %q", path, h)
			}
		}
	}
	// The pickers' techniques: "id name", as pickedRef reads them, only
	// those the user may see.
	at, gt := names(alice, "/ui/lists/techniques.json"), names(gus, "/ui/lists/techniques.json")
	if !at["T1485 Data Destruction"] || !gt["T1485 Data Destruction"] || len(at) < len(gt) {
		t.Errorf("techniques: T1485 Data Destruction for alice %v and gus %v; %d for alice, %d for gus", at["T1485 Data Destruction"], gt["T1485 Data Destruction"], len(at), len(gt))
	}
	for v := range gt {
		for _, h := range hiddenFromGreen {
			if strings.Contains(v, h) {
				t.Errorf("techniques: gus (GREEN) is offered %q", v)
			}
		}
	}
	if a := names(alice, "/ui/lists/actors.json"); !a["Amber Kitten"] || !a["Lazarus Group"] || a["Red Panda"] {
		t.Errorf("alice's actors: Amber Kitten %v, Lazarus Group %v (want both), Red Panda %v (want not)", a["Amber Kitten"], a["Lazarus Group"], a["Red Panda"])
	}
	rita, _ := f.loggedIn("rita")
	if a := names(rita, "/ui/lists/actors.json"); !a["Red Panda"] {
		t.Errorf("the RED actor Red Panda is not offered to rita (RED)")
	}
	if r := alice.get("/ui/lists/indicators.json"); r.code != http.StatusNotFound {
		t.Errorf("GET /ui/lists/indicators.json: %d, want 404", r.code)
	}
}
