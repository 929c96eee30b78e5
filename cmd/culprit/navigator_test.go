package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// culprit case export --format navigator and culprit show --navigator on
// the Sony example: the layers, whole, against golden files.
func TestNavigatorCommands(t *testing.T) {
	c := newKBCLI(t)
	c.env = map[string]string{"CULPRIT_ANALYST": "alice"}
	id := strings.TrimSpace(c.mustRun("", "case", "new", sonyCase))
	c.mustRun("", "case", "attribute", id)
	layer := c.mustRun("", "case", "export", "--format", "navigator", id)
	var l struct {
		Domain   string `json:"domain"`
		Versions struct{ Layer string }
	}
	if err := json.Unmarshal([]byte(layer), &l); err != nil || l.Domain != "enterprise-attack" || l.Versions.Layer != "4.5" {
		t.Fatalf("case export --format navigator: %v, %+v", err, l)
	}
	golden(t, "case-navigator", scrub(layer))
	golden(t, "show-navigator", c.mustRun("", "show", "--navigator", "Lazarus Group"))
	golden(t, "show-navigator-compare", c.mustRun("", "show", "--navigator", "Lazarus Group", "G0034"))
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad format", []string{"case", "export", "--format", "pdf", id}, 2, `--format "pdf": want stix or navigator`},
		{"four actors", []string{"show", "--navigator", "APT28", "APT38", "G0034", "G0032"}, 2, "at most 3 actors"},
		{"unknown actor", []string{"show", "--navigator", "Nobody Here"}, 1, `no actor has the name, alias or id "Nobody Here"`},
	} {
		code, _, stderr := c.run("", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, stderr, tc.code, tc.msg)
		}
	}
}
