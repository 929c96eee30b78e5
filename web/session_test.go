package web_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
	"github.com/culprit-cti/culprit/web"
)

// The handler tests run the UI as the server mounts it (server.New on a
// real SQLite store, through httptest), with a client that keeps its
// cookies by hand so that each test can see and tamper with them.

// fixedStart is the fixture clock's time at its start.
var fixedStart = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// clock is a settable clock for the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Names and ids of the TLP fixture of package access (../access/testdata)
// that a TLP:GREEN user must never read: AMBER and RED actors, their
// aliases, a RED piece of software, a RED relationship's report, an older
// RED alias of an actor that is GREEN now, and the AMBER case the tests
// open.
var hiddenFromGreen = []string{"Red Panda", "Crimson Panda", "Amber Kitten", "Copper Kitten", "Scarlet Heron", "Ruby Secret",
	"Panda report", "Kestrel amber case",
	"intrusion-set--0000000b-0000-4000-8000-00000000000b", "intrusion-set--0000000c-0000-4000-8000-00000000000c",
	"intrusion-set--0000000d-0000-4000-8000-00000000000d", "report--00000032-0000-4000-8000-000000000032"}

// webFixture is a culprit server with the UI, on a SQLite store holding
// the starter knowledge and the TLP fixture, with tokens of several roles
// and levels and a settable clock. Each setup may add to the store and
// change the server's configuration before the server starts.
type webFixture struct {
	t      testing.TB
	url    string
	h      http.Handler
	tokens *token.Set
	tok    map[string]string // user -> API token
	ids    map[string]string // user -> token id
	clock  *clock
}

