package server

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/server/taxii"
)

func TestOversizedAndMalformed(t *testing.T) {
	f := newFixture(t, Config{MaxCase: 1 << 10, MaxEnvelope: 1 << 10, MaxImport: 2 << 10})
	big := bytes.Repeat([]byte("a"), 4<<10)
	for _, tc := range []struct {
		name, method, key, path, ctype string
		body                           []byte
		want                           int
	}{
		{"oversized case", "POST", "reader-green", "/api/attribute", "application/yaml", big, 413},
		{"oversized envelope", "POST", "analyst-green", taxiiRoot + "collections/inbox/objects/", taxii.MediaTAXII, big, 413},
		{"oversized import", "POST", "analyst-green", "/api/imports", "application/json", big, 413},
		{"body on a GET route", "GET", "reader-green", "/api/stats", "application/json", bytes.Repeat([]byte("a"), 100<<10), 413},
		{"malformed case", "POST", "reader-green", "/api/attribute", "application/yaml", []byte("name: [unclosed"), 400},
		{"empty case", "POST", "reader-green", "/api/attribute", "application/yaml", nil, 400},
		{"case bundle not JSON", "POST", "reader-green", "/api/attribute", "application/json", []byte(`{"type":"bundle",`), 400},
		{"unknown format", "POST", "reader-green", "/api/attribute?format=pdf", "application/yaml", []byte("name: x\n"), 400},
		{"bad top", "POST", "reader-green", "/api/attribute?top=0", "application/yaml", []byte("name: x\n"), 400},
		{"bad limit", "GET", "reader-green", "/api/objects?limit=100000", "", nil, 400},
		{"bad after", "GET", "reader-green", "/api/objects?after=nothing", "", nil, 400},
		{"search without q", "GET", "reader-green", "/api/actors/search", "", nil, 400},
		{"long query", "GET", "reader-green", "/api/actors?q=" + strings.Repeat("x", 300), "", nil, 400},
		{"empty import", "POST", "analyst-green", "/api/imports", "application/json", nil, 400},
		{"absent job", "GET", "analyst-green", "/api/imports/nope", "", nil, 404},
		{"not an actor", "GET", "reader-green", "/api/actors/malware--00000014-0000-4000-8000-000000000014", "", nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, h, b := f.do(tc.method, tc.key, tc.path, tc.ctype, tc.body)
			if code != tc.want {
				t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, b, tc.want)
			}
			if ct := h.Get("Content-Type"); ct != "application/problem+json" && ct != taxii.MediaTAXII {
				t.Errorf("error Content-Type = %q, want a problem or a TAXII error", ct)
			}
		})
	}
}

