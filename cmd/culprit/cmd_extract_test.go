package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
	"github.com/culprit-cti/culprit/stix"
)

// runExtractCLI runs culprit with args in a fresh home (an empty
// knowledge base: the starter knowledge's names) and returns its exit
// status, stdout and stderr.
func runExtractCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	tmp := t.TempDir()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
		switch k {
		case "HOME":
			return tmp
		case "XDG_DATA_HOME":
			return filepath.Join(tmp, "data")
		}
		return ""
	}}
	code := run(context.Background(), args, e)
	return code, stdout.String(), stderr.String()
}

// TestExtractGolden compares the whole output of culprit extract with
// testdata/extract/*.golden (go test -run TestExtractGolden -update).
func TestExtractGolden(t *testing.T) {
	sony := filepath.Join("..", "..", "extract", "testdata", "sony-news.txt")
	html := filepath.Join("testdata", "extract", "advisory.html")
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"sony-yaml", "", []string{"extract", sony}},
		{"sony-json", "", []string{"extract", "--json", sony}},
		{"sony-stix", "", []string{"extract", "--format", "stix", "--time", "2014-12-20T00:00:00Z", sony}},
		{"html-yaml", "", []string{"extract", html}},
		{"stdin-json", "Beacon to 203.0.113.9 and hxxps://c2[.]example[.]net/x, per CVE-2021-44228.", []string{"extract", "--format", "json", "-"}},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00", []string{"extract", "-"}},
		{"bad-format", "", []string{"extract", "--format", "xml", sony}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runExtractCLI(t, tc.stdin, tc.args...)
			got := "$ culprit " + strings.Join(tc.args, " ") + "\nexit " + itoa(code) + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			p := filepath.Join("testdata", "extract", tc.name+".golden")
			if *update {
				if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (run go test -run TestExtractGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (-update if intended):\n%s", p, lineDiff(string(want), got))
			}
		})
	}
}

