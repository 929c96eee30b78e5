package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/kb"
)

// A report added to a case end to end: the Sony article written for the
// extract tests is extracted into unreviewed evidence named after it, with
// its SHA-256; it is not attributed until accepted, then Lazarus Group is
// ranked first.
func TestCaseAddReport(t *testing.T) {
	c := newKBCLI(t)
	c.env = map[string]string{"CULPRIT_ANALYST": "alice"}
	dir := t.TempDir()
	first := filepath.Join(dir, "first.yaml")
	if err := os.WriteFile(first, []byte("name: a report test\nindicators:\n  - {type: ipv4-addr, value: 198.51.100.7}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(c.mustRun("", "case", "new", first))
	article, err := os.ReadFile(filepath.Join("..", "..", "extract", "testdata", "sony-news.txt"))
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "sony-news.txt")
	if err := os.WriteFile(report, article, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := c.mustRun("", "case", "add", id, report); !strings.Contains(out, "2 pieces of evidence") {
		t.Fatalf("case add printed %q", out)
	}

	var shown struct {
		Evidence []struct {
			Name    string `json:"name"`
			Status  string `json:"status"`
			Content []byte `json:"content"`
		} `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(c.mustRun("", "case", "show", "--json", id)), &shown); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(article)
	var found bool
	for _, e := range shown.Evidence {
		if e.Name != "sony-news.txt" {
			continue
		}
		found = true
		if e.Status != kb.EvidenceUnreviewed {
			t.Errorf("report evidence status %q, want unreviewed", e.Status)
		}
		if !strings.Contains(string(e.Content), "sha256:"+hex.EncodeToString(sum[:])) {
			t.Errorf("report evidence does not keep the report's SHA-256:\n%.300s", e.Content)
		}
	}
	if !found {
		t.Fatalf("no evidence named sony-news.txt in case show --json")
	}

	attribute := func() attrib.Result {
		var res attrib.Result
		if err := json.Unmarshal([]byte(c.mustRun("", "case", "attribute", "--json", id)), &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := attribute(); len(res.Hypotheses) > 0 && res.Hypotheses[0].Name == "Lazarus Group" {
		t.Fatalf("unreviewed report attributed: first hypothesis %s", res.Hypotheses[0].Name)
	}
	c.mustRun("", "case", "accept", id, "sony-news.txt")
	if res := attribute(); len(res.Hypotheses) == 0 || res.Hypotheses[0].Name != "Lazarus Group" {
		t.Fatalf("accepted report: hypotheses %+v, want Lazarus Group first", res.Hypotheses)
	}
}
