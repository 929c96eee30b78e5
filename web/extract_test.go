package web_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server"
	"github.com/culprit-cti/culprit/stix"
)

// TestReviewDescribedTechniques opens a case from a report that describes
// techniques without naming them, over MITRE ATT&CK 18.1 (whose
// procedure texts train the technique model; the starter knowledge has
// too few): the review lists what the API's extraction finds, each
// described technique with the sentence it was found in and how.
func TestReviewDescribedTechniques(t *testing.T) {
	if testing.Short() {
		t.Skip("imports ATT&CK 18.1")
	}
	attack, err := stix.ReadFile(refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	f := newWebFixture(t, func(st kb.Store, _ *server.Config) {
		importObjects(t, st, "enterprise-attack-18.1.json.gz", attack)
	})
	report, err := os.ReadFile(filepath.Join("testdata", "intrusion-report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	c, csrf := f.loggedIn("alice")
	id, ev := c.newCaseText(csrf, "Harbor Freight intrusion", "AMBER", string(report))
	page := c.get("/ui/cases/" + id + "/review/" + ev)
	if page.code != http.StatusOK {
		t.Fatalf("review: %d\n%s", page.code, page.body)
	}

	// The techniques of the review, with their notes.
	items := regexp.MustCompile(`(?s)<li class="review-item kind-technique".*?name="v\d+" value="([^"]+)".*?<p class="note">([^<]*)</p>`).FindAllStringSubmatch(page.body, -1)
	notes := map[string]string{}
	var ui []string
	for _, m := range items {
		notes[m[1]] = m[2]
		ui = append(ui, m[1])
	}
	sort.Strings(ui)

	// What POST /api/extract finds in the same report with alice's token.
	req, err := http.NewRequest(http.MethodPost, f.url+"/api/extract?name=pasted+report", strings.NewReader(strings.TrimSpace(string(report))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.tok["alice"])
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/extract: %d %v\n%s", res.StatusCode, err, body)
	}
	var api struct {
		Items []struct {
			Kind, Value string
			Candidates  []struct{ External string }
		}
		Techniques []struct {
			Technique, Sentence string
		}
	}
	if err := json.Unmarshal(body, &api); err != nil {
		t.Fatalf("decode POST /api/extract: %v\n%s", err, body)
	}
	described := map[string]string{}
	for _, tf := range api.Techniques {
		if _, ok := described[tf.Technique]; !ok {
			described[tf.Technique] = tf.Sentence
		}
	}
	if len(described) == 0 {
		t.Fatalf("the API finds no described technique in the report (no technique model?):\n%s", body)
	}
	for tech, sentence := range described {
		note, ok := notes[tech]
		if !ok {
			t.Errorf("the API finds %s described in %q; the review does not list it (lists %v)", tech, sentence, ui)
			continue
		}
		if strings.Contains(note, "named") && !strings.Contains(note, "described, not named") {
			continue // named as well: the name wins, with its own sentence
		}
		if !strings.Contains(note, "described, not named (technique model") || !strings.Contains(note, html.EscapeString(sentence)) {
			t.Errorf("the review's note of %s is %q, want how it was found (described, by the technique model) and its sentence %q", tech, note, sentence)
		}
	}
	// The event logs are described ("cleared the Windows event logs"),
	// never named as the technique is (Clear Windows Event Logs): only
	// the technique model finds them, and the review must list them.
	if n := notes["T1070.001"]; !strings.Contains(n, "described, not named") || !strings.Contains(n, "cleared the Windows event logs") {
		t.Errorf("the review's T1070.001: note %q, want the described clearing of event logs with its sentence (techniques %v)", n, ui)
	}
	t.Logf("review techniques: %v; described (API): %v", ui, described)
	// The list alone: the page around it is review.html's, but for the
	// datalist of every ATT&CK technique.
	checkGolden(t, "fragments/review-described.html", reviewList(t, page.body))
}

// reviewList is the list of items of a review page.
func reviewList(t *testing.T, body string) string {
	t.Helper()
	i, j := strings.Index(body, `<ol class="review-items">`), strings.Index(body, `</ol>`)
	if i < 0 || j < i {
		t.Fatalf("no review list in the page:\n%s", body)
	}
	return body[i:j+len("</ol>")] + "\n"
}
