package web_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/culprit-cti/culprit/ssdeep"
)

// TestBrowserCase drives the UI as an analyst would, in headless
// chromium: log in with a token, open a case from a pasted news report,
// accept what was extracted (rating the claim), attribute, see Lazarus
// Group ranked first, override a cell of the matrix of competing
// hypotheses (the ranking changes, the override is listed), upload a
// sample (its hashes and the known sample near it shown), export the
// case's Navigator layer and validate it, open the actor page, expand the
// graph and export the actor's layer, search from the box with the
// keyboard, open an object's page and the printable report, and compare
// three actors; then every page again at 1280 and 420 px (no horizontal
// overflow) with a contrast check. Each step is screenshotted; any
// JavaScript console error fails the test. Without the race detector and
// with CULPRIT_UI_FULL=1 it runs at 100,000 knowledge objects and checks
// that each page renders in under 300 ms and the Lazarus graph opens in
// under 1 s (the Performance API's navigation timing).
func TestBrowserCase(t *testing.T) {
	findChromium(t)
	// Opt in: .ci/run's full-scale section sets it (about 40 s with the
	// build); a plain go test ./web stays at the starter knowledge, with
	// no time bounds, on a developer's loaded machine.
	full := !raceEnabled && os.Getenv("CULPRIT_UI_FULL") != ""
	start := time.Now()
	// A known sample of KillDisk near the file the analyst uploads.
	upload := sampleFile(3, 16<<10)
	srv := newUIServer(t, full, knownSample(t, nearFile(upload, 0x21), knownKillDisk, "killdisk-2016.bin", killDisk, "")...)
	t.Logf("knowledge: %d objects, loaded in %s", srv.objs, time.Since(start).Round(time.Millisecond))
	report, err := os.ReadFile(filepath.Join("testdata", "wiper-report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1280, 900)
	times := map[string]float64{}
	details := map[string]string{} // of the timed views: where the time went
	// timed opens a page twice (the first view builds the per-snapshot
	// catalog) and keeps the second render time. A light page of the
	// same origin between the two (the same renderer, unlike about:blank;
	// a page with the UI's icon, unlike a bare image) ends the first
	// view's scripts (the actor page's graph layout): their work is not
	// the second view's.
	timed := func(name, url string) {
		t.Helper()
		b.run("open "+name, chromedp.Navigate(url))
		b.run("leave "+name, chromedp.Navigate(srv.url+"/ui/login"), chromedp.WaitVisible(chromedp.CSS(`footer`)))
		b.run("reopen "+name, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`main`)))
		times[name] = b.renderTime()
		details[name] = b.timingDetail()
	}

	b.run("open the UI", chromedp.Navigate(srv.url+"/"), chromedp.WaitVisible(chromedp.ID(`#token`)))
	loc := get(b, "location", chromedp.Location())
	if !strings.Contains(loc, "/ui/login") {
		t.Fatalf("/ without a session went to %s, want the login page", loc)
	}
	b.shot("login")
	b.run("log in", chromedp.SendKeys(chromedp.ID(`#token`), srv.tok["alice"]), chromedp.Submit(chromedp.ID(`#token`)),
		chromedp.WaitVisible(chromedp.ID(`#new-case`)))
	who := get(b, "read the user", chromedp.Text(chromedp.CSS(`.who`)))
	if lw := strings.ToLower(who); !strings.Contains(lw, "alice") || !strings.Contains(lw, "analyst") || !strings.Contains(who, "TLP:AMBER") {
		t.Errorf("header shows %q, want the user alice, role analyst and TLP:AMBER", who)
	}
	timed("home", srv.url+"/ui/")

	// The case's first report is extracted as the API would: at full
	// scale the server builds its technique model over ATT&CK then.
	start = time.Now()
	b.run("create a case", chromedp.SendKeys(chromedp.ID(`#case-name`), "Northbridge Media wiper"),
		chromedp.SetValue(chromedp.ID(`#case-text`), string(report)),
		chromedp.Click(chromedp.CSS(`#new-case ~ form button[type=submit], #new-case + form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID(`#review-form`)))
	t.Logf("the case opened from the pasted report, extracted, in %s", time.Since(start).Round(time.Millisecond))
	items := get(b, "count the items", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=review-item]').length`))
	if items < 8 {
		t.Errorf("review lists %d items, want the report's techniques, software, indicators and claims (8 or more)", items)
	}
	kinds := get(b, "kinds", chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid=review-item] legend')].map(e => e.textContent).join("|")`))
	for _, want := range []string{"technique", "software", "indicator", "claim"} {
		if !strings.Contains(kinds, want) {
			t.Errorf("review items %q: no %s", kinds, want)
		}
	}
	reviewURL := get(b, "review url", chromedp.Location())
	timed("review", reviewURL)
	b.shot("review")
	// Accept everything, then reject the claims about other actors than
	// Lazarus Group (the Guardians of Peace speaking of themselves) and
	// rate the FBI's claim B2.
	b.run("accept every item", chromedp.Click(chromedp.ID(`#accept-all`)))
	b.run("rate the claims", chromedp.Evaluate[chromedp.Void](`(() => {
		for (const li of document.querySelectorAll('.kind-claim')) {
			const actor = li.querySelector('input[name^=v]').value;
			const n = li.querySelector('input[name^=v]').name.slice(1);
			if (actor !== 'Lazarus Group') { li.querySelector('input[value=reject]').checked = true; continue; }
			li.querySelector('select[name=rel' + n + ']').value = 'B';
			li.querySelector('select[name=cred' + n + ']').value = '2';
		}
		})()`))
	b.shot("review-decided")
	b.run("add the accepted items", chromedp.Click(chromedp.CSS(`#review-form button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.ID(`#evidence-h`)))
	b.run("attribute", chromedp.Click(chromedp.CSS(`form.attribute button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=hypothesis]`)))
	first := get(b, "read the first hypothesis", chromedp.Text(chromedp.CSS(`[data-testid=hypothesis] .hyp-name`)))
	if first != "Lazarus Group" {
		t.Errorf("first hypothesis is %q, want Lazarus Group", first)
	}
	caseURL := get(b, "case url", chromedp.Location())
	caseURL = strings.TrimSuffix(caseURL, "#result")
	timed("case", caseURL)
	// The suggestions of software and claimed actors are not in the page
	// (thousands of names at full scale): the first focus or key loads
	// them.
	b.run("type in the software input", chromedp.Focus(chromedp.CSS(`#add-software`)), chromedp.SendKeys(chromedp.CSS(`#add-software`), "Kill"))
	if n := get(b, "wait for the software suggestions", chromedp.Poll[int](`document.querySelectorAll('#software option').length`, chromedp.WithPollingTimeout(10*time.Second))); n < 5 {
		t.Errorf("the software input offers %d suggestions", n)
	}
	// So do the ATT&CK picker's techniques (hundreds at full scale).
	b.run("type in the technique picker", chromedp.Focus(chromedp.CSS(`#add-technique`)), chromedp.SendKeys(chromedp.CSS(`#add-technique`), "T1485"))
	if n := get(b, "wait for the technique suggestions", chromedp.Poll[int](`document.querySelectorAll('#techniques option[value="T1485 Data Destruction"]').length`, chromedp.WithPollingTimeout(10*time.Second))); n != 1 {
		t.Errorf("the technique picker offers T1485 Data Destruction %d times", n)
	}
	b.run("scroll to the result", chromedp.ScrollIntoView(chromedp.ID(`#result-h`)))
	b.shot("case-ranked")

	// The matrix of competing hypotheses: rate the most diagnostic cell of
	// the leading hypothesis very inconsistent, with a reason (keyboard:
	// the cell's Rate link fills the editor and focuses its rating).
	achURL := b.achOverride(t)

	// A sample from the case page's form: its hashes and the known
	// sample of KillDisk near it.
	b.uploadSample(t, caseURL, upload)

	// The case's ATT&CK Navigator layer, from the case page's export link.
	b.run("back to the case", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(`[data-testid=navigator-layer]`)))
	start = time.Now()
	caseLayer := b.fetchLink(`.exports [data-testid=navigator-layer]`)
	t.Logf("the case's Navigator layer: %d bytes in %s", len(caseLayer), time.Since(start).Round(time.Millisecond))
	_, scores := validLayer(t, "the case's Navigator layer", []byte(caseLayer))
	if scores["T1485"] == 0 || scores["T1489"] == 0 {
		t.Errorf("the case's layer scores T1485 %v and T1489 %v, the report's techniques", scores["T1485"], scores["T1489"])
	}

	// The actor page and its graph, expanded one node further.
	// (After the override Lazarus Group need not be first: its link.)
	b.run("open the actor", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(`[data-testid=hypothesis]`)),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('[data-testid=hypothesis] a.hyp-name')].find(a => a.textContent === "Lazarus Group").click()`),
		chromedp.WaitVisible(chromedp.ID(`#graph-canvas`)))
	actorURL := get(b, "actor url", chromedp.Location())
	timed("actor", actorURL)
	graphMS := get(b, "wait for the graph", chromedp.Poll[float64](`window.culpritGraph && window.culpritGraph.ready && window.culpritGraph.nodes.length > 1 ? performance.now() : 0`, chromedp.WithPollingTimeout(30*time.Second)))
	times["actor graph"] = graphMS
	before := get(b, "count nodes", chromedp.Evaluate[int](`window.culpritGraph.nodes.length`))
	// The first layout spreads the nodes so that their labels can be read
	// (it once dropped them at random within 80 units of the actor).
	gap := get(b, "closest two nodes", chromedp.Evaluate[float64](`(() => { const n = window.culpritGraph.nodes; let m = 1e9; for (let i = 0; i < n.length; i++) for (let j = i + 1; j < n.length; j++) m = Math.min(m, Math.hypot(n[i].x - n[j].x, n[i].y - n[j].y)); return m; })()`))
	if gap < 20 {
		t.Errorf("the graph's first layout puts two of its %d nodes %.1f units apart, want at least 20", before, gap)
	}
	// Expand a piece of software (keyboard: focus its button in the node
	// list and press Enter).
	// Expand pieces of software (keyboard: focus a button of the node list
	// and press Enter) until one brings new nodes.
	get(b, "open the node list", chromedp.Evaluate[bool](`document.querySelector("#graph details").open = true`))
	after := before
	for i := 0; i < 6 && after <= before; i++ {
		found := get(b, "focus a node", chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const b = [...document.querySelectorAll('#graph-list button')].filter(b => / \((malware|tool|campaign), /.test(b.textContent))[%d]; if (!b) return false; b.focus(); return true; })()`, i)))
		if !found {
			break
		}
		b.run("expand the node", chromedp.KeyEvent("\r"), chromedp.Sleep(100*time.Millisecond))
		get(b, "wait for the expansion", chromedp.Poll[bool](`window.culpritGraph.ready`, chromedp.WithPollingTimeout(20*time.Second)))
		after = get(b, "count nodes again", chromedp.Evaluate[int](`window.culpritGraph.nodes.length`))
	}
	if after <= before {
		t.Errorf("expanding a node: %d nodes, then %d", before, after)
	}
	// Responsive with all its nodes: the longest gap between two frames
	// while one more node expands and the layout settles (1.5 s), which
	// includes the frames the expansion's placement delays.
	worst := get(b, "measure the frames of an expansion", chromedp.Evaluate[float64](`new Promise(res => {
		const n = window.culpritGraph.nodes.find(n => !n.expanded && /^(malware|tool|campaign)$/.test(n.type));
		if (n) window.culpritGraph.expand(n.id);
		const t0 = performance.now(); let last = t0, worst = 0;
		const f = now => { worst = Math.max(worst, now - last); last = now; if (now - t0 < 1500) requestAnimationFrame(f); else res(worst); };
		requestAnimationFrame(f);
	})`, chromedp.EvalAwaitPromise))
	times["graph frame"] = worst
	t.Logf("the graph at %d nodes: longest frame %.0f ms while a node expands", get(b, "count the nodes", chromedp.Evaluate[int](`window.culpritGraph.nodes.length`)), worst)
	b.run("scroll to the graph", chromedp.ScrollIntoView(chromedp.ID(`#graph-h`)), chromedp.Sleep(500*time.Millisecond))
	b.shot("actor-graph")
	start = time.Now()
	actorLayer := b.fetchLink(`[data-testid=navigator-layer]`)
	t.Logf("the actor's Navigator layer: %d bytes in %s", len(actorLayer), time.Since(start).Round(time.Millisecond))
	if l, scores := validLayer(t, "the actor's Navigator layer", []byte(actorLayer)); len(scores) == 0 || !strings.Contains(l.Name, "Lazarus Group") {
		t.Errorf("the actor's layer %q has %d techniques", l.Name, len(scores))
	}

	// Search from the box, keyboard only.
	b.run("search", chromedp.Navigate(srv.url+"/ui/"), chromedp.WaitVisible(chromedp.ID(`#q`)),
		chromedp.Focus(chromedp.ID(`q`)), chromedp.SendKeys(chromedp.ID(`q`), "KillDisk"),
		chromedp.WaitVisible(chromedp.CSS(`#q-list li`)))
	get(b, "wait for the suggestions", chromedp.Poll[bool](`document.getElementById("q-list").dataset.q === "KillDisk"`, chromedp.WithPollingTimeout(10*time.Second)))
	b.shot("search-suggestions")
	b.run("move to the first suggestion", chromedp.KeyEvent(kb.ArrowDown))
	if sel := get(b, "read the selection", chromedp.Evaluate[string](`document.getElementById("q").getAttribute("aria-activedescendant") || ""`)); sel != "q-opt-0" {
		t.Errorf("after arrow down the active suggestion is %q, want q-opt-0", sel)
	}
	b.run("choose it", chromedp.KeyEvent(kb.Enter), chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(chromedp.CSS(`footer`)))
	h1 := get(b, "read the title", chromedp.Text(chromedp.CSS(`h1`)))
	if !strings.Contains(h1, "KillDisk") {
		t.Errorf("the first suggestion for KillDisk opened %q", h1)
	}
	timed("search", srv.url+"/ui/search?q=lazarus")
	// An object's page (a piece of software the first suggestion for
	// KillDisk opened) and the case's printable report.
	objectURL := get(b, "object url", chromedp.Location())
	timed("object", objectURL)
	timed("report", caseURL+"/export/report.html")

	// Three actors on one matrix.
	// By STIX id: with the MISP galaxies (the full run) the name APT38, and
	// even G0082, is a name of Lazarus Group's cluster too, and the page
	// asks which.
	compareURL := srv.url + "/ui/compare?a=" + lazarus + "&a=intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340&a=intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192"
	timed("compare", compareURL)
	if got := get(b, "read the compared actors", chromedp.Evaluate[string](`[...document.querySelectorAll('.compare-legend li a')].map(a => a.textContent).join("|")`)); got != "Lazarus Group|APT38|Sandworm Team" {
		t.Errorf("the comparison's legend lists %q, want Lazarus Group|APT38|Sandworm Team", got)
	}
	b.shot("compare")

	// At 1280 px and on a narrow screen no page has a horizontal scroll
	// bar (the matrix scrolls in its own box), and its text contrasts
	// with its background as WCAG 2 AA asks.
	timed("ach", achURL)
	pages := []struct{ name, url, wait string }{{"case", caseURL, `#result-h`}, {"ach", achURL, `#matrix-h`},
		{"home", srv.url + "/ui/", `#new-case`}, {"actor", actorURL, `#graph-h`}, {"search", srv.url + "/ui/search?q=lazarus", `footer`},
		{"compare", compareURL, `footer`},
		{"report", caseURL + "/export/report.html", `h1`}, {"object", objectURL, `footer`}}
	for _, w := range []int{1280, 420} {
		for _, pg := range pages {
			b.run(fmt.Sprintf("%s at width %d", pg.name, w), chromedp.EmulateViewport(int64(w), 900), chromedp.Navigate(pg.url),
				chromedp.WaitVisible(chromedp.CSS(pg.wait)))
			overflow := get(b, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
			if overflow {
				t.Errorf("the %s page is wider than a %d px window", pg.name, w)
			}
			if w == 1280 {
				for _, low := range get(b, "contrast", chromedp.Evaluate[[]string](lowContrastJS)) {
					t.Errorf("the %s page: text below WCAG AA contrast: %s", pg.name, low)
				}
			}
			if w < 1280 && (pg.name == "case" || pg.name == "ach") {
				b.shot(pg.name + "-narrow")
			}
		}
	}

	var names []string
	for k := range times {
		names = append(names, k)
	}
	sort.Strings(names)
	var lines []string
	for _, k := range names {
		line := fmt.Sprintf("%-12s %7.1f ms", k, times[k])
		if d, ok := details[k]; ok {
			line += "  (" + d + ")"
		}
		lines = append(lines, line)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	summary := fmt.Sprintf("%d knowledge objects, load %s\n%s\n", srv.objs, strings.TrimSpace(string(load)), strings.Join(lines, "\n"))
	t.Log("render times (Performance API, navigation start to load end):\n" + summary)
	os.WriteFile(filepath.Join(b.dir, "timings.txt"), []byte(summary), 0o644)
	if full {
		for _, k := range names {
			limit := 300.0
			switch k {
			case "actor graph":
				limit = 1000
			case "graph frame":
				// A freeze, not a stutter: 33-183 ms in runs at load
				// 2.5-6.9 on the shared 2 cores (100 ms failed there at
				// load 5.7-6.9); a layout of all 2,000 nodes in one
				// frame would take seconds.
				limit = 250
			}
			if times[k] > limit {
				t.Errorf("%s: %.0f ms at %d objects, want under %.0f ms", k, times[k], srv.objs, limit)
			}
		}
	}
}

// achOverride opens the matrix of competing hypotheses from the case page
// (the case ranked, Lazarus Group first), rates the most diagnostic cell
// of the leading hypothesis very inconsistent with a reason, using the
// keyboard, and checks that the ranking changes and that the override is
// listed with the analyst, the reason and the rating it replaced. It
// returns the matrix page's URL.
func (b *browser) achOverride(t *testing.T) string {
	t.Helper()
	b.run("open the matrix", chromedp.Click(chromedp.CSS(`[data-testid=ach-link]`)), chromedp.WaitVisible(chromedp.CSS(`table.ach`)))
	achURL := strings.Split(get(b, "matrix url", chromedp.Location()), "#")[0]
	b.shot("ach-matrix")
	ranking := func() string {
		return get(b, "read the ranking", chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid=ranking] li')].map(li => li.querySelector('.hyp-name').textContent.trim() + " " + li.querySelector('.prob').textContent).join(" | ")`))
	}
	before := ranking()
	if !strings.HasPrefix(before, "Lazarus Group ") {
		t.Errorf("the matrix page ranks %q, want Lazarus Group first", before)
	}
	cells := get(b, "read the cells", chromedp.Evaluate[int](`document.querySelectorAll('table.ach td.ach-cell').length`))
	headers := get(b, "read the row headers", chromedp.Evaluate[int](`document.querySelectorAll('table.ach tbody th[scope=row]').length`))
	if cells == 0 || headers == 0 || cells%headers != 0 {
		t.Errorf("the matrix has %d cells in %d rows", cells, headers)
	}
	if !get(b, "find the editor", chromedp.Evaluate[bool](`!!document.getElementById("rate-form")`)) {
		if os.Getenv("CI") == "true" {
			t.Fatal("the matrix page has no cell editor: the server's UI backend does not implement web.Overrider")
		}
		t.Log("NOT CHECKED: the matrix page has no cell editor (server/ui.go does not implement web.Overrider): no override in this run")
		return achURL
	}
	// The first cell of the first row: the leading hypothesis' column.
	b.run("focus the first cell's Rate link", chromedp.Focus(chromedp.CSS(`table.ach tbody tr:first-child td.ach-cell a.rate`)),
		chromedp.KeyEvent("\r"))
	if f := get(b, "read the focus", chromedp.Evaluate[string](`document.activeElement.id`)); f != "rate-rating" {
		t.Errorf("after the Rate link the focus is on %q, want the rating (rate-rating)", f)
	}
	// The option reads "kind: item"; the list names the item.
	item := get(b, "read the chosen item", chromedp.Evaluate[string](`document.querySelector("#rate-item option:checked").textContent.replace(/^[a-z]+: /, "")`))
	reason := "The address was sold on to other operators after the 2014 reports"
	b.run("rate the cell", chromedp.SetValue(chromedp.ID(`#rate-rating`), "very-inconsistent"),
		chromedp.SendKeys(chromedp.ID(`#rate-reason`), reason))
	b.shot("ach-editor")
	b.run("keep the rating", chromedp.Click(chromedp.CSS(`#rate-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=overrides]`)))
	after := ranking()
	if after == before {
		t.Errorf("the ranking did not change with the override: %q", after)
	}
	t.Logf("ranking before the override: %s\nafter: %s", before, after)
	listed := get(b, "read the overrides", chromedp.Text(chromedp.CSS(`[data-testid=overrides] tbody`)))
	for _, want := range []string{"alice", reason, "→ II very inconsistent", item} {
		if !strings.Contains(listed, want) {
			t.Errorf("the list of overrides %q has no %q", listed, want)
		}
	}
	if n := get(b, "count the disputed cells", chromedp.Evaluate[int](`document.querySelectorAll('td.ach-cell.disputed.overridden').length`)); n != 1 {
		t.Errorf("%d cells marked overridden and disputed, want 1", n)
	}
	b.shot("ach-overridden")
	b.run("scroll to the overrides", chromedp.ScrollIntoView(chromedp.ID(`#overrides`)))
	return achURL
}

const (
	killDisk      = "malware--e221eb77-1502-4129-af1d-fe1ad55e7ec6" // in the starter knowledge and ATT&CK
	knownKillDisk = "file--00000000-0000-4000-8000-000000000a01"
)

// uploadSample uploads content as a sample from the case page's form
// (the file chosen in the file input, as a user would) and checks that
// the page answering it shows the file's MD5, SHA-1, SHA-256, TLSH and
// ssdeep digests, computed here, and the known KillDisk sample near it
// with its family.
func (b *browser) uploadSample(t *testing.T, caseURL string, content []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stage2.bin")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	b.run("open the sample form", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(`[data-testid=hypothesis]`)),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("sample-file").closest("details").open = true`),
		chromedp.WaitVisible(chromedp.ID(`#sample-file`)))
	b.run("choose the sample", chromedp.SetUploadFiles(chromedp.ID(`#sample-file`), []string{path}))
	b.shot("sample-chosen")
	b.run("upload the sample", chromedp.Click(chromedp.CSS(`form[action$="/samples"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=uploaded-sample]`)))
	shown := get(b, "read the sample's hashes", chromedp.Text(chromedp.CSS(`[data-testid=uploaded-sample]`)))
	md := md5.Sum(content)
	s1 := sha1.Sum(content)
	s256 := sha256.Sum256(content)
	for name, want := range map[string]string{"the title": "Sample stage2.bin", "MD5": hex.EncodeToString(md[:]),
		"SHA-1": hex.EncodeToString(s1[:]), "SHA-256": hex.EncodeToString(s256[:]), "TLSH": tlshOf(t, content),
		"ssdeep": ssdeep.Sum(content).String(), "the known sample": "killdisk-2016.bin"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the uploaded sample's section has no %s %q:\n%s", name, want, shown)
		}
	}
	similar := get(b, "read the similar samples", chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=similar-sample]')].map(tr => tr.textContent)`))
	if len(similar) == 0 || !strings.Contains(similar[0], "killdisk-2016.bin") || !strings.Contains(similar[0], "KillDisk") {
		t.Errorf("similar known samples %q, want first the KillDisk sample killdisk-2016.bin with its family", similar)
	}
	b.run("scroll to the sample", chromedp.ScrollIntoView(chromedp.ID(`#sample-h`)))
	b.shot("case-sample")
}

// lowContrastJS lists the visible text of the page whose colour
// contrasts with its background (the first opaque one of it and its
// ancestors, white at the root) below WCAG 2's AA ratio: 4.5, 3 for
// large text (24 px, or 18.66 px bold). Each entry names the text, its
// colours and the ratio.
const lowContrastJS = `(() => {
  const rgb = s => { const m = s.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.a >= 0.99) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const st = getComputedStyle(el);
    if (st.visibility === "hidden" || el.getClientRects().length === 0 || el.closest(".visually-hidden")) continue;
    const fg = rgb(st.color), b = bg(el);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push(JSON.stringify(n.textContent.trim().slice(0, 40)) + " " + st.color + " on " + JSON.stringify(b) + " " + ratio.toFixed(2));
  }
  return out.slice(0, 20);
})()`

// fetchLink fetches the target of the first link matching sel in the
// page, as the browser would download it (with the session's cookie).
func (b *browser) fetchLink(sel string) string {
	b.t.Helper()
	js := fmt.Sprintf(`(async () => { const a = document.querySelector(%q); if (!a) throw new Error("no link " + %q); const r = await fetch(a.href, { credentials: "same-origin" }); if (!r.ok) throw new Error(a.href + ": " + r.status); return await r.text(); })()`, sel, sel)
	return get(b, "fetch "+sel, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
}