func newWebFixture(t testing.TB, setup ...func(kb.Store, *server.Config)) *webFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter knowledge")
	if err != nil {
		t.Fatal(err)
	}
	importObjects(t, st, examples.StarterSource, objs)
	for _, f := range []string{"tlp-v1.json", "tlp-v2.json"} {
		objs, err := stix.ReadFile(filepath.Join("..", "access", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		importObjects(t, st, f, objs)
	}
	secret, err := token.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &webFixture{t: t, tokens: token.New(st, secret), tok: map[string]string{}, ids: map[string]string{},
		clock: &clock{t: fixedStart}}
	for _, k := range []struct {
		name string
		role token.Role
		tlp  access.Level
	}{
		{"alice", token.Analyst, access.Amber}, {"gus", token.Reader, access.Green},
		{"rita", token.Analyst, access.Red}, {"gail", token.Analyst, access.Green},
	} {
		tok, rec, err := f.tokens.Create(ctx, k.name, k.role, k.tlp)
		if err != nil {
			t.Fatal(err)
		}
		f.tok[k.name], f.ids[k.name] = tok, rec.ID
	}
	cfg := server.Config{Store: st, Tokens: f.tokens, RateLimit: -1, Now: f.clock.Now}
	for _, fn := range setup {
		fn(st, &cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	f.h = srv.Handler()
	ts := httptest.NewServer(f.h)
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

// client is one browser: its cookies, kept by hand.
type client struct {
	t       testing.TB
	base    string
	hc      *http.Client
	cookies map[string]string
}

func (f *webFixture) client() *client {
	return &client{t: f.t, base: f.url, cookies: map[string]string{}, hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is what the client got.
type response struct {
	code    int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

// send sends a request and keeps the cookies it sets. A 5xx fails the
// test: no request of these tests is the server's fault.
func (c *client) send(method, path, ctype string, body []byte) *response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	names := make([]string, 0, len(c.cookies))
	for k := range c.cookies {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		req.AddCookie(&http.Cookie{Name: k, Value: c.cookies[k]})
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read the body: %v", method, path, err)
	}
	r := &response{code: res.StatusCode, header: res.Header, body: string(b), cookies: res.Cookies()}
	for _, ck := range r.cookies {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if r.code >= 500 {
		c.t.Fatalf("%s %s: %d\n%s", method, path, r.code, r.body)
	}
	return r
}

func (c *client) get(path string) *response {
	c.t.Helper()
	return c.send(http.MethodGet, path, "", nil)
}

// post posts a urlencoded form.
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	return c.send(http.MethodPost, path, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// postMultipart posts a multipart form.
func (c *client) postMultipart(path string, form url.Values) *response {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range form[k] {
			mw.WriteField(k, v)
		}
	}
	mw.Close()
	return c.send(http.MethodPost, path, mw.FormDataContentType(), b.Bytes())
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token of the forms of a page.
func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

// login logs in with an API token and returns the CSRF token of the
// session's forms.
func (c *client) login(secret string) string {
	c.t.Helper()
	page := c.get("/ui/login")
	if page.code != http.StatusOK {
		c.t.Fatalf("GET /ui/login: %d", page.code)
	}
	r := c.post("/ui/login", url.Values{"csrf": {csrfOf(c.t, page.body)}, "token": {secret}, "next": {"/ui/"}})
	if r.code != http.StatusSeeOther || c.cookies["culprit_session"] == "" {
		c.t.Fatalf("log in: %d, cookies %v\n%s", r.code, r.cookies, r.body)
	}
	home := c.get("/ui/")
	if home.code != http.StatusOK {
		c.t.Fatalf("GET /ui/ after logging in: %d\n%s", home.code, home.body)
	}
	return csrfOf(c.t, home.body)
}

func (f *webFixture) loggedIn(user string) (*client, string) {
	f.t.Helper()
	c := f.client()
	return c, c.login(f.tok[user])
}

// newCase opens a case from the wiper report of testdata as the
// logged-in analyst, at level tlp, and returns its id and the name of the
// extracted evidence awaiting review.
func (c *client) newCase(csrf, name, tlp string) (id, evidence string) {
	c.t.Helper()
	report, err := os.ReadFile(filepath.Join("testdata", "wiper-report.txt"))
	if err != nil {
		c.t.Fatal(err)
	}
	return c.newCaseText(csrf, name, tlp, string(report))
}

// newCaseText opens a case from a pasted report.
func (c *client) newCaseText(csrf, name, tlp, report string) (id, evidence string) {
	c.t.Helper()
	r := c.postMultipart("/ui/cases", url.Values{"csrf": {csrf}, "name": {name}, "tlp": {tlp}, "text": {report}})
	loc := r.header.Get("Location")
	m := regexp.MustCompile(`^/ui/cases/(case-[0-9a-f]+)/review/([^/]+)$`).FindStringSubmatch(loc)
	if r.code != http.StatusSeeOther || m == nil {
		c.t.Fatalf("create a case: %d, Location %q\n%s", r.code, loc, r.body)
	}
	return m[1], m[2]
}

// acceptAll accepts every item of the evidence awaiting review, rating
// the claims B2.
func (c *client) acceptAll(csrf, id, evidence string) {
	c.t.Helper()
	path := "/ui/cases/" + id + "/review/" + evidence
	page := c.get(path)
	if page.code != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", path, page.code, page.body)
	}
	form := url.Values{"csrf": {csrf}}
	for _, m := range regexp.MustCompile(`name="d(\d+)" value="accept"`).FindAllStringSubmatch(page.body, -1) {
		form.Set("d"+m[1], "accept")
		form.Set("rel"+m[1], "B")
		form.Set("cred"+m[1], "2")
	}
	if len(form) < 2 {
		c.t.Fatalf("the review page lists no item:\n%s", page.body)
	}
	if r := c.post(path, form); r.code != http.StatusSeeOther {
		c.t.Fatalf("POST %s: %d\n%s", path, r.code, r.body)
	}
}

func sessionCookieOf(r *response) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == "culprit_session" {
			return c
		}
	}
	return nil
}

// wantLogin checks that r sends the browser to log in again (a page) or
// refuses it (a form or a script).
func wantLogin(t *testing.T, what string, r *response, method string) {
	t.Helper()
	switch {
	case method == http.MethodGet && !strings.Contains(what, ".json"):
		if r.code != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/ui/login") {
			t.Errorf("%s: %d to %q, want 303 to the login page", what, r.code, r.header.Get("Location"))
		}
	default:
		if r.code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", what, r.code)
		}
	}
}

func TestSessionLoginSetsStrictCookie(t *testing.T) {
	f := newWebFixture(t)
	c := f.client()
	page := c.get("/ui/login")
	lc := page.cookies
	if len(lc) != 1 || lc[0].Name != "culprit_login" || !lc[0].Secure || !lc[0].HttpOnly || lc[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("the login page sets %v, want one Secure HttpOnly SameSite=Strict culprit_login cookie", lc)
	}
	r := c.post("/ui/login", url.Values{"csrf": {csrfOf(t, page.body)}, "token": {f.tok["alice"]}, "next": {"/ui/search?q=x"}})
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/ui/search?q=x" {
		t.Fatalf("log in: %d to %q, want 303 to /ui/search?q=x\n%s", r.code, r.header.Get("Location"), r.body)
	}
	sc := sessionCookieOf(r)
	if sc == nil {
		t.Fatalf("log in set %v: no session cookie", r.cookies)
	}
	if !sc.Secure || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/ui/" {
		t.Errorf("session cookie %q: Secure %v HttpOnly %v SameSite %v Path %q, want Secure HttpOnly SameSite=Strict on /ui/",
			sc.String(), sc.Secure, sc.HttpOnly, sc.SameSite, sc.Path)
	}
	if sc.MaxAge <= 0 || sc.MaxAge > 12*3600 {
		t.Errorf("session cookie Max-Age %d, want at most the 12 h of a session", sc.MaxAge)
	}
	secret := f.tok["alice"]
	if strings.Contains(sc.Value, secret) || strings.Contains(sc.Value, f.ids["alice"]) {
		t.Errorf("session cookie %q holds the API token", sc.Value)
	}
	if _, ok := c.cookies["culprit_login"]; ok {
		t.Errorf("the login cookie outlives the login")
	}
	home := c.get("/ui/")
	if home.code != http.StatusOK || !strings.Contains(home.body, `data-testid="user">alice<`) || !strings.Contains(home.body, "TLP:AMBER") {
		t.Errorf("home after log in: %d, want 200 naming alice and TLP:AMBER\n%s", home.code, home.body)
	}
	if cc := home.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a page of a session has Cache-Control %q, want no-store", cc)
	}

	// A session id planted before the login is not the session's.
	c2 := f.client()
	c2.cookies["culprit_session"] = "planted"
	c2.login(f.tok["gus"])
	if c2.cookies["culprit_session"] == "planted" {
		t.Errorf("login kept the planted session id")
	}
}

