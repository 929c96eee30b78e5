package casefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkParse is the property every fuzz input must keep: Parse returns
// either an error and no case, or a case with evidence; warnings point at
// plausible lines; nothing panics.
func checkParse(t *testing.T, data []byte) {
	c, warns, err := Parse("fuzz", bytes.NewReader(data))
	if err != nil {
		if c != nil {
			t.Fatalf("Parse returned a case with error %v", err)
		}
		return
	}
	if c == nil || c.empty() {
		t.Fatalf("Parse returned no error and an empty case %+v", c)
	}
	if c.Name == "" {
		t.Errorf("Parse returned a case without a name")
	}
	if len(warns) > maxWarnings+1 {
		t.Errorf("Parse returned %d warnings, more than the bound %d", len(warns), maxWarnings+1)
	}
	// YAML breaks lines at \n, \r\n and a lone \r.
	lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
	for _, w := range warns {
		if w.Line < 0 || w.Line > lines {
			t.Errorf("warning %q has line %d outside the %d-line input", w, w.Line, lines)
		}
	}
	for _, in := range c.Indicators {
		if in.Value == "" || in.Type == "" {
			t.Errorf("indicator %+v has an empty type or value", in)
		}
	}
	for _, cl := range c.Claims {
		if cl.Actor == "" {
			t.Errorf("claim %+v has no actor", cl)
		}
		if cl.Credibility < 0 || cl.Credibility > 6 {
			t.Errorf("claim %+v has credibility out of range", cl)
		}
		if r := cl.Reliability; r != "" && (len(r) != 1 || r[0] < 'A' || r[0] > 'F') {
			t.Errorf("claim %+v has reliability out of range", cl)
		}
	}
}

func addSeeds(f *testing.F, glob string) {
	paths, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzParseYAML(f *testing.F) {
	addSeeds(f, "*.yaml")
	for _, s := range []string{
		"techniques: [T1485, {id: T1561.002}]\n",
		"indicators:\n  - 192.0.2[.]1\n  - {type: url, value: 'hxxp://a.example/'}\n",
		"claims:\n  - {actor: X, source: S, admiralty: B2, self_claim: true}\n",
		"x: &a [*a]\nsoftware: *a\n",
		"samples: [{sha256: " + sha256 + ", tlsh: " + tlshT1 + "}]\n",
		"software: [x]\n---\n",
		"{software: [x]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if isJSONObject(data) {
			return // FuzzParseBundle covers JSON
		}
		checkParse(t, data)
	})
}

func FuzzParseBundle(f *testing.F) {
	addSeeds(f, "*.json")
	f.Add([]byte(`{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","id":"indicator--1","pattern":"[file:hashes.'SHA-256' = 'x' AND file:hashes.TLSH = 'y']"}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"relationship","id":"relationship--1","relationship_type":"attributed-to","source_ref":"campaign--1","target_ref":"intrusion-set--1","confidence":101}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse("fuzz.json", bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrNoEvidence) && !strings.Contains(err.Error(), "case fuzz.json") {
			t.Fatalf("error %q does not name the case", err)
		}
		_ = c
		checkParse(t, data)
	})
}
