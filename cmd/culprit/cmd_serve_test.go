package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/server"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/stix"
)

// lockedBuffer is a bytes.Buffer that a running command writes while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	listenRe = regexp.MustCompile(`listening on (http://\S+)`)
	tokenRe  = regexp.MustCompile(`(?m)^    (culprit_\S+)$`)
)

// startServe runs culprit serve on a free port until the returned cancel
// is called; done receives its error. more are further flags.
func startServe(t *testing.T, db string, more ...string) (base, admin string, stderr *lockedBuffer, cancel func(), done chan error) {
	t.Helper()
	stderr = &lockedBuffer{}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() {
		done <- runServe(ctx, e, append([]string{"--addr", "127.0.0.1:0", "--db", db, "--log-format", "text", "--grace", "10s"}, more...))
	}()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRe.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	if m := tokenRe.FindStringSubmatch(stderr.String()); m != nil {
		admin = m[1]
	}
	return base, admin, stderr, cancel, done
}

func authGet(t *testing.T, url, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestServeLifecycle: the first start prints an admin token once, the
// server answers, a request in flight at SIGTERM finishes, the store is
// closed cleanly (the next start opens it and prints no token).
func TestServeLifecycle(t *testing.T) {
	c := newKBCLI(t)
	c.mustRun("", "import", "../../examples/sony-2014/knowledge.json")
	base, admin, stderr, cancel, done := startServe(t, c.db)
	if admin == "" {
		cancel()
		t.Fatalf("the first start printed no admin token:\n%s", stderr.String())
	}
	// The server answers at once, and is ready when the knowledge is
	// loaded.
	if code, _ := authGet(t, base+"/healthz", ""); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	ready := false
	for deadline := time.Now().Add(30 * time.Second); !ready && time.Now().Before(deadline); {
		code, _ := authGet(t, base+"/readyz", "")
		ready = code == 200
		if !ready {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatal("/readyz never answered 200")
	}
	if code, b := authGet(t, base+"/api/actors?q=Lazarus+Group", admin); code != 200 || !strings.Contains(string(b), "Lazarus Group") {
		t.Errorf("/api/actors with the admin token: %d %s", code, b)
	}

	// A request in flight: headers and half the body sent, then the
	// shutdown begins, then the rest of the body.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/api/attribute?format=text", pr)
	req.Header.Set("Authorization", "Bearer "+admin)
	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{code: resp.StatusCode, body: string(b)}
	}()
	fmt.Fprint(pw, "name: in flight\n")
	time.Sleep(200 * time.Millisecond)
	cancel() // as SIGTERM does: main cancels the command's context
	time.Sleep(200 * time.Millisecond)
	fmt.Fprint(pw, "software:\n  - name: Destover\n")
	pw.Close()
	r := <-res
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, "Lazarus") {
		t.Errorf("in-flight request across shutdown: %d %v\n%s", r.code, r.err, r.body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}

	// The second start finds the token and prints none.
	_, admin2, stderr2, cancel2, done2 := startServe(t, c.db)
	cancel2()
	<-done2
	if admin2 != "" || strings.Contains(stderr2.String(), "culprit_") {
		t.Errorf("the second start printed a token:\n%s", stderr2.String())
	}
	if !strings.Contains(stderr.String(), "request_id=") {
		t.Errorf("no structured request log:\n%s", stderr.String())
	}
}

func TestTokenCommands(t *testing.T) {
	c := newKBCLI(t)
	c.mustRun("", "import", "../../examples/sony-2014/knowledge.json")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "--role", "reader", "--tlp", "green", "--name", "ci"))
	if !strings.HasPrefix(tok, "culprit_") {
		t.Fatalf("token create printed %q", tok)
	}
	var rows []struct {
		ID, Name, Role, TLP string
		Revoked             string
	}
	if err := json.Unmarshal([]byte(c.mustRun("", "token", "list", "--json")), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("token list --json: %v %+v", err, rows)
	}
	if r := rows[0]; r.Name != "ci" || r.Role != "reader" || r.TLP != "TLP:GREEN" || r.Revoked != "" {
		t.Errorf("token list = %+v", r)
	}
	if strings.Contains(c.mustRun("", "token", "list"), tok) {
		t.Error("token list shows the token itself")
	}
	c.mustRun("", "token", "revoke", rows[0].ID)
	if !strings.Contains(c.mustRun("", "token", "list"), "revoked") {
		t.Error("token list does not show the revocation")
	}
	for _, args := range [][]string{
		{"token"}, {"token", "create", "--role", "root", "--tlp", "red"}, {"token", "create", "--role", "reader"},
		{"token", "create", "--role", "reader", "--tlp", "purple"}, {"token", "frobnicate"}, {"token", "revoke"},
	} {
		if code, _, _ := c.run("", args...); code != 2 {
			t.Errorf("culprit %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
	if code, _, errs := c.run("", "token", "revoke", "nope"); code != 1 || !strings.Contains(errs, "no token") {
		t.Errorf("revoke of an unknown id: exit %d %s", code, errs)
	}
	if code, _, _ := c.run("", "serve", "--log-format", "xml"); code != 2 {
		t.Errorf("serve --log-format xml: exit %d, want 2", code)
	}
}

// TestTAXIIPullEqualsExport pulls every object of the ATT&CK knowledge
// base through TAXII, page by page, as a client would, and compares it
// with culprit export --all. Under the race detector, a sample.
func TestTAXIIPullEqualsExport(t *testing.T) {
	attack := refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz")
	if kbRace {
		attack, _ = attackSample(t, attack)
	}
	c := newKBCLI(t)
	c.mustRun("", "import", attack)
	exported, err := stix.ReadAll(strings.NewReader(c.mustRun("", "export", "--all")), "export")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, o := range exported {
		want[o.ID] = string(o.Raw)
	}

	ctx := context.Background()
	e := &env{getenv: func(string) string { return "" }, stderr: io.Discard, stdout: io.Discard}
	store, set, err := tokenSet(ctx, e, c.db, "")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tok, _, err := set.Create(ctx, "taxii client", "reader", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: store, Tokens: set, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	// A client starts at discovery and follows the API root and the
	// collection it finds.
	get := func(u string) []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", taxii.MediaTAXII)
		req.SetBasicAuth("client", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(bufio.NewReader(resp.Body))
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
		}
		return b
	}
	var d taxii.Discovery
	json.Unmarshal(get(ts.URL+"/taxii2/"), &d)
	var cs taxii.Collections
	json.Unmarshal(get(d.Default+"collections/"), &cs)
	var objects string
	for _, col := range cs.Collections {
		if col.CanRead {
			objects = d.Default + "collections/" + col.ID + "/objects/"
		}
	}
	got := map[string]string{}
	next, pages := "", 0
	for {
		u := objects + "?limit=1000"
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		var env taxii.Envelope
		if err := json.Unmarshal(get(u), &env); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, raw := range env.Objects {
			o, err := stix.ParseObject(raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, dup := got[o.ID]; dup {
				t.Errorf("%s served twice", o.ID)
			}
			got[o.ID] = string(o.Raw)
		}
		if !env.More {
			break
		}
		next = env.Next
	}
	if len(got) != len(want) {
		t.Errorf("TAXII served %d objects in %d pages, export %d", len(got), pages, len(want))
	}
	var diffs []string
	for id, w := range want {
		if got[id] != w {
			diffs = append(diffs, id)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d objects differ between TAXII and export, first %s:\n%s", len(diffs), diffs[0], cmp.Diff(want[diffs[0]], got[diffs[0]]))
	}
}