func TestSessionBadTokenRefused(t *testing.T) {
	f := newWebFixture(t)
	other := f.tok["alice"]
	for _, tc := range []struct{ name, token string }{
		{"empty", ""},
		{"garbage", "not a token"},
		{"unknown", "culprit_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"altered", other[:len(other)-2] + "xy"},
		{"too long", "culprit_" + strings.Repeat("a", 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.client()
			page := c.get("/ui/login")
			r := c.post("/ui/login", url.Values{"csrf": {csrfOf(t, page.body)}, "token": {tc.token}})
			if r.code != http.StatusUnauthorized {
				t.Errorf("log in with a %s token: %d, want 401", tc.name, r.code)
			}
			if sc := sessionCookieOf(r); sc != nil && sc.Value != "" {
				t.Errorf("log in with a %s token set a session cookie", tc.name)
			}
			if !strings.Contains(r.body, "not valid") {
				t.Errorf("log in with a %s token does not say so:\n%s", tc.name, r.body)
			}
			wantLogin(t, "GET /ui/", c.get("/ui/"), http.MethodGet)
		})
	}
	// The refusal must be of the token: the same steps with a good one log
	// in.
	c := f.client()
	c.login(f.tok["alice"])
}

func TestSessionRevokedTokenRefusedAtOnce(t *testing.T) {
	f := newWebFixture(t)
	c, csrf := f.loggedIn("alice")
	c2, _ := f.loggedIn("alice") // a second browser of the same token
	g, _ := f.loggedIn("gus")
	if r := c.get("/ui/search?q=lazarus"); r.code != http.StatusOK {
		t.Fatalf("search before the revocation: %d", r.code)
	}
	if err := f.tokens.Revoke(context.Background(), f.ids["alice"]); err != nil {
		t.Fatal(err)
	}
	// No clock moves: the next request is refused, not one after a cache
	// expires.
	wantLogin(t, "GET /ui/search after the revocation", c.get("/ui/search?q=lazarus"), http.MethodGet)
	wantLogin(t, "GET /ui/search.json from the other browser", c2.get("/ui/search.json?q=lazarus"), http.MethodGet)
	wantLogin(t, "POST /ui/cases after the revocation", c.postMultipart("/ui/cases", url.Values{"csrf": {csrf}, "name": {"x"}, "tlp": {"TLP:GREEN"}, "text": {"T1485"}}), http.MethodPost)
	// Each session of the token has ended: its cookie opens nothing.
	if _, ok := c.cookies["culprit_session"]; ok {
		t.Errorf("the session cookie was not cleared")
	}
	page := c.get("/ui/login")
	r := c.post("/ui/login", url.Values{"csrf": {csrfOf(t, page.body)}, "token": {f.tok["alice"]}})
	if r.code != http.StatusUnauthorized {
		t.Errorf("log in with the revoked token: %d, want 401", r.code)
	}
	// Another token's session is untouched.
	if r := g.get("/ui/"); r.code != http.StatusOK {
		t.Errorf("gus's session after alice's revocation: %d, want 200", r.code)
	}
}

func TestSessionLogout(t *testing.T) {
	f := newWebFixture(t)
	c, csrf := f.loggedIn("alice")
	sid := c.cookies["culprit_session"]
	r := c.post("/ui/logout", url.Values{"csrf": {csrf}})
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/ui/login" {
		t.Errorf("log out: %d to %q, want 303 to /ui/login", r.code, r.header.Get("Location"))
	}
	if sc := sessionCookieOf(r); sc == nil || sc.MaxAge >= 0 {
		t.Errorf("log out does not delete the session cookie (%v)", r.cookies)
	}
	// The old id, sent again (a copy of the cookie), opens nothing: the
	// session ended on the server, not only in the browser.
	c.cookies["culprit_session"] = sid
	wantLogin(t, "GET /ui/ with the id of the ended session", c.get("/ui/"), http.MethodGet)
	c.cookies["culprit_session"] = sid
	wantLogin(t, "POST /ui/logout with the id of the ended session", c.post("/ui/logout", url.Values{"csrf": {csrf}}), http.MethodPost)
}

