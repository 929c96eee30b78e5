package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// Ids of the fixture (../access/testdata).
const (
	openBear    = "intrusion-set--0000000a-0000-4000-8000-00000000000a"
	amberKitten = "intrusion-set--0000000b-0000-4000-8000-00000000000b"
	redPanda    = "intrusion-set--0000000c-0000-4000-8000-00000000000c"
	heron       = "intrusion-set--0000000d-0000-4000-8000-00000000000d"
	secretRel   = "relationship--0000002a-0000-4000-8000-00000000002a"
	pandaRel    = "relationship--00000029-0000-4000-8000-000000000029"
	amberRel    = "relationship--0000002b-0000-4000-8000-00000000002b"
	amberRel2   = "relationship--0000002c-0000-4000-8000-00000000002c"
	pandaReport = "report--00000032-0000-4000-8000-000000000032"
	secretMal   = "malware--00000015-0000-4000-8000-000000000015"
)

// hiddenFromGreen are the names and ids a TLP:GREEN token must never
// read, through any path.
var hiddenFromGreen = []string{"Red Panda", "Crimson Panda", "Amber Kitten", "Copper Kitten", "Scarlet Heron", "Ruby Secret", "Panda report",
	redPanda, amberKitten, heron, secretRel, pandaRel, amberRel, amberRel2, pandaReport}

type fixture struct {
	t      testing.TB
	srv    *Server
	ts     *httptest.Server
	store  *sqlite.Store
	dir    string
	tokens *token.Set
	tok    map[string]string // "reader-green" etc. -> token
	ids    map[string]string // same keys -> token id
}

func importFile(t testing.TB, st kb.Store, path string) {
	t.Helper()
	objs, err := stix.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(context.Background(), kb.Source{Kind: kb.SourceFile, Name: filepath.Base(path)}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	importFile(t, st, "../access/testdata/tlp-v1.json")
	// Open Bear's first version is RED; its second GREEN, a second later.
	time.Sleep(10 * time.Millisecond)
	importFile(t, st, "../access/testdata/tlp-v2.json")
	secret, err := token.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: st, dir: dir, tokens: token.New(st, secret), tok: map[string]string{}, ids: map[string]string{}}
	for _, k := range []struct {
		key  string
		role token.Role
		tlp  access.Level
	}{
		{"reader-green", token.Reader, access.Green}, {"reader-red", token.Reader, access.Red},
		{"analyst-green", token.Analyst, access.Green}, {"admin-red", token.Admin, access.Red},
	} {
		tok, rec, err := f.tokens.Create(ctx, k.key, k.role, k.tlp)
		if err != nil {
			t.Fatal(err)
		}
		f.tok[k.key], f.ids[k.key] = tok, rec.ID
	}
	cfg.Store, cfg.Tokens = st, f.tokens
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	f.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}

