package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/attrib/eval"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/stix"
	"github.com/google/go-cmp/cmp"
)

func TestEvalCommand(t *testing.T) {
	bundle := refdata.Path(t, "attack", "enterprise-attack-12.1.json.gz")
	code, out, errOut := runCLI(t, "eval", "--bundle", bundle, "--max-reports", "12", "--json")
	if code != 0 {
		t.Fatalf("culprit eval: exit %d\n%s", code, errOut)
	}
	var rep eval.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not a report: %v\n%s", err, out)
	}
	if rep.Split != "test" || rep.Engine.Known+rep.Engine.HeldOut != 12 || rep.Groups < 100 {
		t.Errorf("report %+v, want the test split, 12 reports, over 100 groups", rep)
	}

	code, out, errOut = runCLI(t, "eval", "--bundle", bundle, "--max-reports", "6", "--split", "dev")
	if code != 0 {
		t.Fatalf("culprit eval (text): exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"split dev", "engine", "TF-IDF", "AUROC"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"both sources", []string{"eval", "--bundle", "x", "--db", "y"}, "not both"},
		{"stray argument", []string{"eval", "x"}, "unexpected argument"},
		{"no database", []string{"eval"}, "no knowledge base"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want failure with %q", code, errOut, tc.want)
			}
		})
	}
}

// TestEvalTemporal runs the temporal protocol on the first 20 reports of
// the development split, with and without learning, and compares the text
// output with a golden file (go test -run TestEvalTemporal -update
// rewrites it); the JSON output must agree with it.
func TestEvalTemporal(t *testing.T) {
	old := refdata.Path(t, "attack", "enterprise-attack-9.0.json.gz")
	later := refdata.Path(t, "attack", "enterprise-attack-12.1.json.gz")
	var got strings.Builder
	for _, learn := range []bool{false, true} {
		args := []string{"eval", "--protocol", "temporal", "--knowledge", old, "--later", later, "--max-reports", "20"}
		if learn {
			args = append(args, "--learn")
		}
		code, out, errOut := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("culprit %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
		}
		got.WriteString(out)
		code, js, errOut := runCLI(t, append(args, "--json")...)
		if code != 0 {
			t.Fatalf("culprit eval --json: exit %d\n%s", code, errOut)
		}
		var rep eval.TemporalReport
		if err := json.Unmarshal([]byte(js), &rep); err != nil {
			t.Fatalf("output is not a temporal report: %v\n%s", err, js)
		}
		if rep.Reports != 20 || rep.Learn != learn || rep.Engine.Known+rep.Engine.HeldOut != 20 {
			t.Errorf("JSON report %+v, want 20 reports, learn %v", rep, learn)
		}
		if want := fmt.Sprintf("engine     %6.3f %6.3f", rep.Engine.Top1, rep.Engine.Top5); !strings.Contains(out, want) {
			t.Errorf("text output lacks the JSON's figures %q:\n%s", want, out)
		}
	}
	golden := filepath.Join("testdata", "eval", "temporal-dev-20.golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestEvalTemporal -update)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("culprit eval --protocol temporal (-want +got):\n%s", diff)
	}
}

func TestEvalTemporalUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no later bundle", []string{"eval", "--protocol", "temporal", "--knowledge", "x"}, "needs --knowledge OLD and --later NEW"},
		{"unknown protocol", []string{"eval", "--protocol", "future"}, "unknown protocol"},
		{"learn without temporal", []string{"eval", "--learn"}, "go with --protocol temporal"},
		{"learn-small without learn", []string{"eval", "--protocol", "temporal", "--knowledge", "x", "--later", "y", "--learn-small"}, "goes with --learn"},
		{"missing file", []string{"eval", "--protocol", "temporal", "--knowledge", "/nonexistent/old.json", "--later", "/nonexistent/new.json"}, "old.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want failure with %q", code, errOut, tc.want)
			}
		})
	}
}

// TestImportedIncidentsTeach is issue 8's end-to-end check that knowledge
// from elsewhere teaches like the learning mode of the temporal protocol:
// ATT&CK 9.0 is imported, a case is attributed, then a STIX 2.1 bundle of
// an incident attributed-to an ATT&CK group (confidence 90), with uses
// relationships to the case's techniques and software, is imported with
// culprit import; the next attribution ranks that group higher, with a
// higher probability.
func TestImportedIncidentsTeach(t *testing.T) {
	attack := refdata.Path(t, "attack", "enterprise-attack-9.0.json.gz")
	c := newKBCLI(t)
	c.mustRun("", "import", attack)
	dir := t.TempDir()
	casePath := filepath.Join(dir, "case.yaml")
	items := []string{"T1566.001", "T1204.002", "T1059.001", "T1547.001", "T1071.001", "T1105", "T1003.001", "S0002"}
	caseYAML := "name: a partner's intrusion\ntechniques:\n"
	for _, it := range items[:len(items)-1] {
		caseYAML += "  - id: " + it + "\n"
	}
	caseYAML += "software:\n  - id: " + items[len(items)-1] + "\n"
	if err := os.WriteFile(casePath, []byte(caseYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	type hyp struct {
		ID          string  `json:"id"`
		Name        string  `json:"name"`
		Probability float64 `json:"probability"`
	}
	attribute := func() []hyp {
		t.Helper()
		out := c.mustRun("", "attribute", "--json", "--top", "200", casePath)
		var res struct {
			Hypotheses []hyp `json:"hypotheses"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("attribute output is not JSON: %v\n%s", err, out)
		}
		return res.Hypotheses
	}
	rank := func(hs []hyp, id string) (int, float64) {
		for i, h := range hs {
			if h.ID == id {
				return i + 1, h.Probability
			}
		}
		return len(hs) + 1, 0
	}
	before := attribute()
	if len(before) < 12 {
		t.Fatalf("%d hypotheses, want ATT&CK's groups", len(before))
	}
	// The group ranked 10th learns of an incident with this behaviour.
	group := before[9]
	objs, err := stix.ReadFile(attack)
	if err != nil {
		t.Fatal(err)
	}
	byExt := map[string]string{}
	for _, o := range objs {
		switch o.Type {
		case "attack-pattern", "malware", "tool":
			if !o.Revoked && !o.Deprecated {
				byExt[o.ExternalID("mitre-attack")] = o.ID
			}
		}
	}
	var refs []string
	for _, it := range items {
		if byExt[it] == "" {
			t.Fatalf("%s is not in ATT&CK 9.0", it)
		}
		refs = append(refs, byExt[it])
	}
	inc, err := eval.Incident("https://partner.example/incidents/2021-017", time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), group.ID, 90, refs)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "incidents.json")
	f, err := os.Create(bundle)
	if err != nil {
		t.Fatal(err)
	}
	w := stix.NewBundleWriter(f)
	for _, o := range inc {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "import", bundle)
	after := attribute()
	r0, p0 := rank(before, group.ID)
	r1, p1 := rank(after, group.ID)
	t.Logf("%s: rank %d (p %.4f) before the incident, %d (p %.4f) after", group.Name, r0, p0, r1, p1)
	if r1 >= r0 || p1 <= p0 {
		t.Errorf("after importing an incident attributed to %s with the case's behaviour, it ranks %d (p %.4f), want better than %d (p %.4f)", group.Name, r1, p1, r0, p0)
	}
}