func TestSessionIdleAndLifetimeExpiry(t *testing.T) {
	f := newWebFixture(t)
	c, _ := f.loggedIn("gus")
	f.clock.advance(59 * time.Minute)
	if r := c.get("/ui/"); r.code != http.StatusOK {
		t.Fatalf("59 minutes idle: %d, want 200", r.code)
	}
	f.clock.advance(61 * time.Minute)
	wantLogin(t, "GET /ui/ after 61 minutes idle", c.get("/ui/"), http.MethodGet)

	// Busy all along, a session still ends 12 h after its login.
	c, _ = f.loggedIn("gus")
	for i := 0; i < 12; i++ {
		f.clock.advance(59 * time.Minute)
		if r := c.get("/ui/"); r.code != http.StatusOK {
			t.Fatalf("after %d h of use: %d, want 200", i+1, r.code)
		}
	}
	f.clock.advance(13 * time.Minute)
	wantLogin(t, "GET /ui/ 12 h after the login", c.get("/ui/"), http.MethodGet)
}

// postRoutes lists the POST routes the package registers, read from its
// source, so that a route added later is covered without being listed
// here.
func postRoutes(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"POST (/ui/[^"]*)"`)
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	sort.Strings(out)
	for _, want := range []string{"/ui/login", "/ui/logout", "/ui/cases", "/ui/cases/{id}/review/{name}", "/ui/cases/{id}/confirm"} {
		if !seen[want] {
			t.Fatalf("the POST routes read from the source (%v) miss %s: the reading is broken", out, want)
		}
	}
	return out
}

