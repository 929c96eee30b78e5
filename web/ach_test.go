package web_test

import (
	"bytes"
	"encoding/csv"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// achClient is a browser without JavaScript for the matrix tests: its
// cookies kept by hand (the session cookie is Secure, which a cookie jar
// does not send over the test server's plain HTTP) and redirects not
// followed.
type achClient struct {
	t       *testing.T
	base    string
	cookies map[string]string
	hc      *http.Client
}

func newACHClient(t *testing.T, base string) *achClient {
	return &achClient{t: t, base: base, cookies: map[string]string{}, hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status, the Location and the body.
func (c *achClient) do(method, path, ctype string, body []byte) (int, string, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if res.StatusCode >= 500 {
		c.t.Fatalf("%s %s: %d\n%s", method, path, res.StatusCode, b)
	}
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func (c *achClient) get(path string) (int, string) {
	c.t.Helper()
	code, _, body := c.do(http.MethodGet, path, "", nil)
	return code, body
}

func (c *achClient) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	return c.do(http.MethodPost, path, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

var achCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *achClient) csrf(body string) string {
	c.t.Helper()
	m := achCSRF.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

// login logs in with an API token and returns the session's CSRF token.
func (c *achClient) login(secret string) string {
	c.t.Helper()
	_, login := c.get("/ui/login")
	if code, _, body := c.post("/ui/login", url.Values{"csrf": {c.csrf(login)}, "token": {secret}, "next": {"/ui/"}}); code != http.StatusSeeOther {
		c.t.Fatalf("log in: %d\n%s", code, body)
	}
	_, home := c.get("/ui/")
	return c.csrf(home)
}

// attributedCase logs in as secret, opens a case of level tlp from the
// wiper report,
// accepts its items but the claims of other actors than Lazarus Group,
// attributes it, and returns its id and the session's CSRF token.
func (c *achClient) attributedCase(secret, tlp string) (string, string) {
	c.t.Helper()
	csrf := c.login(secret)
	return c.newAttributedCase(csrf, tlp), csrf
}

// newAttributedCase is attributedCase for a logged-in client: it returns
// the case's id.
func (c *achClient) newAttributedCase(csrf, tlp string) string {
	c.t.Helper()
	report, err := os.ReadFile(filepath.Join("testdata", "wiper-report.txt"))
	if err != nil {
		c.t.Fatal(err)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range map[string]string{"csrf": csrf, "name": "Matrix case", "tlp": tlp, "text": string(report)} {
		mw.WriteField(k, v)
	}
	mw.Close()
	code, loc, body := c.do(http.MethodPost, "/ui/cases", mw.FormDataContentType(), b.Bytes())
	m := regexp.MustCompile(`^/ui/cases/(case-[0-9a-f]+)/review/([^/]+)$`).FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil {
		c.t.Fatalf("create a case: %d, Location %q\n%s", code, loc, body)
	}
	id := m[1]
	_, review := c.get(loc)
	form := url.Values{"csrf": {csrf}}
	for _, d := range regexp.MustCompile(`name="d(\d+)" value="accept"`).FindAllStringSubmatch(review, -1) {
		form.Set("d"+d[1], "accept")
	}
	// A claim of another actor (the wiper's authors naming themselves)
	// is rejected, as the browser test's analyst does.
	for _, cl := range regexp.MustCompile(`name="v(\d+)" value="([^"]*)"`).FindAllStringSubmatch(review, -1) {
		if !strings.Contains(review, `name="rel`+cl[1]+`"`) {
			continue // not a claim
		}
		if html.UnescapeString(cl[2]) != "Lazarus Group" {
			form.Set("d"+cl[1], "reject")
		}
		form.Set("rel"+cl[1], "B")
		form.Set("cred"+cl[1], "2")
	}
	if code, _, body := c.post(loc, form); code != http.StatusSeeOther {
		c.t.Fatalf("accept the items: %d\n%s", code, body)
	}
	if code, _, body := c.post("/ui/cases/"+id+"/attribute", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		c.t.Fatalf("attribute: %d\n%s", code, body)
	}
	return id
}

var (
	achRanking = regexp.MustCompile(`(?s)<ol class="ranking" data-testid="ranking">(.*?)</ol>`)
	achRankRow = regexp.MustCompile(`(?s)<li><span class="hyp-name">(?:<a [^>]*>)?([^<]+)(?:</a>)?.*?<span class="prob">([^<]+)</span>`)
	achCell    = regexp.MustCompile(`<td class="ach-cell rating-([a-z-]+)([^"]*)" data-item="([^"]+)" data-hyp="([^"]+)"`)
)

// ranking reads the matrix page's ranking: names and percentages.
func ranking(t *testing.T, page string) []string {
	t.Helper()
	m := achRanking.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no ranking on the matrix page:\n%s", page)
	}
	var out []string
	for _, r := range achRankRow.FindAllStringSubmatch(m[1], -1) {
		out = append(out, html.UnescapeString(r[1])+" "+html.UnescapeString(r[2]))
	}
	return out
}

// TestACHOverride opens the matrix of an attributed case, checks it is a
// table a screen reader can walk (column and row headers) with ratings
// in words, rates a cell of the leading hypothesis very inconsistent with
// a reason, and checks that the rating is kept with the analyst's name,
// listed with the rating it replaced, marks the cell, changes the
// ranking, and goes into the CSV export; a rating without a reason or off
// the scale is refused and changes nothing.
func TestACHOverride(t *testing.T) {
	srv := newUIServer(t, false)
	c := newACHClient(t, srv.url)
	id, csrf := c.attributedCase(srv.tok["alice"], "TLP:GREEN")
	code, page := c.get("/ui/cases/" + id + "/ach")
	if code != http.StatusOK {
		t.Fatalf("GET the matrix: %d\n%s", code, page)
	}
	if !strings.Contains(page, `id="rate-form"`) {
		if os.Getenv("CI") == "true" {
			t.Fatal("the matrix page has no cell editor: the server's UI backend does not implement web.Overrider")
		}
		t.Skip("the server's UI backend does not implement web.Overrider (server/ui.go): no override to test")
	}
	for _, want := range []string{`<th scope="col">Evidence</th>`, `<th scope="row" class="item">`, `aria-sort="descending"`,
		`<label for="rate-reason">`, `<label for="rate-rating">`, `<label for="rate-item">`, `<label for="rate-hyp">`,
		"an actor not in the knowledge base", "very consistent"} {
		if !strings.Contains(page, want) {
			t.Errorf("the matrix page has no %q", want)
		}
	}
	before := ranking(t, page)
	if len(before) < 2 || !strings.HasPrefix(before[0], "Lazarus Group ") {
		t.Fatalf("ranking %q, want Lazarus Group first", before)
	}
	// The first row is the most diagnostic; its first column the leading
	// hypothesis.
	cells := achCell.FindAllStringSubmatch(page, -1)
	if len(cells) == 0 {
		t.Fatalf("no cell in the matrix:\n%s", page)
	}
	item, hyp := html.UnescapeString(cells[0][3]), html.UnescapeString(cells[0][4])
	if cells[0][1] == "very-inconsistent" {
		t.Fatalf("the most diagnostic cell of Lazarus Group is already very inconsistent: pick another in the test")
	}
	path := "/ui/cases/" + id + "/ach"

	// Refused: no reason, a rating off the scale, no CSRF token.
	for _, bad := range []url.Values{
		{"csrf": {csrf}, "item": {item}, "hypothesis": {hyp}, "rating": {"very-inconsistent"}, "reason": {"  "}},
		{"csrf": {csrf}, "item": {item}, "hypothesis": {hyp}, "rating": {"somewhat"}, "reason": {"because"}},
		{"item": {item}, "hypothesis": {hyp}, "rating": {"II"}, "reason": {"because"}},
		{"csrf": {csrf}, "item": {"technique: T9999"}, "hypothesis": {hyp}, "rating": {"II"}, "reason": {"because"}},
	} {
		if code, _, _ := c.post(path, bad); code < 400 {
			t.Errorf("POST %s with %v: %d, want a refusal", path, bad, code)
		}
	}
	if _, p := c.get(path); strings.Contains(p, `data-testid="overrides"`) {
		t.Fatalf("a refused override was kept:\n%s", p)
	}

	reason := "The wiper's code was public by then <script>x</script>"
	code, loc, body := c.post(path, url.Values{"csrf": {csrf}, "item": {item}, "hypothesis": {hyp}, "rating": {"II"},
		"reason": {reason}, "version": {regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)[1]}})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, path) {
		t.Fatalf("POST the override: %d, Location %q\n%s", code, loc, body)
	}
	_, after := c.get(path)
	now := ranking(t, after)
	if strings.Join(now, "|") == strings.Join(before, "|") {
		t.Errorf("the ranking did not change with the override: %q", now)
	}
	if !strings.HasPrefix(now[0], "Lazarus Group ") && !strings.Contains(strings.Join(now, "|"), "Lazarus Group") {
		t.Errorf("Lazarus Group is gone from the ranking: %q", now)
	}
	if before[0] == now[0] {
		t.Logf("Lazarus Group keeps the lead: %q -> %q", before[0], now[0])
	}
	ov := regexp.MustCompile(`(?s)<table class="list overrides" data-testid="overrides">(.*?)</table>`).FindStringSubmatch(after)
	if ov == nil {
		t.Fatalf("no list of overrides after overriding:\n%s", after)
	}
	for _, want := range []string{"alice", html.EscapeString(reason), "→ <strong>II very inconsistent</strong>"} {
		if !strings.Contains(ov[1], want) {
			t.Errorf("the list of overrides has no %q:\n%s", want, ov[1])
		}
	}
	if strings.Contains(after, "<script>x</script>") {
		t.Error("the reason is not escaped")
	}
	var marked bool
	for _, m := range achCell.FindAllStringSubmatch(after, -1) {
		if html.UnescapeString(m[3]) == item && html.UnescapeString(m[4]) == hyp {
			marked = m[1] == "very-inconsistent" && strings.Contains(m[2], "overridden") && strings.Contains(m[2], "disputed")
		}
	}
	if !marked {
		t.Errorf("the overridden cell (%s, %s) is not very inconsistent, overridden and disputed", item, hyp)
	}
	if !strings.Contains(after, "1 disputed cell") {
		t.Error("the matrix does not count its disputed cell")
	}
	_, casePage := c.get("/ui/cases/" + id)
	if !strings.Contains(casePage, `href="/ui/cases/`+id+`/ach"`) || !strings.Contains(casePage, "(1 rating by analysts)") {
		t.Error("the case page does not link the matrix with its count of ratings")
	}

	// The CSV export has the override.
	code, csvText := c.get("/ui/cases/" + id + "/export/ach.csv")
	if code != http.StatusOK {
		t.Fatalf("GET the CSV: %d\n%s", code, csvText)
	}
	recs, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV export does not parse: %v\n%s", err, csvText)
	}
	if len(recs) != strings.Count(after, `<th scope="row"`)+1 {
		t.Errorf("CSV has %d records, want a header and one per row of the matrix", len(recs))
	}
	if last := recs[0][len(recs[0])-1]; last != "overrides" || !strings.Contains(csvText, "very inconsistent by alice on ") {
		t.Errorf("the CSV export has no override by alice (last column %q):\n%s", last, csvText)
	}

	// The reports carry the matrix: the printable one with the rated cell
	// marked and the analyst's rating listed, the Markdown one (assess's)
	// with the cell as rated.
	code, printable := c.get("/ui/cases/" + id + "/export/report.html")
	if code != http.StatusOK {
		t.Fatalf("GET the printable report: %d\n%s", code, printable)
	}
	for _, want := range []string{"<h2>Competing hypotheses</h2>", "<td>II†", "<td>alice</td>", html.EscapeString(reason)} {
		if !strings.Contains(printable, want) {
			t.Errorf("the printable report has no %q", want)
		}
	}
	if n, rows := strings.Count(printable, `<tr><th scope="row">`), strings.Count(after, `<th scope="row"`); n != rows {
		t.Errorf("the printable report's matrix has %d rows, the matrix page %d", n, rows)
	}
	if code, md := c.get("/ui/cases/" + id + "/export/report.md"); code != http.StatusOK || !strings.Contains(md, "very inconsistent") {
		t.Errorf("GET the Markdown report: %d, with the overridden cell's rating %v", code, strings.Contains(md, "very inconsistent"))
	}

	// A second rating of the cell applies in place of the first, which
	// stays listed: the list reads first → second.
	if code, _, body := c.post(path, url.Values{"csrf": {csrf}, "item": {item}, "hypothesis": {hyp}, "rating": {"neutral"},
		"reason": {"Second thoughts: the address says nothing either way"}}); code != http.StatusSeeOther {
		t.Fatalf("POST the second override: %d\n%s", code, body)
	}
	_, again := c.get(path)
	if !strings.Contains(again, "II very inconsistent → <strong>N neutral</strong>") || strings.Count(again, "<td>alice</td>") != 2 {
		t.Errorf("the second override is not listed after the first with the rating it replaced")
	}
	for _, m := range achCell.FindAllStringSubmatch(again, -1) {
		if html.UnescapeString(m[3]) == item && html.UnescapeString(m[4]) == hyp && (m[1] != "neutral" || !strings.Contains(m[2], "disputed")) {
			t.Errorf("the cell after the second override: rating %s, classes %q; want neutral, disputed", m[1], m[2])
		}
	}

	// A reader sees the matrix and the overrides, and no editor.
	g := newACHClient(t, srv.url)
	g.login(srv.tok["gus"])
	code, gp := g.get(path)
	if code != http.StatusOK || strings.Contains(gp, `id="rate-form"`) || !strings.Contains(gp, `data-testid="overrides"`) {
		t.Errorf("a reader's matrix page: %d, editor %v, overrides %v", code, strings.Contains(gp, `id="rate-form"`), strings.Contains(gp, `data-testid="overrides"`))
	}
	if code, _, _ := g.post(path, url.Values{"csrf": {g.csrf(gp)}, "item": {item}, "hypothesis": {hyp}, "rating": {"CC"}, "reason": {"mine"}}); code != http.StatusForbidden {
		t.Errorf("a reader's override: %d, want 403", code)
	}
}
