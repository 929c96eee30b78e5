package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/stix"
)

var (
	caseIDRE = regexp.MustCompile(`case-[0-9a-f]{12}`)
	timeRE   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	dateRE   = regexp.MustCompile(`on \d{4}-\d\d-\d\d`)
)

// scrub replaces what changes from run to run (case ids, times) so that
// the output can be compared with a golden file.
func scrub(s string) string {
	s = caseIDRE.ReplaceAllString(s, "case-ID")
	s = timeRE.ReplaceAllString(s, "TIME")
	return dateRE.ReplaceAllString(s, "on DATE")
}

// The case commands end to end on the Sony example: new, attribute,
// confirm, export, reopen, and the errors that change nothing.
func TestCaseCommands(t *testing.T) {
	c := newKBCLI(t)
	c.env = map[string]string{"CULPRIT_ANALYST": "alice"}
	id := strings.TrimSpace(c.mustRun("", "case", "new", sonyCase))
	if !caseIDRE.MatchString(id) {
		t.Fatalf("case new printed %q, want a case id", id)
	}
	var res attrib.Result
	if err := json.Unmarshal([]byte(c.mustRun("", "case", "attribute", "--json", id)), &res); err != nil {
		t.Fatal(err)
	}
	if res.Top == "unknown" || res.Hypotheses[0].Name != "Lazarus Group" {
		t.Fatalf("case attribute: top %s", res.Top)
	}
	c.mustRun("", "case", "confirm", id, "--actor", "Unit 121", "--reason", "FBI statement, C2 overlap")

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"confirm twice", []string{"case", "confirm", id, "--actor", "APT28"}, 1, "already confirmed to Lazarus Group"},
		{"unknown case", []string{"case", "show", "case-000000000000"}, 1, "no case case-000000000000"},
		{"not a case id", []string{"case", "attribute", "sony"}, 2, "is not a case id"},
		{"actor and new actor", []string{"case", "confirm", id, "--actor", "x", "--new-actor", "y"}, 2, "--actor NAME or --new-actor NAME"},
		{"bad confidence", []string{"case", "confirm", id, "--actor", "x", "--confidence", "101"}, 2, "out of range"},
		{"unknown verb", []string{"case", "close", id}, 2, `unknown verb "close"`},
	} {
		code, _, stderr := c.run("", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, stderr, tc.code, tc.msg)
		}
	}

	out := filepath.Join(t.TempDir(), "case.json")
	c.mustRun("", "case", "export", "--out", out, id)
	objs, err := stix.ReadFile(out)
	if err != nil {
		t.Fatalf("case export: %v", err)
	}
	var attributed bool
	for _, o := range objs {
		attributed = attributed || o.Type == "relationship" && o.RelationshipType == "attributed-to" && strings.HasPrefix(o.SourceRef, "incident--")
	}
	if !attributed {
		t.Error("the exported case has no incident attributed-to the actor")
	}

	show := c.mustRun("", "case", "show", id)
	c.mustRun("", "case", "reopen", id, "--reason", "new evidence")
	list := c.mustRun("", "case", "list")
	golden(t, "case-show", scrub(show+"--- after reopen\n"+list))
}

// golden compares got with testdata/golden/NAME.golden (see TestGolden).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended):\n%s", path, lineDiff(string(want), got))
	}
}

// culprit case new --tlp gives the case a level (without it, RED): case
// show and case list say it (access.CaseLevel, the rule the server applies).
func TestCaseTLP(t *testing.T) {
	c := newKBCLI(t)
	c.env = map[string]string{"CULPRIT_ANALYST": "alice"}
	green := strings.TrimSpace(c.mustRun("", "case", "new", "--tlp", "green", "--name", "shared phish", sonyCase))
	red := strings.TrimSpace(c.mustRun("", "case", "new", "--name", "default level", sonyCase))
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown level", []string{"case", "new", "--tlp", "purple", sonyCase}, `unknown TLP level "purple"`},
		{"empty level", []string{"case", "new", "--tlp", " ", sonyCase}, `unknown TLP level " "`},
	} {
		code, _, stderr := c.run("", tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, stderr, tc.msg)
		}
	}
	out := c.mustRun("", "case", "show", green) + "---\n" + c.mustRun("", "case", "show", red) + "---\n" + c.mustRun("", "case", "list")
	var list []caseSummary
	if err := json.Unmarshal([]byte(c.mustRun("", "case", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].TLP != "TLP:GREEN" || list[1].TLP != "TLP:RED" {
		t.Errorf("case list --json: %+v, want a GREEN case then a RED one", list)
	}
	golden(t, "case-tlp", scrub(out))
}
