package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
)

// leakReport names hidden actors (Red Panda, Amber Kitten), a name two
// clusters share (Grizzly: Open Bear and, hidden, Red Panda), visible
// malware, a technique and an indicator.
var leakReport = []byte("In March, Red Panda (also Crimson Panda) and Amber Kitten used SecretLoader against banks.\n" +
	"Grizzly phished staff (T1566) from 198.51.100.7 and update-check.net.\n" +
	"Researchers at Example Corp attributed the campaign to Red Panda.\n")

var hiddenIDs = []string{redPanda, amberKitten, heron, secretRel, pandaRel, amberRel, amberRel2, pandaReport}

// extracted is the answer of POST /api/extract.
type extracted struct {
	File   string `json:"file"`
	Format string `json:"format"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	Items  []struct {
		Kind       string `json:"kind"`
		Value      string `json:"value"`
		Offset     int64  `json:"offset"`
		Snippet    string `json:"snippet"`
		Candidates []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"candidates"`
	} `json:"items"`
}

func TestExtract(t *testing.T) {
	f := newFixture(t, Config{MaxReport: 4 << 10})
	post := func(key, q string, body []byte) (int, []byte) {
		code, _, b := f.do("POST", key, "/api/extract"+q, "text/plain", body)
		return code, b
	}
	code, green := post("reader-green", "?name=march.txt", leakReport)
	var g extracted
	decodeJSON(t, green, &g)
	sum := sha256.Sum256(leakReport)
	if code != 200 || g.File != "march.txt" || g.Format != "text" || g.SHA256 != hex.EncodeToString(sum[:]) || g.Bytes != int64(len(leakReport)) {
		t.Fatalf("extract as GREEN: %d %s", code, green)
	}
	found := map[string]bool{}
	for _, it := range g.Items {
		found[it.Kind+" "+it.Value] = true
		if it.Offset < 0 || it.Offset >= int64(len(leakReport)) || it.Snippet == "" {
			t.Errorf("item %s %q: offset %d, snippet %q", it.Kind, it.Value, it.Offset, it.Snippet)
		}
		if strings.Contains(it.Kind, "ipv4") && string(leakReport[it.Offset:it.Offset+int64(len(it.Value))]) != it.Value {
			t.Errorf("item %s at offset %d is not at its offset", it.Value, it.Offset)
		}
		for _, c := range it.Candidates {
			for _, h := range hiddenFromGreen {
				if c.Name == h || c.ID == h {
					t.Errorf("GREEN extraction offers the hidden candidate %s (%s) for %q", c.Name, c.ID, it.Value)
				}
			}
		}
	}
	for _, want := range []string{"ipv4-addr 198.51.100.7", "domain-name update-check.net", "name SecretLoader", "x-mitre-attack-id T1566"} {
		if !found[want] {
			t.Errorf("GREEN extraction lacks %s: %v", want, found)
		}
	}
	for _, id := range hiddenIDs {
		if strings.Contains(string(green), id) {
			t.Errorf("GREEN extraction shows the hidden id %s", id)
		}
	}
	// The RED token's extraction knows Red Panda (so the test can fail).
	if code, red := post("reader-red", "?name=march.txt", leakReport); code != 200 || !strings.Contains(string(red), redPanda) {
		t.Errorf("extract as RED: %d, Red Panda's id in it: %v", code, strings.Contains(string(red), redPanda))
	}

	for _, tc := range []struct {
		name string
		body []byte
		q    string
		want int
	}{
		{"empty", nil, "", 400},
		{"binary", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 600)...), "?name=x.exe", 400},
		{"malformed PDF", []byte("%PDF-1.7\n1 0 obj << /Length 99999999 /Filter /FlateDecode >> stream\nxx"), "?name=r.pdf", 400},
		{"too large", []byte(strings.Repeat("a report. ", 1000)), "", 413},
		{"long name", []byte("text"), "?name=" + strings.Repeat("n", 300), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, b := post("reader-green", tc.q, tc.body); code != tc.want {
				t.Errorf("POST /api/extract%.40s (%s): %d %s, want %d", tc.q, tc.name, code, b, tc.want)
			}
		})
	}
	if code, _ := post("", "", leakReport); code != 401 {
		t.Errorf("extract without a token: %d, want 401", code)
	}
}

