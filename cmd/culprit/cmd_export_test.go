package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// decodeObjects decodes a STIX input into id -> parsed JSON value.
func decodeObjects(t *testing.T, r io.Reader, name string) map[string]any {
	t.Helper()
	dec := stix.NewDecoder(r, name)
	out := make(map[string]any)
	for {
		o, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		var v any
		if err := json.Unmarshal(o.Raw, &v); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[o.ID]; !dup {
			out[o.ID] = v
		}
	}
}

// TestExportRoundTrip imports the OASIS STIX 2.1 examples, exports the
// knowledge base, validates the bundle against the OASIS schemas, and
// checks that every object comes back unchanged.
func TestExportRoundTrip(t *testing.T) {
	dir := refdata.Path(t, "stix", "examples")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(dir, "threat-reports", "*.json"))
	files = append(files, more...)
	if len(files) < 5 {
		t.Fatalf("found %d example files in %s, want the OASIS examples", len(files), dir)
	}
	c := newKBCLI(t)
	want := make(map[string]any)
	for _, f := range files {
		c.mustRun("", "import", f)
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		for id, v := range decodeObjects(t, fh, f) {
			if _, ok := want[id]; !ok {
				want[id] = v
			}
		}
		fh.Close()
	}

	out := filepath.Join(t.TempDir(), "export.json")
	if got := c.mustRun("", "export", "--out", out, "--json"); !strings.Contains(got, `"objects":`) {
		t.Errorf("export --json printed %q, want a summary", got)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	stixschema.Validate(t, data)
	got := decodeObjects(t, bytes.NewReader(data), out)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects changed by import and export (-imported +exported):\n%s", diff)
	}

	// To stdout, the same objects.
	stdout := c.mustRun("", "export")
	if diff := cmp.Diff(want, decodeObjects(t, strings.NewReader(stdout), "stdout")); diff != "" {
		t.Errorf("export to stdout differs (-imported +exported):\n%s", diff)
	}
}

func TestExportInactiveAndAtomic(t *testing.T) {
	c := newKBCLI(t)
	revoked := strings.Replace(strings.Replace(goodTool, "8e2f1c3a", "7e2f1c3a", 1), `"name":"Test Tool"`, `"name":"Old","revoked":true`, 1)
	revokedRel := strings.Replace(strings.Replace(goodRel, "tool--8e2f1c3a", "tool--7e2f1c3a", 1), "0b3c2f6e", "1b3c2f6e", 1)
	p := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(p, []byte(bundle(goodActor, goodTool, goodRel, revoked, revokedRel)), 0o644); err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "import", p)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"active only, with relationships to them", nil, 3},
		{"all", []string{"--all"}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := c.mustRun("", append([]string{"export"}, tc.args...)...)
			if got := len(decodeObjects(t, strings.NewReader(out), "export")); got != tc.want {
				t.Errorf("export %v: %d objects, want %d", tc.args, got, tc.want)
			}
		})
	}

	// A failed export leaves nothing at the target, and an existing file
	// is replaced whole.
	dir := t.TempDir()
	target := filepath.Join(dir, "out.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "export", "--out", target)
	data, _ := os.ReadFile(target)
	if !bytes.HasPrefix(data, []byte(`{"type":"bundle"`)) {
		t.Errorf("export --out over an existing file wrote %.40q, want a bundle", data)
	}
	missing := filepath.Join(dir, "no-such-dir", "out.json")
	if code, _, _ := c.run("", "export", "--out", missing); code != 1 {
		t.Errorf("export into a missing directory: exit %d, want 1", code)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left in %s: %v, want only out.json", dir, names)
	}
}

func TestActorsAndShow(t *testing.T) {
	c := newKBCLI(t)
	other := strings.Replace(strings.Replace(goodActor, "1b7ba276", "2b7ba276", 1), `"Test Group"`, `"Another Group"`, 1)
	p := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(p, []byte(bundle(goodActor, goodTool, goodRel, other)), 0o644); err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "import", p)

	var list []kb.ActorSummary
	if err := json.Unmarshal([]byte(c.mustRun("", "actors", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	if diff := cmp.Diff([]string{"Another Group", "Test Group"}, names); diff != "" {
		t.Errorf("actors names mismatch (-want +got):\n%s", diff)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"actors by alias", []string{"actors", "tg 1"}, 0, "Test Group"},
		{"actors no match", []string{"actors", "nobody"}, 1, ""},
		{"show by alias", []string{"show", "tg-1"}, 0, "Test Tool"},
		{"show by id", []string{"show", "intrusion-set--1b7ba276-eedc-4951-a762-0ceea2c030ec"}, 0, "Test Group"},
		{"show unknown", []string{"show", "nobody"}, 1, ""},
		{"show non-actor", []string{"show", "Test Tool"}, 1, ""},
		{"show two words unquoted", []string{"show", "Test", "Group"}, 2, ""},
		{"show bad fold", []string{"show", "--fold", "0", "tg-1"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := c.run("", tc.args...)
			if code != tc.code {
				t.Errorf("culprit %v: exit %d, want %d; stderr %s", tc.args, code, tc.code, errs)
			}
			if !strings.Contains(out, tc.contains) {
				t.Errorf("culprit %v output %q does not contain %q", tc.args, out, tc.contains)
			}
		})
	}
}
