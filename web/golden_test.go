package web_test

import (
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGoldenPages with the pages of this run")

// Only what differs from run to run is replaced in the golden pages: the
// CSRF tokens (random per session and per login form) and the case id
// (random, kb.NewCaseID). The clock is fixed and the knowledge is the
// starter knowledge with the TLP fixture, so everything else is the same
// at every run.
var (
	goldenCSRF   = regexp.MustCompile(`name="csrf" value="[^"]+"`)
	goldenCaseID = regexp.MustCompile(`case-[0-9a-f]{12}`)
)

func normalizePage(body string) string {
	body = goldenCSRF.ReplaceAllString(body, `name="csrf" value="CSRF"`)
	return goldenCaseID.ReplaceAllString(body, "case-ID")
}

// TestGoldenPages compares the pages an analyst reads, byte for byte,
// with testdata/golden/<page>.html: the login page, the home page with a
// case, the review of a report's extracted evidence, the case workspace
// with its ranked hypotheses, Lazarus Group's actor page, a search and
// the case's printable report.
// go test -run TestGoldenPages ./web -update rewrites them; read the diff
// before committing it.
func TestGoldenPages(t *testing.T) {
	f := newWebFixture(t)
	anon := f.client()
	login := anon.get("/ui/login")
	c, csrf := f.loggedIn("alice")
	id, evidence := c.newCase(csrf, "Northbridge Media wiper", "TLP:AMBER")
	review := c.get("/ui/cases/" + id + "/review/" + evidence)
	c.acceptAll(csrf, id, evidence)
	if r := c.post("/ui/cases/"+id+"/attribute", url.Values{"csrf": {csrf}}); r.code != http.StatusSeeOther {
		t.Fatalf("attribute: %d\n%s", r.code, r.body)
	}
	pages := []struct {
		name string
		r    *response
	}{
		{"login", login},
		{"home", c.get("/ui/")},
		{"review", review},
		{"case-ranked", c.get("/ui/cases/" + id)},
		{"actor-lazarus", c.get("/ui/actors/" + url.PathEscape("intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"))},
		{"search-lazarus", c.get("/ui/search?q=lazarus")},
		{"report", c.get("/ui/cases/" + id + "/export/report.html")},
	}
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			if p.r.code != http.StatusOK || !strings.HasPrefix(p.r.header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s: %d %s, want a 200 page\n%s", p.name, p.r.code, p.r.header.Get("Content-Type"), p.r.body)
			}
			checkGolden(t, p.name+".html", p.r.body)
		})
	}
	// What the golden pages must show, so that an -update cannot bless a
	// broken page: the ranking with Lazarus Group first, the review's
	// items, the actor's heat map.
	for name, want := range map[string][]string{
		"case-ranked":    {`class="hyp-name">Lazarus Group</a>`, "<meter", "What to look for next", "TLP:AMBER"},
		"review":         {`data-testid="review-item"`, "technique", "software", "indicator", "claim", "FBI"},
		"actor-lazarus":  {"<h1>Lazarus Group", `class="matrix"`, "heat-", `id="graph-canvas"`},
		"search-lazarus": {`data-testid="search-results"`, "Lazarus Group"},
		"home":           {"Northbridge Media wiper", "alice"},
		"login":          {`action="/ui/login"`, `id="token"`},
		"report":         {"TLP:AMBER", "Lazarus Group</strong> first", "<h2>Competing hypotheses</h2>", "What to look for next", "<h2>History</h2>"},
	} {
		for _, p := range pages {
			if p.name != name {
				continue
			}
			for _, w := range want {
				if !strings.Contains(p.r.body, w) {
					t.Errorf("%s does not show %q", name, w)
				}
			}
		}
	}
	// Before a login there is no user: no name, role or Log out form.
	for _, bad := range []string{`data-testid="user"`, `action="/ui/logout"`, "sees up to"} {
		if strings.Contains(login.body, bad) {
			t.Errorf("the login page shows %q, as if someone were logged in", bad)
		}
	}
	if i := strings.Index(pages[3].r.body, `class="hyp-name">`); i < 0 || !strings.HasPrefix(pages[3].r.body[i:], `class="hyp-name">Lazarus Group<`) {
		t.Errorf("the first hypothesis of the case is not Lazarus Group")
	}
}

// checkGolden compares a page, normalised, byte for byte with
// testdata/golden/NAME, or writes it there with -update.
func checkGolden(t *testing.T, name, body string) {
	t.Helper()
	got := normalizePage(body)
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s ./web -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs (-want +got; -update rewrites it):\n%s", path, cmp.Diff(string(want), got))
	}
}
