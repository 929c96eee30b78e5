package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// server serves one file with ETag and Last-Modified, optionally cutting
// the connection of the first cut requests half-way through the body, or
// ignoring Range.
type server struct {
	mu       sync.Mutex
	body     []byte
	etag     string
	modified time.Time
	cut      int  // requests to cut mid-body
	noRange  bool // ignore Range and If-Range
	status   int  // answer every request with this status when not 0
	requests []*http.Request
	sent     int // body bytes written in total
}

func newServer(body string) *server {
	s := &server{modified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s.set(body)
	return s
}

func (s *server) set(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = []byte(body)
	sum := sha256.Sum256(s.body)
	s.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	s.modified = s.modified.Add(time.Hour)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	body, etag, modified := s.body, s.etag, s.modified
	cut := s.cut > 0
	if cut {
		s.cut--
	}
	status, noRange := s.status, s.noRange
	s.mu.Unlock()

	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if cut {
		// Announce the whole body, send half of it, and hang up.
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: %s\r\nLast-Modified: %s\r\n\r\n",
			len(body), etag, modified.Format(http.TimeFormat))
		buf.Write(body[:len(body)/2])
		buf.Flush()
		s.count(len(body) / 2)
		return
	}
	w.Header().Set("ETag", etag)
	if noRange {
		r.Header.Del("Range")
		r.Header.Del("If-Range")
	}
	cw := &countingWriter{ResponseWriter: w}
	http.ServeContent(cw, r, "", modified, bytes.NewReader(body))
	s.count(cw.n)
}

func (s *server) count(n int) {
	s.mu.Lock()
	s.sent += n
	s.mu.Unlock()
}

func (s *server) header(i int, key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.requests) {
		return "<no request>"
	}
	return s.requests[i].Header.Get(key)
}

type countingWriter struct {
	http.ResponseWriter
	n int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += n
	return n, err
}

func body(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d of the feed\n", i)
	}
	return b.String()[:n]
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkCached checks the cached file and its sidecar.
func checkCached(t *testing.T, dir string, src Source, want string) {
	t.Helper()
	path := filepath.Join(dir, src.Name)
	if got := readFile(t, path); got != want {
		t.Errorf("cached file has %d bytes, want %d bytes of the served body", len(got), len(want))
	}
	m, err := readMeta(path + ".meta.json")
	if err != nil {
		t.Fatalf("reading sidecar: %v", err)
	}
	if m.URL != src.URL || m.SHA256 != sum(want) || m.Size != int64(len(want)) || m.ETag == "" || m.LastModified == "" || m.FetchedAt.IsZero() {
		t.Errorf("sidecar = %+v, want url %s, sha256 %s, size %d, etag, last_modified, fetched_at", m, src.URL, sum(want), len(want))
	}
	for _, leftover := range []string{path + ".part", path + ".part.json"} {
		if exists(leftover) {
			t.Errorf("%s left behind", filepath.Base(leftover))
		}
	}
}