// TestSlowRequest sends a body more slowly than the read timeout allows:
// the server answers 408 (or closes the connection), never 5xx.
func TestSlowRequest(t *testing.T) {
	f := newFixture(t, Config{ReadTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/attribute HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/yaml\r\nContent-Length: 1000\r\n\r\nname: slow\n", f.tok["reader-green"])
	time.Sleep(600 * time.Millisecond)
	conn.Write([]byte("techniques: []\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if os.IsTimeout(err) {
			t.Fatal("no answer to a slow request")
		}
		t.Logf("connection closed: %v", err)
		return // the connection was closed: also a refusal
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("slow request: %d, want 408", resp.StatusCode)
	}
}

func TestImportJob(t *testing.T) {
	f := newFixture(t, Config{})
	bundle := []byte(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-0000000000b0","objects":[
	 {"type":"malware","spec_version":"2.1","id":"malware--000000b1-0000-4000-8000-0000000000b1","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"JobRAT","is_family":true}]}`)
	code, h, b := f.do("POST", "analyst-green", "/api/imports?name=jobtest", "application/json", bundle)
	if code != 202 || h.Get("Location") == "" {
		t.Fatalf("import: %d %s", code, b)
	}
	var j struct {
		ID, Status, Error string
		Stats             struct{ New int }
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, b = f.get("analyst-green", h.Get("Location"))
		decodeJSON(t, b, &j)
		if code != 200 || j.Status != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if j.Status != "complete" || j.Stats.New != 1 {
		t.Fatalf("job: %d %s", code, b)
	}
	if code, b := f.get("reader-green", "/api/objects/malware--000000b1-0000-4000-8000-0000000000b1"); code != 200 {
		t.Errorf("imported object: %d %s", code, b)
	}
	// Another analyst's job is not visible; an admin's view is.
	if code, _ := f.get("admin-red", h.Get("Location")); code != 200 {
		t.Errorf("admin reads the job: %d", code)
	}
	// A bundle with a RED object, imported by a GREEN analyst, fails whole.
	red := bytes.ReplaceAll(bundle, []byte(`"is_family":true`), []byte(`"is_family":true,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`))
	red = bytes.ReplaceAll(red, []byte("000000b1"), []byte("000000b2"))
	_, h, _ = f.do("POST", "analyst-green", "/api/imports", "application/json", red)
	for {
		_, b = f.get("analyst-green", h.Get("Location"))
		decodeJSON(t, b, &j)
		if j.Status != "running" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if j.Status != "failed" || !strings.Contains(j.Error, "marked above") {
		t.Errorf("import of a RED object by a GREEN analyst: %s", b)
	}
}

// TestConcurrentImportsCoalesce pushes envelopes from many clients at
// once: every push succeeds, each is visible when its status returns, and
// the reloads they cause are fewer than the pushes.
func TestConcurrentImportsCoalesce(t *testing.T) {
	f := newFixture(t, Config{})
	before := f.reloads()
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("malware--%08x-0000-4000-8000-0000000000c0", 0xc0+i)
			env := fmt.Sprintf(`{"objects":[{"type":"malware","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Burst %d","is_family":true}]}`, id, i)
			code, _, b := f.do("POST", "analyst-green", taxiiRoot+"collections/inbox/objects/", taxii.MediaTAXII, []byte(env))
			if code != 202 || !strings.Contains(string(b), `"success_count":1`) {
				t.Errorf("push %d: %d %s", i, code, b)
				return
			}
			if code, _ := f.get("reader-green", "/api/objects/"+id); code != 200 {
				t.Errorf("push %d not visible after its status: %d", i, code)
			}
		})
	}
	wg.Wait()
	if reloads := f.reloads() - before; reloads >= n || reloads < 1 {
		t.Errorf("%d pushes caused %d reloads, want at least 1 and fewer than %d", n, reloads, n)
	}
}

// reloads reads culprit_knowledge_reloads_total from /metrics.
func (f *fixture) reloads() int {
	f.t.Helper()
	_, b := f.get("", "/metrics")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "culprit_knowledge_reloads_total "); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	f.t.Fatal("no culprit_knowledge_reloads_total in /metrics")
	return 0
}

// TestImportQueueBounded: imports run one at a time, so the server holds at
// most maxImports spooled, queued or running; a client posting more waits
// for a slot and, when none frees in time, gets 503, never a spooled file,
// a goroutine or an open descriptor more.
func TestImportQueueBounded(t *testing.T) {
	f := newFixture(t, Config{})
	f.srv.jobs.slotWait = 50 * time.Millisecond
	for range maxImports {
		f.srv.jobs.slots <- struct{}{} // every slot taken, as by imports in progress
	}
	bundle := []byte(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-0000000000c0","objects":[
	 {"type":"malware","spec_version":"2.1","id":"malware--000000c1-0000-4000-8000-0000000000c1","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"QueueRAT","is_family":true}]}`)
	code, _, b := f.do("POST", "analyst-green", "/api/imports?name=queued", "application/json", bundle)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "imports are queued or running") {
		t.Fatalf("import with every slot taken: %d %s, want 503 naming the queue", code, b)
	}
	f.srv.jobs.release()
	code, h, b := f.do("POST", "analyst-green", "/api/imports?name=queued", "application/json", bundle)
	if code != 202 {
		t.Fatalf("import with a slot free: %d %s", code, b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b = f.get("analyst-green", h.Get("Location"))
		if !strings.Contains(string(b), `"running"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(b), `"complete"`) {
		t.Fatalf("job: %s", b)
	}
	// The finished import gave its slot back: one free again.
	select {
	case f.srv.jobs.slots <- struct{}{}:
	default:
		t.Fatal("the finished import kept its slot")
	}
}