// TestExtractCase checks that the case file extract writes is one that
// casefile reads without a warning, and that, attributed, it ranks Lazarus
// Group first (the Sony facts of examples/sony-2014).
func TestExtractCase(t *testing.T) {
	sony := filepath.Join("..", "..", "extract", "testdata", "sony-news.txt")
	code, out, stderr := runExtractCLI(t, "", "extract", sony)
	if code != 0 {
		t.Fatalf("extract: exit %d: %s", code, stderr)
	}
	c, warns, err := casefile.Parse("case.yaml", strings.NewReader(out))
	if err != nil {
		t.Fatalf("casefile.Parse: %v\n%s", err, out)
	}
	for _, w := range warns {
		t.Errorf("casefile warning: %v", w)
	}
	if len(c.Claims) < 5 || len(c.Indicators) < 3 {
		t.Errorf("case has %d claims and %d indicators, want at least 5 and 3", len(c.Claims), len(c.Indicators))
	}
	p := filepath.Join(t.TempDir(), "case.yaml")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, res, stderr := runExtractCLI(t, "", "attribute", "--json", p)
	if code != 0 {
		t.Fatalf("attribute: exit %d: %s", code, stderr)
	}
	var first struct {
		Hypotheses []struct {
			Name string `json:"name"`
		} `json:"hypotheses"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(res, "\n", 2)[0]), &first); err != nil || len(first.Hypotheses) == 0 {
		if err := json.Unmarshal([]byte(res), &first); err != nil || len(first.Hypotheses) == 0 {
			t.Fatalf("attribute --json output not read: %v\n%.400s", err, res)
		}
	}
	if got := first.Hypotheses[0].Name; got != "Lazarus Group" {
		t.Errorf("first hypothesis %q, want Lazarus Group", got)
	}
}

// TestExtractSTIXValid validates the bundle against the OASIS schemas.
func TestExtractSTIXValid(t *testing.T) {
	refdata.Path(t, "stix")
	sony := filepath.Join("..", "..", "extract", "testdata", "sony-news.txt")
	code, out, stderr := runExtractCLI(t, "", "extract", "--format", "stix", sony)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	stixschema.Validate(t, []byte(out))
}

// TestExtractTechniques imports ATT&CK 18.1, whose procedure texts train
// the technique model, and checks that techniques described without
// their id are found, each with its sentence.
func TestExtractTechniques(t *testing.T) {
	if testing.Short() {
		t.Skip("imports ATT&CK 18.1")
	}
	bundle := refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz")
	c := newKBCLI(t)
	c.mustRun("", "import", bundle)
	out := c.mustRun("", "extract", "--json", filepath.Join("testdata", "extract", "technical.txt"))
	var files []struct {
		Techniques []struct {
			Technique string `json:"technique"`
			Sentence  string `json:"sentence"`
		} `json:"techniques"`
	}
	if err := json.Unmarshal([]byte(out), &files); err != nil || len(files) != 1 {
		t.Fatalf("output not read: %v\n%.300s", err, out)
	}
	got := map[string]string{}
	for _, f := range files[0].Techniques {
		got[f.Technique] = f.Sentence
	}
	for id, word := range map[string]string{"T1566.001": "spearphishing", "T1053.005": "scheduled task", "T1070.001": "event logs"} {
		if !strings.Contains(got[id], word) {
			t.Errorf("technique %s: sentence %q, want one about %q (found %v)", id, got[id], word, got)
		}
	}

	// The STIX output: every technique in the report's object_refs, by the
	// knowledge's own attack-pattern id (no copy that would replace the
	// curated object on import), with a note holding its sentence.
	bundleOut := c.mustRun("", "extract", "--format", "stix", "--time", "2026-01-02T03:04:05Z", filepath.Join("testdata", "extract", "technical.txt"))
	objs, err := stix.ReadAll(strings.NewReader(bundleOut), "extract")
	if err != nil {
		t.Fatal(err)
	}
	attackIDs := map[string]string{} // STIX id -> ATT&CK id, from the import
	all, err := stix.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		if o.Type == "attack-pattern" {
			attackIDs[o.ID] = o.ExternalID("mitre-attack")
		}
	}
	refs := map[string]bool{}
	notes := map[string]string{}
	for _, o := range objs {
		switch o.Type {
		case "report":
			for _, r := range o.ObjectRefs {
				if id := attackIDs[r]; id != "" {
					refs[id] = true
				}
			}
		case "attack-pattern":
			t.Errorf("bundle holds a copy of attack pattern %s", o.ID)
		case "note":
			var n struct {
				Abstract string `json:"abstract"`
				Content  string `json:"content"`
			}
			if err := json.Unmarshal(o.Raw, &n); err != nil {
				t.Fatal(err)
			}
			notes[n.Abstract] = n.Content
		}
	}
	for _, id := range []string{"T1566.001", "T1053.005", "T1070.001", "T1059.001"} {
		if !refs[id] {
			t.Errorf("report does not refer to %s (refers to %v)", id, refs)
		}
	}
	// PowerShell is named, not described: its note says so and holds the sentence.
	if n := notes[`technique T1059.001 (named "PowerShell")`]; !strings.Contains(n, "launched PowerShell to download") {
		t.Errorf("note of T1059.001: %q (notes %v)", n, notes)
	}
	refdata.Path(t, "stix") // the schemas: skips here, after the checks above, where they are absent
	stixschema.Validate(t, []byte(bundleOut))
}

// TestExtractGoldenWarninglists covers the probably benign entries of the
// case file (written as comments) with the shared MISP warninglists.
func TestExtractGoldenWarninglists(t *testing.T) {
	lists := refdata.Path(t, "misp-warninglists", "lists")
	html := filepath.Join("testdata", "extract", "advisory.html")
	args := []string{"extract", "--warninglists", lists, "--own", "update-check.example.org", html}
	code, stdout, stderr := runExtractCLI(t, "", args...)
	args[2] = "$WARNINGLISTS"
	got := "$ culprit " + strings.Join(args, " ") + "\nexit " + itoa(code) + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr
	p := filepath.Join("testdata", "extract", "html-warninglists.golden")
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run TestExtractGoldenWarninglists -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (-update if intended):\n%s", p, lineDiff(string(want), got))
	}
	if _, _, err := casefile.Parse("case.yaml", strings.NewReader(stdout)); err != nil {
		t.Errorf("the case file does not parse: %v", err)
	}
}