func TestCaseReport(t *testing.T) {
	f := caseFixture(t)
	id := f.newCase("analyst-green", "?tlp=green", leakCase)
	path := "/api/cases/" + id + "/reports?name=" + url.QueryEscape("march report.html")
	html := []byte("<html><body><p>" + strings.ReplaceAll(string(leakReport), "\n", "</p><p>") + "</p></body></html>")
	// The RED analyst's report on a GREEN case is extracted with GREEN
	// knowledge: the case never holds a hidden name as a candidate.
	code, _, b := f.do("POST", "analyst-red", path, "text/html", html)
	var c kb.Case
	decodeJSON(t, b, &c)
	if code != 200 || len(c.Evidence) != 2 {
		t.Fatalf("add a report: %d %s", code, b)
	}
	ev := c.Evidence[1]
	name, sum, ok := investigation.ReportOf(ev)
	want := sha256.Sum256(html)
	if !ok || name != "march report.html" || sum != hex.EncodeToString(want[:]) || ev.Status != kb.EvidenceUnreviewed || ev.By != "analyst-red" {
		t.Errorf("report evidence: %s %s %v, status %s, by %s", name, sum, ok, ev.Status, ev.By)
	}
	content := string(ev.Content)
	for _, want := range []string{"198.51.100.7", "SecretLoader", "T1566", "extracted, not reviewed"} {
		if !strings.Contains(content, want) {
			t.Errorf("the extracted case file lacks %q:\n%s", want, content)
		}
	}
	for _, h := range hiddenIDs {
		if strings.Contains(content, h) {
			t.Errorf("the GREEN case's extracted evidence names the hidden %s:\n%s", h, content)
		}
	}
	if strings.Contains(content, "ambiguous name") {
		t.Errorf("Grizzly is ambiguous only with the hidden Red Panda; the GREEN case file says it is:\n%s", content)
	}
	// Unreviewed: the attribution does not count it until accepted.
	if last := c.History[len(c.History)-1]; last.Action != "evidence added" || !strings.Contains(last.Detail, "extracted, not reviewed") {
		t.Errorf("history line = %+v", last)
	}
	// The same report again changes nothing; a reader cannot add one.
	if code, _, b := f.do("POST", "analyst-green", path, "text/html", html); code != 200 || strings.Count(string(b), `"sha256"`) != 2 {
		t.Errorf("the same report again: %d %s", code, b)
	}
	if code, _, _ := f.do("POST", "reader-red", path, "text/html", html); code != http.StatusForbidden {
		t.Errorf("a reader adding a report: %d, want 403", code)
	}
	// A GREEN analyst cannot tell an AMBER case from an absent one.
	amber := f.newCase("analyst-red", "", leakCase)
	code, _, hidden := f.do("POST", "analyst-green", "/api/cases/"+amber+"/reports?name=r.txt", "text/plain", leakReport)
	code2, _, none := f.do("POST", "analyst-green", "/api/cases/case-00000000ffff/reports?name=r.txt", "text/plain", leakReport)
	if a, b := normalize(hidden, amber), normalize(none, "case-00000000ffff"); code != 404 || code2 != 404 || a != b {
		t.Errorf("hidden case: %d %s\nabsent case: %d %s\nwant the same 404", code, a, code2, b)
	}
}

// FuzzExtractRequests posts arbitrary reports and names to the
// extraction routes: every answer is a 2xx or a 4xx, never a 5xx
// (fixture.do fails the test on one) or a crash.
func FuzzExtractRequests(f *testing.F) {
	fx := caseFixture(f)
	http.DefaultClient.Timeout = 10 * time.Second
	f.Cleanup(func() { http.DefaultClient.Timeout = 0 })
	id := fx.newCase("analyst-red", "?tlp=red", leakCase)
	f.Add(false, "r.txt", leakReport)
	f.Add(true, "r.html", []byte("<html><script>x</script><p>Red Panda &amp; 198.51.100.7</p>"))
	f.Add(false, "r.pdf", []byte("%PDF-1.4\n1 0 obj<</Length 5>>stream\nBT ET\nendstream endobj\n%%EOF"))
	f.Add(true, "../../etc/passwd", []byte("\x00\x01\x02"))
	f.Fuzz(func(t *testing.T, toCase bool, name string, body []byte) {
		if len(name) > 300 || len(body) > 64<<10 {
			return
		}
		fx.t = t
		path := "/api/extract"
		if toCase {
			path = "/api/cases/" + id + "/reports"
		}
		code, _, b := fx.do("POST", "analyst-red", path+"?name="+url.QueryEscape(name), "application/octet-stream", body)
		if code >= 500 {
			t.Errorf("%s %q: %d %s", path, name, code, b)
		}
	})
}