// fillRoute gives a route's wildcards the values of a real case.
func fillRoute(route, caseID, evidence string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllStringFunc(route, func(w string) string {
		switch strings.Trim(w, "{}.$") {
		case "id":
			return caseID
		case "name":
			return evidence
		}
		return "x"
	})
}

const csrfRefusal = "CSRF token is missing or wrong"

// TestCSRFEveryFormRoute posts to every POST route of the UI without the
// session's CSRF token, with a wrong one and with another session's, as
// urlencoded and multipart forms: each is refused with 403 before it does
// anything. With the right token the same post is not refused for CSRF
// (so the test can fail).
func TestCSRFEveryFormRoute(t *testing.T) {
	f := newWebFixture(t)
	owner, csrf := f.loggedIn("alice")
	id, evidence := owner.newCase(csrf, "CSRF case", "TLP:GREEN")
	_, otherCSRF := f.loggedIn("alice")
	routes := postRoutes(t)
	for _, route := range routes {
		if route == "/ui/login" {
			continue // before any session: TestCSRFLogin
		}
		path := fillRoute(route, id, evidence)
		t.Run(route, func(t *testing.T) {
			c, good := f.loggedIn("alice")
			for _, tc := range []struct {
				name string
				csrf []string
			}{
				{"no token", nil},
				{"empty token", []string{""}},
				{"wrong token", []string{strings.Repeat("A", len(good))}},
				{"another session's token", []string{otherCSRF}},
				{"token twice, first wrong", []string{"wrong", good}},
			} {
				form := url.Values{"name": {"x"}, "text": {"T1485"}, "d0": {"accept"}, "confidence": {"50"}, "actor": {"Lazarus Group"}, "kind": {"technique"}, "value": {"T1485"}}
				if tc.csrf != nil {
					form["csrf"] = tc.csrf
				}
				for enc, send := range map[string]func(string, url.Values) *response{"urlencoded": c.post, "multipart": c.postMultipart} {
					r := send(path, form)
					if r.code != http.StatusForbidden || !strings.Contains(r.body, csrfRefusal) {
						t.Errorf("POST %s (%s, %s): %d, want 403 for the CSRF token\n%s", path, tc.name, enc, r.code, r.body)
					}
				}
			}
			if r := c.get("/ui/"); r.code != http.StatusOK {
				t.Errorf("the session after the refused posts: %d, want it alive (200)", r.code)
			}
			r := c.post(path, url.Values{"csrf": {good}})
			if r.code == http.StatusForbidden && strings.Contains(r.body, csrfRefusal) {
				t.Errorf("POST %s with the session's CSRF token is refused for it", path)
			}
		})
	}
	// Nothing refused was done: the case has its one file of evidence and
	// is still open.
	page := owner.get("/ui/cases/" + id)
	if !strings.Contains(page.body, "Files of evidence (1)") || !strings.Contains(page.body, "· open") {
		t.Errorf("after the refused posts the case changed:\n%s", page.body)
	}
}

