package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib/eval"
	"github.com/culprit-cti/culprit/internal/refdata"
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
