package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/internal/stixschema"
)

// runCLI runs culprit with args in an environment whose knowledge base
// path is an empty temporary directory, and returns the exit code, stdout
// and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	home := t.TempDir()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
		switch k {
		case "HOME":
			return home
		case "XDG_DATA_HOME":
			return filepath.Join(home, "data")
		}
		return ""
	}}
	code := run(context.Background(), args, e)
	return code, stdout.String(), stderr.String()
}

const sonyCase = "../../examples/sony-2014/case.yaml"

func TestAttributeSonyText(t *testing.T) {
	code, out, errOut := runCLI(t, "attribute", sonyCase)
	if code != 0 {
		t.Fatalf("culprit attribute %s: exit %d\n%s", sonyCase, code, errOut)
	}
	for _, want := range []string{
		" 1. Lazarus Group (G0032)",
		"Guardians of Peace",
		"Unit 121: Lazarus Group —[",
		"campaign DarkSeoul: attributed-to Lazarus Group 70",
		"attributed-to Unit 121 40",
		"an actor not in the knowledge base:",
		"look for next:",
		"confidence: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "embedded starter knowledge") {
		t.Errorf("stderr = %q, want it to say the starter knowledge was used", errOut)
	}
}

func TestAttributeSonyJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "attribute", "--format", "json", "--top", "3", sonyCase, sonyCase)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want one JSON object per case (2)", len(lines))
	}
	var r attrib.Result
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatalf("line 1 is not a result: %v", err)
	}
	if got := len(r.Hypotheses); got != 3 {
		t.Errorf("len(hypotheses) = %d, want 3 (--top 3)", got)
	}
	h := r.Hypotheses[0]
	if h.Name != "Lazarus Group" || h.ExternalID != "G0032" || r.Top != h.ID {
		t.Fatalf("top hypothesis = %s (%s), top %s; want Lazarus Group G0032", h.Name, h.ExternalID, r.Top)
	}
	aliases := strings.Join(h.Aliases, "|")
	for _, n := range []string{"Guardians of Peace", "Unit 121"} {
		if !strings.Contains(aliases, n) {
			t.Errorf("aliases %q lack %q", h.Aliases, n)
		}
	}
	if len(h.IDs) < 3 || h.IDs[0] != h.ID {
		t.Errorf("ids = %q, want the primary first and the folded Guardians of Peace and Unit 121", h.IDs)
	}
	var self, fbi *attrib.Evidence
	for i, ev := range h.Evidence {
		switch {
		case ev.Kind == "claim" && strings.Contains(ev.Detail, "self-claim"):
			self = &h.Evidence[i]
		case ev.Kind == "claim" && strings.Contains(ev.Detail, "FBI"):
			fbi = &h.Evidence[i]
		}
	}
	if self == nil || fbi == nil {
		t.Fatalf("evidence lacks the self-claim or the FBI claim: %+v", h.Evidence)
	}
	if self.Weight > 0.1 || self.Cost != "cheap" || self.Weight*10 > fbi.Weight {
		t.Errorf("self-claim %+v, FBI claim weight %v: want the self-claim cheap and weighted little", *self, fbi.Weight)
	}
	if r.Unknown > 0.2 || h.Probability < 0.5 {
		t.Errorf("probability %v, unknown %v: want Lazarus Group likely", h.Probability, r.Unknown)
	}
}

func TestAttributeMarkdownAndSTIX(t *testing.T) {
	out := filepath.Join(t.TempDir(), "result.json")
	code, md, errOut := runCLI(t, "attribute", "--format", "markdown", "--stix", out, sonyCase)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"## Attribution: Sony", "| 1 | Lazarus Group (G0032) |", "### What to look for next"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type":"incident"`, `"relationship_type":"attributed-to"`, `"type":"note"`, `"confidence":`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("STIX output lacks %s", want)
		}
	}
	stixschema.Validate(t, b)
}

func TestAttributeMalformed(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout or stderr
	}{
		{"no case", []string{"attribute"}, 2, "no case given"},
		{"bad format", []string{"attribute", "--format", "xml", sonyCase}, 2, "unknown format"},
		{"missing file", []string{"attribute", filepath.Join(dir, "nope.yaml")}, 1, "nope.yaml"},
		{"empty case", []string{"attribute", write("empty.yaml", "name: empty\n")}, 1, "evidence"},
		{"100 MB case", []string{"attribute", huge}, 1, "bytes"},
		{"unknown technique", []string{"attribute", write("t.yaml", "techniques:\n  - T9999\n  - T1485\n")}, 0, `technique "T9999" is not in the knowledge base`},
		{"contradictory claims", []string{"attribute", write("c.yaml", "claims:\n  - actor: APT28\n    source: a\n  - actor: Sandworm Team\n    source: b\n")}, 0, "contradict"},
		{"one bad of two", []string{"attribute", write("e2.yaml", "name: e2\n"), sonyCase}, 1, "Lazarus Group"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.wantOut) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.wantOut, out, errOut)
			}
		})
	}
}
