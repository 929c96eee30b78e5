package investigation_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
)

// TestAddReport adds the Sony case file as what was extracted from a
// report: stored under the report's name with its SHA-256, not attributed
// until accepted.
func TestAddReport(t *testing.T) {
	ctx := context.Background()
	s := service(t)
	first := investigation.Evidence{Name: "seen.yaml", By: "alice",
		Content: []byte("name: unrelated\nindicators:\n  - {type: ipv4-addr, value: 198.51.100.7}\n")}
	c, err := s.New(ctx, "report test", first)
	if err != nil {
		t.Fatal(err)
	}
	report := []byte("the text of a report, hashed only")
	sum := sha256.Sum256(report)
	extracted, err := os.ReadFile("../examples/sony-2014/case.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := investigation.Report{Name: "/tmp/x/sony-news.pdf", SHA256: hex.EncodeToString(sum[:]), CaseFile: extracted, By: "bob"}
	c, err = s.AddReport(ctx, c.ID, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Evidence) != 2 {
		t.Fatalf("%d pieces of evidence, want 2", len(c.Evidence))
	}
	e := c.Evidence[1]
	if e.Name != "sony-news.pdf" || e.Status != kb.EvidenceUnreviewed || e.By != "bob" {
		t.Errorf("evidence %s status %s by %s, want sony-news.pdf unreviewed by bob", e.Name, e.Status, e.By)
	}
	if name, got, ok := investigation.ReportOf(e); !ok || name != "sony-news.pdf" || got != rep.SHA256 {
		t.Errorf("ReportOf = %q %q %v, want the report's name and SHA-256", name, got, ok)
	}
	if _, _, ok := investigation.ReportOf(c.Evidence[0]); ok {
		t.Error("ReportOf of a case file given as is: ok, want not a report")
	}

	res, c, err := s.Attribute(ctx, c.ID, knowledge(t, s), assess.Options{}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hypotheses) > 0 && res.Hypotheses[0].Name == "Lazarus Group" {
		t.Fatalf("unreviewed report attributed: first hypothesis %s", res.Hypotheses[0].Name)
	}
	// The same report again changes nothing; another file of that name is a conflict.
	again, err := s.AddReport(ctx, c.ID, rep)
	if err != nil || again.Version != c.Version || len(again.Evidence) != 2 {
		t.Errorf("same report again: %v (version %d, was %d)", err, again.Version, c.Version)
	}
	other := rep
	other.SHA256 = hex.EncodeToString(make([]byte, 32))
	if _, err := s.AddReport(ctx, c.ID, other); errs.KindOf(err) != errs.Conflict {
		t.Errorf("another report of the same name = %v, want a conflict", err)
	}
	if _, err := s.Accept(ctx, c.ID, "sony-news.pdf", "alice"); err != nil {
		t.Fatal(err)
	}
	res, _, err = s.Attribute(ctx, c.ID, knowledge(t, s), assess.Options{}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if res.Hypotheses[0].Name != "Lazarus Group" {
		t.Errorf("accepted report: first hypothesis %s, want Lazarus Group", res.Hypotheses[0].Name)
	}
}

func TestReportEvidenceErrors(t *testing.T) {
	good := hex.EncodeToString(make([]byte, 32))
	for _, r := range []investigation.Report{
		{Name: "", SHA256: good},
		{Name: "a\nb.txt", SHA256: good},
		{Name: "r.txt", SHA256: "abc"},
	} {
		if _, err := investigation.ReportEvidence(r); errs.KindOf(err) != errs.Invalid {
			t.Errorf("ReportEvidence(%q, %q) = %v, want Invalid", r.Name, r.SHA256, err)
		}
	}
}

func TestIsReport(t *testing.T) {
	for _, tc := range []struct {
		name, head string
		want       bool
	}{
		{"case.yaml", "name: x\n", false},
		{"case.YML", "name: x\n", false},
		{"bundle.json", `{"type":"bundle"}`, false},
		{"bundle.json.gz", "\x1f\x8b", false},
		{"bundle", "\ufeff  {\"type\":\"bundle\"}", false},
		{"export", "\x1f\x8b\x08", false},
		{"report.txt", "The group calling itself", true},
		{"report.md", "# Lazarus\n", true},
		{"report.html", "<html>", true},
		{"report.pdf", "%PDF-1.7", true},
	} {
		if got := investigation.IsReport(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("IsReport(%q, %q) = %v, want %v", tc.name, tc.head, got, tc.want)
		}
	}
}