func TestFetchFreshThenNotModified(t *testing.T) {
	s := newServer(body(100_000))
	ts := httptest.NewServer(s)
	defer ts.Close()
	dir := t.TempDir()
	src := Source{Name: "feed.json", URL: ts.URL + "/feed.json"}

	var progress bytes.Buffer
	res, err := Fetch(context.Background(), ts.Client(), src, dir, &progress)
	if err != nil {
		t.Fatalf("first Fetch: %v", err)
	}
	if res.Status != Downloaded || res.Path != filepath.Join(dir, "feed.json") || res.Resumed {
		t.Errorf("first Fetch = %+v, want downloaded to feed.json, not resumed", res)
	}
	checkCached(t, dir, src, string(s.body))
	if !strings.Contains(progress.String(), "feed.json: downloaded") {
		t.Errorf("progress %q, want a line saying it was downloaded", progress.String())
	}

	res, err = Fetch(context.Background(), ts.Client(), src, dir, nil)
	if err != nil {
		t.Fatalf("second Fetch: %v", err)
	}
	if res.Status != UpToDate {
		t.Errorf("second Fetch status = %q, want %q", res.Status, UpToDate)
	}
	if got, want := s.header(1, "If-None-Match"), s.etag; got != want {
		t.Errorf("second request If-None-Match = %q, want %q", got, want)
	}
	if got := s.header(1, "If-Modified-Since"); got == "" {
		t.Errorf("second request has no If-Modified-Since")
	}
	if s.sent != len(s.body) {
		t.Errorf("server sent %d body bytes over two fetches, want %d (the second one 304)", s.sent, len(s.body))
	}

	// A new version on the server replaces the cached copy.
	s.set(body(5000))
	res, err = Fetch(context.Background(), ts.Client(), src, dir, nil)
	if err != nil || res.Status != Downloaded {
		t.Fatalf("Fetch after an update = %q, %v, want %q", res.Status, err, Downloaded)
	}
	checkCached(t, dir, src, string(s.body))

	// A damaged cached copy is downloaded again, unconditionally.
	if err := os.WriteFile(res.Path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = Fetch(context.Background(), ts.Client(), src, dir, nil)
	if err != nil || res.Status != Downloaded {
		t.Fatalf("Fetch over a damaged copy = %q, %v, want %q", res.Status, err, Downloaded)
	}
	if got := s.header(3, "If-None-Match"); got != "" {
		t.Errorf("request over a damaged copy has If-None-Match %q, want none", got)
	}
	checkCached(t, dir, src, string(s.body))
}

func TestFetchResumesAfterCut(t *testing.T) {
	s := newServer(body(200_000))
	s.cut = 1
	ts := httptest.NewServer(s)
	defer ts.Close()
	dir := t.TempDir()
	src := Source{Name: "feed.json", URL: ts.URL + "/feed.json", SHA256: sum(string(s.body))}

	res, err := Fetch(context.Background(), ts.Client(), src, dir, nil)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if res.Status != Downloaded || !res.Resumed {
		t.Errorf("Fetch = %+v, want downloaded and resumed", res)
	}
	checkCached(t, dir, src, string(s.body))
	half := len(s.body) / 2
	if got, want := s.header(1, "Range"), fmt.Sprintf("bytes=%d-", half); got != want {
		t.Errorf("second request Range = %q, want %q", got, want)
	}
	if got, want := s.header(1, "If-Range"), s.etag; got != want {
		t.Errorf("second request If-Range = %q, want %q", got, want)
	}
	if got, want := s.sent, len(s.body); got != want {
		t.Errorf("server sent %d body bytes, want %d (each byte once)", got, want)
	}
}

// TestFetchResumesAcrossCalls: when every attempt of one Fetch is cut, the
// partial download is kept and the next Fetch finishes it.
func TestFetchResumesAcrossCalls(t *testing.T) {
	s := newServer(body(40_000))
	s.cut = maxAttempts
	ts := httptest.NewServer(s)
	defer ts.Close()
	dir := t.TempDir()
	src := Source{Name: "feed.json", URL: ts.URL + "/feed.json"}

	res, err := Fetch(context.Background(), ts.Client(), src, dir, nil)
	if err == nil || !strings.Contains(err.Error(), "kept for resume") || res.Status != Failed {
		t.Fatalf("Fetch with every attempt cut = %q, %v, want a failure keeping the part", res.Status, err)
	}
	if !exists(filepath.Join(dir, "feed.json.part")) {
		t.Fatalf("no .part kept after an interrupted download")
	}
	res, err = Fetch(context.Background(), ts.Client(), src, dir, nil)
	if err != nil || !res.Resumed {
		t.Fatalf("second Fetch = %+v, %v, want a resumed download", res, err)
	}
	checkCached(t, dir, src, string(s.body))
}

// TestFetchResumesPartFromEarlierRun resumes a .part left by an earlier
// process, and restarts cleanly when the server ignores Range.
func TestFetchResumesPartFromEarlierRun(t *testing.T) {
	tests := []struct {
		name        string
		noRange     bool
		partLen     int // bytes of the served body in the .part; more than the body gives garbage
		wantResumed bool
	}{
		{"server supports Range", false, 12345, true},
		{"server without Range support", true, 12345, false},
		{"part longer than the file", false, 60_000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(body(50_000))
			s.noRange = tt.noRange
			ts := httptest.NewServer(s)
			defer ts.Close()
			dir := t.TempDir()
			src := Source{Name: "feed.json", URL: ts.URL + "/feed.json"}
			path := filepath.Join(dir, src.Name)
			part := append([]byte(nil), s.body[:min(tt.partLen, len(s.body))]...)
			part = append(part, bytes.Repeat([]byte("x"), max(0, tt.partLen-len(s.body)))...)
			if err := os.WriteFile(path+".part", part, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := writeMeta(path+".part.json", partMeta{URL: src.URL, ETag: s.etag}); err != nil {
				t.Fatal(err)
			}
			res, err := Fetch(context.Background(), ts.Client(), src, dir, nil)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if res.Resumed != tt.wantResumed {
				t.Errorf("Fetch resumed = %v, want %v", res.Resumed, tt.wantResumed)
			}
			checkCached(t, dir, src, string(s.body))
		})
	}
}

// TestFetchStalePart: a .part of an older version is not glued to the new
// one: If-Range makes the server send the whole new file.
func TestFetchStalePart(t *testing.T) {
	s := newServer(body(30_000))
	ts := httptest.NewServer(s)
	defer ts.Close()
	dir := t.TempDir()
	src := Source{Name: "feed.json", URL: ts.URL + "/feed.json"}
	path := filepath.Join(dir, src.Name)
	if err := os.WriteFile(path+".part", []byte(strings.Repeat("old ", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeMeta(path+".part.json", partMeta{URL: src.URL, ETag: `"old-version"`}); err != nil {
		t.Fatal(err)
	}
	res, err := Fetch(context.Background(), ts.Client(), src, dir, nil)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if res.Resumed {
		t.Errorf("Fetch resumed a part of another version")
	}
	checkCached(t, dir, src, string(s.body))
}

func TestFetchErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name     string
		status   int    // server status; 0 serves the body
		url      string // overrides the server URL
		sha      string
		maxSize  int64
		cached   bool // start with a good cached copy of an older version
		wantErr  string
		wantStat Status
	}{
		{name: "not found", status: 404, wantErr: "GET http://.*/feed.json: 404 Not Found; no cached copy$", wantStat: Failed},
		{name: "not found with a cached copy", status: 404, cached: true, wantErr: "404 Not Found; cached copy from \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC kept$", wantStat: Cached},
		{name: "server error", status: 503, wantErr: "503 Service Unavailable", wantStat: Failed},
		{name: "unreachable", url: closedURL + "/feed.json", wantErr: "^feed feed.json: cannot reach 127.0.0.1:\\d+ \\(offline\\?\\): .*; no cached copy$", wantStat: Failed},
		{name: "unreachable with a cached copy", url: closedURL + "/feed.json", cached: true, wantErr: "cannot reach 127.0.0.1:\\d+ \\(offline\\?\\): .*; cached copy from .* kept$", wantStat: Cached},
		{name: "checksum mismatch", sha: strings.Repeat("ab", 32), wantErr: "checksum mismatch: SHA-256 [0-9a-f]{64}, want (ab){32}", wantStat: Failed},
		{name: "over the size limit", maxSize: 1000, wantErr: "over the limit of 1000", wantStat: Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(body(20_000))
			ts := httptest.NewServer(s)
			defer ts.Close()
			dir := t.TempDir()
			src := Source{Name: "feed.json", URL: ts.URL + "/feed.json", SHA256: tt.sha, MaxSize: tt.maxSize}
			if tt.url != "" {
				src.URL = tt.url
			}
			old := "an older version"
			if tt.cached {
				path := filepath.Join(dir, src.Name)
				if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
					t.Fatal(err)
				}
				m := Meta{URL: src.URL, ETag: `"older"`, SHA256: sum(old), Size: int64(len(old)), FetchedAt: time.Now()}
				if err := writeMeta(path+".meta.json", m); err != nil {
					t.Fatal(err)
				}
			}
			s.status = tt.status
			res, err := Fetch(context.Background(), ts.Client(), src, dir, nil)
			if err == nil {
				t.Fatalf("Fetch = %+v, want an error matching %q", res, tt.wantErr)
			}
			if !regexpMatch(tt.wantErr, err.Error()) {
				t.Errorf("Fetch error %q, want it to match %q", err, tt.wantErr)
			}
			if res.Status != tt.wantStat {
				t.Errorf("Fetch status = %q, want %q", res.Status, tt.wantStat)
			}
			if tt.cached {
				if res.Path == "" || readFile(t, res.Path) != old {
					t.Errorf("Fetch result path %q, want the cached copy kept", res.Path)
				}
			} else if res.Usable() || exists(filepath.Join(dir, src.Name)) {
				t.Errorf("Fetch left a usable file after failing: %+v", res)
			}
			if strings.Contains(tt.name, "unreachable") {
				var ue *UnreachableError
				if !errors.As(err, &ue) {
					t.Errorf("Fetch error %T does not wrap *UnreachableError", err)
				}
			}
		})
	}
}