// do sends a request with the token of key ("" for none) and returns
// the status, headers and body. It fails the test on a 5xx.
func (f *fixture) do(method, key, path, ctype string, body []byte, hdr ...string) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+f.tok[key])
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if strings.HasPrefix(path, "/taxii2/") {
		req.Header.Set("Accept", taxii.MediaTAXII)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && resp.StatusCode != http.StatusServiceUnavailable {
		f.t.Errorf("%s %s: status %d, want no 5xx: %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header, b
}

func (f *fixture) get(key, path string) (int, []byte) {
	f.t.Helper()
	code, _, b := f.do("GET", key, path, "", nil)
	return code, b
}

func decodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, b)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t, Config{})
	code, b := f.get("", "/api/openapi.json")
	if code != 200 {
		t.Fatalf("GET /api/openapi.json: %d", code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	decodeJSON(t, b, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range f.srv.Routes() {
		if strings.HasPrefix(r[1], "/taxii2/") {
			continue // the TAXII 2.1 specification describes these
		}
		registered[r[0]+" "+r[1]] = true
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("the OpenAPI document has %s, which no route serves", k)
		}
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, Config{})
	if code, _ := f.get("", "/healthz"); code != 200 {
		t.Errorf("/healthz: %d, want 200", code)
	}
	if code, _ := f.get("", "/readyz"); code != 200 {
		t.Errorf("/readyz: %d, want 200", code)
	}
	code, h, b := f.do("GET", "", "/api/stats", "", nil)
	if code != 401 || h.Get("WWW-Authenticate") == "" || h.Get("Content-Type") != "application/problem+json" {
		t.Errorf("no token: %d %v %s, want a 401 problem with WWW-Authenticate", code, h, b)
	}
	var p problem
	decodeJSON(t, b, &p)
	if p.Status != 401 || p.RequestID == "" || p.Instance != "/api/stats" {
		t.Errorf("problem = %+v", p)
	}
	code, _, _ = f.do("GET", "", "/api/stats", "", nil, "Authorization", "Bearer culprit_0000_nope")
	if code != 401 {
		t.Errorf("bad token: %d, want 401", code)
	}
	// Basic authentication with the token as the password (TAXII clients).
	req, _ := http.NewRequest("GET", f.ts.URL+"/taxii2/", nil)
	req.SetBasicAuth("anyone", f.tok["reader-green"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("Basic auth: %d, want 200", resp.StatusCode)
	}
	if code, _ := f.get("reader-green", "/api/nothing"); code != 404 {
		t.Errorf("unknown path: %d, want 404", code)
	}
}

func TestRevokedTokenRefusedAtOnce(t *testing.T) {
	f := newFixture(t, Config{})
	if code, _ := f.get("reader-green", "/api/stats"); code != 200 {
		t.Fatalf("before revocation: %d", code)
	}
	// Revoked by another token.Set over the same store: another process.
	secret, _ := token.LoadSecret(f.dir)
	if err := token.New(f.store, secret).Revoke(context.Background(), f.ids["reader-green"]); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/stats", "/taxii2/", "/api/export"} {
		if code, _ := f.get("reader-green", p); code != 401 {
			t.Errorf("GET %s after revocation: %d, want 401", p, code)
		}
	}
}

func TestReaderCannotWrite(t *testing.T) {
	f := newFixture(t, Config{})
	bundle := []byte(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[]}`)
	if code, _, _ := f.do("POST", "reader-red", "/api/imports", "application/json", bundle); code != 403 {
		t.Errorf("reader import: %d, want 403", code)
	}
	env := []byte(`{"objects":[]}`)
	if code, _, _ := f.do("POST", "reader-red", taxiiRoot+"collections/"+InboxCollection+"/objects/", taxii.MediaTAXII, env); code != 403 {
		t.Errorf("reader TAXII add: %d, want 403", code)
	}
	if code, _, _ := f.do("DELETE", "reader-red", taxiiRoot+"collections/"+KnowledgeCollection+"/objects/"+openBear+"/", "", nil); code != 403 {
		t.Errorf("reader TAXII delete: %d, want 403", code)
	}
	if code, _, _ := f.do("DELETE", "analyst-green", taxiiRoot+"collections/"+KnowledgeCollection+"/objects/"+openBear+"/", "", nil); code != 403 {
		t.Errorf("analyst TAXII delete: %d, want 403", code)
	}
	// An admin may delete (TestTAXIIDelete): Open Bear, which
	// relationships refer to, is refused with a conflict, not a 403.
	if code, _, _ := f.do("DELETE", "admin-red", taxiiRoot+"collections/"+KnowledgeCollection+"/objects/"+openBear+"/", "", nil); code != 409 {
		t.Errorf("admin TAXII delete of an object relationships use: %d, want 409", code)
	}
	if code, _, _ := f.do("POST", "reader-red", "/api/cases", "application/json", []byte(`{}`)); code != 403 {
		t.Errorf("reader case create: %d, want 403", code)
	}
	if code, _, _ := f.do("POST", "analyst-green", "/api/cases", "application/json", []byte(`{}`)); code != 400 {
		t.Errorf("analyst case create of an empty bundle: %d, want 400", code)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, Config{RateLimit: 1, Burst: 2})
	var codes []int
	for range 4 {
		code, _ := f.get("reader-green", "/api/stats")
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[3] != 429 {
		t.Errorf("statuses with burst 2 = %v, want 200 200 … 429", codes)
	}
	// Another token has its own budget.
	if code, _ := f.get("reader-red", "/api/stats"); code != 200 {
		t.Errorf("another token: %d, want 200", code)
	}
}