// TestCSRFLogin checks the login form's own token (double submit, before
// any session exists).
func TestCSRFLogin(t *testing.T) {
	f := newWebFixture(t)
	for _, tc := range []struct {
		name   string
		cookie bool
		form   string
	}{
		{"no cookie, no field", false, ""},
		{"no field", true, ""},
		{"no cookie", false, "from-page"},
		{"wrong field", true, "wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.client()
			page := c.get("/ui/login")
			if !tc.cookie {
				delete(c.cookies, "culprit_login")
			}
			form := url.Values{"token": {f.tok["alice"]}}
			switch tc.form {
			case "from-page":
				form.Set("csrf", csrfOf(t, page.body))
			case "wrong":
				form.Set("csrf", strings.Repeat("B", 43))
			}
			r := c.post("/ui/login", form)
			if r.code != http.StatusForbidden || sessionCookieOf(r) != nil {
				t.Errorf("log in (%s): %d, cookies %v, want 403 and no session", tc.name, r.code, r.cookies)
			}
		})
	}
}

// crawl opens every page of the UI a user reaches by following links
// from the given paths (GET, under /ui/, exports and scripts' JSON
// included), at most limit pages, and returns each page's response by
// path.
func (c *client) crawl(limit int, start ...string) map[string]*response {
	c.t.Helper()
	link := regexp.MustCompile(`(?:href|action)="(/ui/[^"#]*)`)
	seen := map[string]*response{}
	queue := append([]string(nil), start...)
	for len(queue) > 0 && len(seen) < limit {
		p := queue[0]
		queue = queue[1:]
		if _, ok := seen[p]; ok || strings.HasPrefix(p, "/ui/static/") {
			continue
		}
		r := c.get(p)
		seen[p] = r
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			continue
		}
		// Forms that post are not followed; links and GET forms are.
		body := regexp.MustCompile(`(?s)<form[^>]*method="post".*?</form>`).ReplaceAllString(r.body, "")
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			q := html.UnescapeString(m[1])
			if _, ok := seen[q]; !ok {
				queue = append(queue, q)
			}
		}
		for _, m := range regexp.MustCompile(`data-root="([^"]+)"`).FindAllStringSubmatch(r.body, -1) {
			queue = append(queue, "/ui/graph.json?id="+url.QueryEscape(html.UnescapeString(m[1])))
		}
	}
	if len(queue) > 0 {
		c.t.Fatalf("the crawl stopped at %d pages with %d to go", limit, len(queue))
	}
	return seen
}

var (
	inlineScript  = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>`)
	inlineHandler = regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
	inlineStyle   = regexp.MustCompile(`(?i)<style|<[^>]+\sstyle\s*=|javascript:`)
)

// TestCSPStrictOnEveryPage checks the Content-Security-Policy of every
// response of the UI (each page an analyst reaches, the login page, an
// error, the static files): it allows no inline script or style and
// nothing from another origin; and no page carries what that policy would
// block (an inline script, handler or style), which would break it.
func TestCSPStrictOnEveryPage(t *testing.T) {
	f := newWebFixture(t)
	c, csrf := f.loggedIn("alice")
	id, evidence := c.newCase(csrf, "CSP case", "TLP:AMBER")
	c.acceptAll(csrf, id, evidence)
	c.post("/ui/cases/"+id+"/attribute", url.Values{"csrf": {csrf}})
	second, pending := c.newCase(csrf, "CSP pending case", "TLP:GREEN")

	pages := c.crawl(1000, "/ui/", "/ui/cases/"+id, "/ui/cases/"+second+"/review/"+pending, "/ui/search?q=a",
		"/ui/search.json?q=lazarus", "/ui/compare?a=Lazarus+Group&a=APT38", "/ui/no-such-page", "/ui/actors/nobody",
		"/ui/static/ui.js", "/ui/static/ui.css", "/ui/static/graph.js", "/ui/static/favicon.svg")
	anon := f.client()
	pages["/ui/login (anonymous)"] = anon.get("/ui/login")
	pages["/ui/ (anonymous)"] = anon.get("/ui/")
	pages["POST /ui/login (bad token)"] = anon.post("/ui/login", url.Values{"csrf": {"x"}, "token": {"y"}})
	if len(pages) < 40 {
		t.Fatalf("the crawl reached %d pages, want the UI's (40 or more)", len(pages))
	}
	for _, d := range []string{"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} {
		if strings.Contains(web.CSP, d) {
			t.Errorf("the CSP %q allows %s", web.CSP, d)
		}
	}
	directives := map[string]string{}
	for _, d := range strings.Split(web.CSP, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[k] = v
	}
	for k, want := range map[string]string{"default-src": "'self'", "script-src": "'self'", "object-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'"} {
		if directives[k] != want {
			t.Errorf("CSP %s is %q, want %q", k, directives[k], want)
		}
	}
	if v, ok := directives["style-src"]; ok && v != "'self'" {
		t.Errorf("CSP style-src is %q, want 'self' or none (the default)", v)
	}
	kinds := map[string]int{}
	for p, r := range pages {
		if got := r.header.Get("Content-Security-Policy"); got != web.CSP {
			t.Errorf("%s: CSP %q, want %q", p, got, web.CSP)
		}
		if got := r.header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q, want DENY", p, got)
		}
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", p, got)
		}
		ct := r.header.Get("Content-Type")
		kinds[strings.Split(ct, ";")[0]]++
		if !strings.HasPrefix(ct, "text/html") {
			continue
		}
		for _, s := range inlineScript.FindAllString(r.body, -1) {
			if !strings.Contains(s, ` src="/ui/static/`) {
				t.Errorf("%s: an inline script %s", p, s)
			}
		}
		if m := inlineHandler.FindString(r.body); m != "" {
			t.Errorf("%s: an inline event handler %s", p, m)
		}
		if m := inlineStyle.FindString(r.body); m != "" {
			t.Errorf("%s: an inline style or javascript: URL %s", p, m)
		}
	}
	t.Logf("%d responses checked: %v", len(pages), kinds)
}