func TestFetchCanceled(t *testing.T) {
	s := newServer(body(1000))
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Fetch(ctx, ts.Client(), Source{Name: "feed.json", URL: ts.URL + "/feed.json"}, t.TempDir(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch with a canceled context = %v, want context.Canceled", err)
	}
}

func TestFetchInvalidSource(t *testing.T) {
	tests := []struct {
		name string
		src  Source
	}{
		{"empty name", Source{URL: "http://x/y"}},
		{"path in name", Source{Name: "../x", URL: "http://x/y"}},
		{"reserved suffix", Source{Name: "x.part", URL: "http://x/y"}},
		{"bad scheme", Source{Name: "x", URL: "file:///etc/passwd"}},
		{"bad checksum", Source{Name: "x", URL: "http://x/y", SHA256: "xyz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Fetch(context.Background(), nil, tt.src, t.TempDir(), nil)
			if err == nil || res.Status != Failed {
				t.Errorf("Fetch(%+v) = %q, %v, want a failure", tt.src, res.Status, err)
			}
		})
	}
}

func TestOfficial(t *testing.T) {
	got := Official(OfficialBase)
	want := []Source{
		{Name: "enterprise-attack.json", URL: "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack.json"},
		{Name: "threat-actor.json", URL: "https://raw.githubusercontent.com/MISP/misp-galaxy/main/clusters/threat-actor.json"},
		{Name: "malpedia.json", URL: "https://raw.githubusercontent.com/MISP/misp-galaxy/main/clusters/malpedia.json"},
		{Name: "mitre-intrusion-set.json", URL: "https://raw.githubusercontent.com/MISP/misp-galaxy/main/clusters/mitre-intrusion-set.json"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Official (-want +got):\n%s", diff)
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in                string
		start, end, total int64
		wantErr           bool
	}{
		{"bytes 0-9/10", 0, 9, 10, false},
		{"bytes 5-9/*", 5, 9, -1, false},
		{"bytes 5-9/9", 0, 0, 0, true},
		{"bytes 9-5/10", 0, 0, 0, true},
		{"items 0-9/10", 0, 0, 0, true},
		{"bytes -1-9/10", 0, 0, 0, true},
		{"bytes 0-9", 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, e, tot, err := parseContentRange(tt.in)
			if (err != nil) != tt.wantErr || s != tt.start || e != tt.end || tot != tt.total {
				t.Errorf("parseContentRange(%q) = %d, %d, %d, %v, want %d, %d, %d, error %v", tt.in, s, e, tot, err, tt.start, tt.end, tt.total, tt.wantErr)
			}
		})
	}
}

func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 0-9/10")
	f.Add("bytes 5-9/*")
	f.Fuzz(func(t *testing.T, s string) {
		start, end, total, err := parseContentRange(s)
		if err != nil {
			return
		}
		if start < 0 || end < start || (total != -1 && total <= end) {
			t.Fatalf("parseContentRange(%q) = %d, %d, %d: inconsistent", s, start, end, total)
		}
	})
}

func BenchmarkFetch(b *testing.B) {
	s := newServer(body(8 << 20))
	ts := httptest.NewServer(s)
	defer ts.Close()
	src := Source{Name: "feed.json", URL: ts.URL + "/feed.json"}
	b.SetBytes(int64(len(s.body)))
	for b.Loop() {
		dir := b.TempDir()
		if _, err := Fetch(context.Background(), ts.Client(), src, dir, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}
