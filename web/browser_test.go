package web_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/galaxy"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// findChromium returns the browser the tests drive: $CULPRIT_CHROMIUM, else
// Debian's chromium (installed by .ci/run). Without one the browser tests
// skip, except under CI=true, where a skip would hide that nothing was
// checked.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CULPRIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium found (apt-get install chromium, or set CULPRIT_CHROMIUM): the browser tests need one"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// screenshots returns the folder the test writes its screenshots to:
// $CULPRIT_SCREENSHOTS, else a temporary directory.
func screenshots(t *testing.T) string {
	if d := os.Getenv("CULPRIT_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func importObjects(t testing.TB, st kb.Store, name string, objs []*stix.Object) {
	t.Helper()
	if _, err := st.Import(context.Background(), kb.Source{Kind: kb.SourceFile, Name: name}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
}

// lazarus is Lazarus Group's ATT&CK id in ATT&CK and the starter knowledge.
const lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"

// fillKnowledge imports the starter knowledge, and at full scale MITRE
// ATT&CK 18.1, the MISP galaxies and synthetic indicators up to n
// knowledge objects (an AMBER share of them), of which lazarusInd indicate
// Lazarus Group. It returns the number of objects stored.
func fillKnowledge(t testing.TB, st kb.Store, full bool, n, lazarusInd int) int {
	t.Helper()
	ctx := context.Background()
	objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter knowledge")
	if err != nil {
		t.Fatal(err)
	}
	importObjects(t, st, examples.StarterSource, objs)
	if full {
		attack, err := stix.ReadFile(refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz"))
		if err != nil {
			t.Fatal(err)
		}
		importObjects(t, st, "enterprise-attack-18.1.json.gz", attack)
		for _, g := range []string{"mitre-intrusion-set.json.gz", "threat-actor.json.gz", "malpedia.json.gz"} {
			f, err := galaxy.DecodeFile(refdata.Path(t, "misp-galaxy", g))
			if err != nil {
				t.Fatal(err)
			}
			importObjects(t, st, g, f.Objects)
		}
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !full || stats.Objects >= n {
		return stats.Objects
	}
	// Synthetic indicators, each with the relationship that it indicates
	// an actor: pairs until n objects.
	var actors []string
	if err := st.Objects(ctx, kb.ObjectQuery{Types: []string{"intrusion-set"}}, func(o *stix.Object) error {
		actors = append(actors, o.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 11))
	var syn []*stix.Object
	amber := access.Marking(access.Amber)
	for i := 0; stats.Objects+len(syn) < n; i++ {
		actor := actors[rng.IntN(len(actors))]
		if i < lazarusInd {
			actor = lazarus
		}
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		id := stix.DeterministicID("indicator", "synthetic "+ip)
		marking := ""
		if i%10 == 9 {
			marking = `,"object_marking_refs":["` + amber + `"]`
		}
		ind := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"synthetic %s","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"%s}`, id, ip, ip, marking)
		rel := fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":%q,"target_ref":%q%s}`,
			stix.DeterministicID("relationship", "synthetic "+ip), id, actor, marking)
		for _, raw := range []string{ind, rel} {
			o, err := stix.ParseObject([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			syn = append(syn, o)
		}
	}
	importObjects(t, st, "synthetic indicators", syn)
	if stats, err = st.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	return stats.Objects
}

// uiServer is a culprit server on a real SQLite store, with tokens: the
// knowledge of fillKnowledge and the extra objects of the test.
type uiServer struct {
	url    string
	srv    *server.Server
	tokens *token.Set
	tok    map[string]string
	ids    map[string]string
	objs   int
}

func newUIServer(t testing.TB, full bool, extra ...*stix.Object) *uiServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u := &uiServer{tok: map[string]string{}, ids: map[string]string{}}
	u.objs = fillKnowledge(t, st, full, 100000, 2000)
	if len(extra) > 0 {
		importObjects(t, st, "test objects", extra)
		u.objs += len(extra)
	}
	secret, err := token.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	u.tokens = token.New(st, secret)
	for _, k := range []struct {
		name string
		role token.Role
		tlp  access.Level
	}{{"alice", token.Analyst, access.Amber}, {"gus", token.Reader, access.Green}} {
		tok, rec, err := u.tokens.Create(ctx, k.name, k.role, k.tlp)
		if err != nil {
			t.Fatal(err)
		}
		u.tok[k.name], u.ids[k.name] = tok, rec.ID
	}
	u.srv, err = server.New(server.Config{Store: st, Tokens: u.tokens, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(u.srv.Handler())
	t.Cleanup(ts.Close)
	u.url = ts.URL
	return u
}

// browser is one headless chromium tab, failing the test on any console
// error, uncaught exception or CSP violation (the browser log's errors).
type browser struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	step int
	mu   sync.Mutex
	errs []string
}

func newBrowser(t *testing.T, width, height int) *browser {
	path := findChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(width, height), chromedp.DisableGPU)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	b := &browser{t: t, ctx: ctx, dir: screenshots(t)}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == "assert" {
				b.addErr(m.String() + " " + m.URL)
			}
		}
	}()
	return b
}

func (b *browser) addErr(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, s)
}

// run runs actions with a deadline, failing the test with what.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
	b.checkConsole(what)
}

// get runs one action that returns a value.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
	b.checkConsole(what)
	return v
}

func (b *browser) checkConsole(what string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("%s: JavaScript console: %s", what, e)
	}
	b.errs = nil
}

// shot writes a full-page screenshot of the current page.
func (b *browser) shot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	b.step++
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.step, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// renderTime returns the load time of the current page from the
// Performance API: from the navigation's start to the end of its load
// event, in milliseconds.
func (b *browser) renderTime() float64 {
	b.t.Helper()
	return get(b, "read the navigation timing", chromedp.Poll[float64](`(() => { const n = performance.getEntriesByType("navigation")[0]; return n && n.loadEventEnd > 0 ? n.loadEventEnd - n.startTime : 0; })()`, chromedp.WithPollingTimeout(20*time.Second)))
}

// timingDetail returns, for the current page, where its load time went
// (the Performance API's navigation entry, in ms from its start): the
// response's first byte (the server's part, and the network's), its last
// byte, the document parsed (domInteractive), DOMContentLoaded's
// handlers done, and the load event's end.
func (b *browser) timingDetail() string {
	b.t.Helper()
	return get(b, "read the navigation timing's detail", chromedp.Evaluate[string](`(() => { const n = performance.getEntriesByType("navigation")[0]; if (!n) return ""; const f = v => (v - n.startTime).toFixed(0); return "first byte " + f(n.responseStart) + ", last " + f(n.responseEnd) + ", parsed " + f(n.domInteractive) + ", ready " + f(n.domContentLoadedEventEnd) + ", loaded " + f(n.loadEventEnd); })()`))
}