// absentTwin returns a name or id of the same shape as s that nothing has.
func absentTwin(s string) string {
	if typ, _, ok := strings.Cut(s, "--"); ok {
		return typ + "--0000ffff-0000-4000-8000-00000000ffff"
	}
	if strings.HasPrefix(s, "case-") {
		return "case-00000000ffff"
	}
	return "Nobody Here"
}

// probe is a request that names a hidden object (a search for its name,
// its page by id), and its twin, naming an object that does not exist.
type probe struct{ path, name, twin, twinPath string }

func probesOf(hidden []string) []probe {
	var out []probe
	for _, s := range hidden {
		twin := absentTwin(s)
		for _, p := range []string{"/ui/search?q=%q", "/ui/search.json?q=%q", "/ui/compare?a=%q", "/ui/actors/%p", "/ui/objects/%p", "/ui/graph.json?id=%q", "/ui/cases/%p", "/ui/cases/%p/export/stix.json"} {
			fill := func(v string) string {
				return strings.NewReplacer("%q", url.QueryEscape(v), "%p", url.PathEscape(v)).Replace(p)
			}
			out = append(out, probe{fill(s), s, twin, fill(twin)})
		}
	}
	return out
}

// echoed replaces in body what a request echoes of its own name (the
// query in the search box, the id in "not found").
func echoed(body, name string) string {
	return strings.NewReplacer(name, "NAME", html.EscapeString(name), "NAME", url.QueryEscape(name), "NAME", url.PathEscape(name), "NAME").Replace(body)
}

