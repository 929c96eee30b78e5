package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// TestSearchKinds searches the box's suggestions (GET /ui/search.json) for
// one object of each kind the issue names: the first hit of each query is
// of the kind, with its page and TLP level.
func TestSearchKinds(t *testing.T) {
	f := newWebFixture(t)
	c, csrf := f.loggedIn("alice")
	id, _ := c.newCase(csrf, "Northbridge Media wiper", "TLP:GREEN")
	for _, tt := range []struct {
		q, kind, name, url, tlp string
	}{
		{"lazarus", "actor", "Lazarus Group", "/ui/actors/" + lazarus, "TLP:CLEAR"},
		{"KillDisk", "software", "KillDisk", "/ui/objects/" + killDisk, "TLP:CLEAR"},
		{"T1485", "technique", "Data Destruction", "", "TLP:CLEAR"},
		{"203.131.222.102", "indicator", "Destover hardcoded C2 address 203.131.222.102", "/ui/objects/indicator--c9d46ac1-784d-5f73-af5f-59dd48be1356", "TLP:CLEAR"},
		{"darkseoul", "campaign", "DarkSeoul", "/ui/objects/campaign--c8902f46-d8c8-5b7d-8914-e0fb65e058ea", "TLP:CLEAR"},
		{"northbridge media", "case", "Northbridge Media wiper", "/ui/cases/" + id, "TLP:GREEN"},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			r := c.get("/ui/search.json?q=" + url.QueryEscape(tt.q))
			if r.code != http.StatusOK {
				t.Fatalf("search %q: %d\n%s", tt.q, r.code, r.body)
			}
			var v struct {
				Hits []struct{ Kind, Name, URL, TLP string }
			}
			if err := json.Unmarshal([]byte(r.body), &v); err != nil {
				t.Fatalf("search %q: %v\n%s", tt.q, err, r.body)
			}
			if len(v.Hits) == 0 {
				t.Fatalf("search %q: no hit", tt.q)
			}
			h := v.Hits[0]
			if h.Kind != tt.kind || h.Name != tt.name || (tt.url != "" && h.URL != tt.url) || h.TLP != tt.tlp {
				t.Errorf("search %q: first hit %+v, want the %s %q at %s, %s", tt.q, h, tt.kind, tt.name, tt.url, tt.tlp)
			}
		})
	}
}