// TestGreenSeesNoHigherObject crawls the UI as a TLP:GREEN reader and a
// TLP:GREEN analyst, every page they reach from the home, compare, search,
// actor, object and graph pages and the AMBER case's pages and exports,
// and checks that no response names an AMBER or RED object. A request
// that itself names a hidden object (a search for it, its page by id) must
// answer exactly as the same request for an object that does not exist:
// the answer tells nothing, not even that it exists. The same crawl as a
// TLP:RED analyst shows every hidden name (so that the test can fail).
func TestGreenSeesNoHigherObject(t *testing.T) {
	f := newWebFixture(t)
	a, csrf := f.loggedIn("alice")
	amberCase, ev := a.newCase(csrf, "Kestrel amber case", "TLP:AMBER")
	a.acceptAll(csrf, amberCase, ev)
	a.post("/ui/cases/"+amberCase+"/attribute", url.Values{"csrf": {csrf}})

	start := []string{"/ui/", "/ui/compare?a=Open+Bear&a=Lazarus+Group", "/ui/actors/Grizzly", "/ui/search?q=Grizzly", "/ui/search.json?q=Grizzly",
		"/ui/search?q=panda", "/ui/search?q=kitten", "/ui/search?q=secret", "/ui/search?q=case", "/ui/search.json?q=case", "/ui/search?q=" + amberCase,
		"/ui/actors/intrusion-set--0000000a-0000-4000-8000-00000000000a", "/ui/objects/malware--00000014-0000-4000-8000-000000000014",
		"/ui/objects/attack-pattern--0000001e-0000-4000-8000-00000000001e",
		"/ui/graph.json?id=intrusion-set--0000000a-0000-4000-8000-00000000000a",
		"/ui/graph.json?id=malware--00000014-0000-4000-8000-000000000014",
		"/ui/graph.json?id=attack-pattern--0000001e-0000-4000-8000-00000000001e",
		"/ui/cases/" + amberCase + "/export/report.md", "/ui/cases/" + amberCase + "/export/report.html",
		"/ui/cases/" + amberCase + "/review/" + ev}
	probes := probesOf(append(append([]string(nil), hiddenFromGreen...), amberCase))
	for _, user := range []string{"gus", "gail"} {
		t.Run(user, func(t *testing.T) {
			c, _ := f.loggedIn(user)
			pages := c.crawl(2000, start...)
			if len(pages) < 60 {
				t.Fatalf("the crawl reached %d pages, want the UI's (60 or more)", len(pages))
			}
			ok := 0
			for p, r := range pages {
				if r.code == http.StatusOK {
					ok++
				}
				for _, s := range hiddenFromGreen {
					if strings.Contains(r.body, s) || strings.Contains(r.body, html.EscapeString(s)) {
						t.Errorf("%s shows %q to %s (TLP:GREEN):\n%s", p, s, user, r.body)
					}
				}
			}
			if ok < 50 {
				t.Errorf("only %d of %d pages opened for %s", ok, len(pages), user)
			}
			for _, pr := range probes {
				got, twin := c.get(pr.path), c.get(pr.twinPath)
				if got.code != twin.code || echoed(got.body, pr.name) != echoed(twin.body, pr.twin) {
					t.Errorf("%s answers %s (TLP:GREEN) otherwise than %s, of nothing: %d, %d\n%s\n---\n%s", pr.path, user, pr.twinPath,
						got.code, twin.code, got.body, twin.body)
				}
			}
		})
	}
	t.Run("rita (TLP:RED)", func(t *testing.T) {
		c, _ := f.loggedIn("rita")
		pages := c.crawl(2000, start...)
		shown := map[string]bool{}
		for _, r := range pages {
			for _, s := range hiddenFromGreen {
				if strings.Contains(r.body, s) {
					shown[s] = true
				}
			}
		}
		differ := 0
		for _, pr := range probes {
			got, twin := c.get(pr.path), c.get(pr.twinPath)
			if got.code != twin.code || echoed(got.body, pr.name) != echoed(twin.body, pr.twin) {
				differ++
			}
			for _, s := range hiddenFromGreen {
				if strings.Contains(got.body, s) && (s != pr.name || got.code == http.StatusOK) {
					shown[s] = true
				}
			}
		}
		for _, s := range hiddenFromGreen {
			if !shown[s] && s != "Ruby Secret" {
				t.Errorf("no page shows %q to a TLP:RED analyst: the GREEN crawl proves nothing about it", s)
			}
		}
		if differ < len(probes)/3 {
			t.Errorf("only %d of %d probes answer a TLP:RED analyst otherwise than their twins: the GREEN probes prove little", differ, len(probes))
		}
	})
}
