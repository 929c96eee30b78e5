package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
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

// kbCLI runs culprit commands in-process against one temporary knowledge
// base.
type kbCLI struct {
	t   *testing.T
	db  string
	env map[string]string // more of the environment, for the commands that read it
}

func newKBCLI(t *testing.T) *kbCLI {
	return &kbCLI{t: t, db: filepath.Join(t.TempDir(), "kb", "culprit.db")}
}

// run runs culprit with args (and --db) and returns the exit code, stdout
// and stderr.
func (c *kbCLI) run(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string {
			if k == "CULPRIT_DB" {
				return c.db
			}
			return c.env[k]
		},
	}
	code := run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

// mustRun runs culprit and fails the test unless it exits 0.
func (c *kbCLI) mustRun(stdin string, args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(stdin, args...)
	if code != 0 {
		c.t.Fatalf("culprit %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func (c *kbCLI) stats() kb.Stats {
	c.t.Helper()
	s, err := openStoreAt(context.Background(), c.db, true)
	if err != nil {
		c.t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Stats(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

func importJSON(t *testing.T, out string) []importResult {
	t.Helper()
	var r []importResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("import --json output is not JSON: %v\n%s", err, out)
	}
	return r
}

// TestImportATTACKAndMISP is the acceptance test: ATT&CK imports
// with every object, a second import adds nothing, "Guardians of Peace"
// shows Lazarus Group (G0032), and after the MISP threat-actor galaxy,
// "Unit 121" finds it too.
func TestImportATTACKAndMISP(t *testing.T) {
	attack := refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz")
	misp := refdata.Path(t, "misp-galaxy", "threat-actor.json.gz")
	c := newKBCLI(t)
	attackName := "enterprise-attack-18.1.json.gz"
	want := 24771
	if kbRace {
		attack, want = attackSample(t, attack)
		attackName = filepath.Base(attack)
	}

	r := importJSON(t, c.mustRun("", "import", "--json", attack))
	if len(r) != 1 || r[0].Stats.Objects != want || r[0].Stats.New != want || r[0].Format != "stix" {
		t.Fatalf("first import = %+v, want %d new objects", r, want)
	}
	r = importJSON(t, c.mustRun("", "import", "--json", attack))
	if r[0].Stats.New != 0 || r[0].Stats.Updated != 0 || r[0].Stats.Unchanged != want {
		t.Errorf("second import: new %d, updated %d, unchanged %d; want 0, 0, %d", r[0].Stats.New, r[0].Stats.Updated, r[0].Stats.Unchanged, want)
	}
	if got := c.stats().Objects; got != want {
		t.Errorf("Stats.Objects = %d, want %d", got, want)
	}

	card := showOne(t, c, "Guardians of Peace")
	if card.ID != "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a" || card.ExternalID != "G0032" || card.Name != "Lazarus Group" {
		t.Errorf("show Guardians of Peace = %s %s %q, want Lazarus Group G0032", card.ID, card.ExternalID, card.Name)
	}
	if n := nameSources(card, "Guardians of Peace"); !cmp.Equal(n, []string{attackName}) {
		t.Errorf("sources of Guardians of Peace = %v, want the ATT&CK file", n)
	}
	if len(card.Techniques) < 50 || len(card.Software) < 10 {
		t.Errorf("card has %d techniques and %d software, want ATT&CK's (dozens)", len(card.Techniques), len(card.Software))
	}
	text := c.mustRun("", "show", "guardians-of-peace")
	for _, want := range []string{"Lazarus Group (G0032)", "HIDDEN COBRA", attackName, "techniques ("} {
		if !strings.Contains(text, want) {
			t.Errorf("show text does not contain %q:\n%s", want, text)
		}
	}
	if code, _, _ := c.run("", "show", "Unit 121"); code != 1 {
		t.Errorf("show Unit 121 before MISP: exit %d, want 1 (no such actor)", code)
	}

	r = importJSON(t, c.mustRun("", "import", "--json", misp))
	if r[0].Format != "misp-galaxy" || r[0].Stats.New == 0 || r[0].Stats.SameAs == 0 {
		t.Errorf("MISP import = %+v, want new objects and same-as links", r[0])
	}
	card = showOne(t, c, "Unit 121")
	if card.ExternalID != "G0032" || card.Name != "Lazarus Group" {
		t.Errorf("show Unit 121 = %s %q, want Lazarus Group G0032", card.ExternalID, card.Name)
	}
	if n := nameSources(card, "Unit 121"); !cmp.Equal(n, []string{"threat-actor.json.gz"}) {
		t.Errorf("sources of Unit 121 = %v, want the MISP file", n)
	}
	if n := nameSources(card, "Lazarus Group"); len(n) != 2 {
		t.Errorf("sources of Lazarus Group = %v, want ATT&CK and MISP", n)
	}
	var linked bool
	for _, m := range card.Members {
		linked = linked || m.Reason == kb.ReasonName && m.Confidence == kb.ConfidenceName
	}
	if !linked {
		t.Errorf("card members = %+v, want the MISP cluster linked by shared name", card.Members)
	}
	out := c.mustRun("", "actors", "unit-121")
	if !strings.Contains(out, "Lazarus Group") {
		t.Errorf("actors unit-121 = %q, want Lazarus Group", out)
	}

	// The whole knowledge base exports as a valid STIX 2.1 bundle.
	exported := filepath.Join(t.TempDir(), "export.json")
	c.mustRun("", "export", "--all", "--out", exported)
	data, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	stixschema.Validate(t, data)
	if got, want := len(decodeObjects(t, bytes.NewReader(data), exported)), c.stats().Objects; got != want {
		t.Errorf("export --all wrote %d objects, want %d", got, want)
	}
}

// attackSample writes a bundle with the part of ATT&CK the acceptance test
// reads: every actor, campaign and piece of software, the identity and
// marking, Lazarus Group's relationships and what they point at. It returns
// its path and object count.
func attackSample(t *testing.T, path string) (string, int) {
	t.Helper()
	rc, _, err := stix.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	const lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
	dec := stix.NewDecoder(rc, path)
	var keep []*stix.Object
	byID := make(map[string]*stix.Object)
	want := make(map[string]bool)
	for {
		o, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case o.Type == "relationship":
			if o.SourceRef == lazarus || o.TargetRef == lazarus {
				keep = append(keep, o)
				want[o.SourceRef], want[o.TargetRef] = true, true
			}
		case o.Type == "intrusion-set", o.Type == "campaign", o.Type == "malware", o.Type == "tool",
			o.Type == "identity", o.Type == "marking-definition":
			keep = append(keep, o)
		default:
			byID[o.ID] = o
		}
	}
	for id := range want {
		if o, ok := byID[id]; ok {
			keep = append(keep, o)
		}
	}
	p := filepath.Join(t.TempDir(), "attack-sample.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := stix.NewBundleWriter(f)
	for _, o := range keep {
		if err := bw.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return p, len(keep)
}

func showOne(t *testing.T, c *kbCLI, name string) kb.Card {
	t.Helper()
	var cards []kb.Card
	if err := json.Unmarshal([]byte(c.mustRun("", "show", "--json", name)), &cards); err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 {
		t.Fatalf("show %q = %d cards, want 1", name, len(cards))
	}
	return cards[0]
}

func nameSources(c kb.Card, name string) []string {
	for _, n := range c.Names {
		if n.Name == name {
			return n.Sources
		}
	}
	return nil
}

// bundle returns a STIX 2.1 bundle of objs (JSON object texts).
func bundle(objs ...string) string {
	return `{"type":"bundle","id":"bundle--6a2b5b0c-1d5e-4f60-9d4b-3c1f8f6b8a11","objects":[` + strings.Join(objs, ",") + `]}`
}

const (
	goodActor = `{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--1b7ba276-eedc-4951-a762-0ceea2c030ec","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Test Group","aliases":["TG-1"]}`
	goodTool  = `{"type":"tool","spec_version":"2.1","id":"tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Test Tool"}`
	goodRel   = `{"type":"relationship","spec_version":"2.1","id":"relationship--0b3c2f6e-8d4a-4b5c-9a6d-7e8f9a0b1c2d","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":"intrusion-set--1b7ba276-eedc-4951-a762-0ceea2c030ec","target_ref":"tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f"}`
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	changed := strings.Replace(goodActor, `"Test Group"`, `"Changed"`, 1)
	changed = strings.Replace(changed, `"modified":"2020-01-01T00:00:00.000Z"`, `"modified":"2021-01-01T00:00:00.000Z"`, 1)
	newTool := strings.Replace(goodTool, "8e2f1c3a", "9e2f1c3a", 1)
	valid := bundle(changed, newTool)
	full := gz(t, valid)
	tests := []struct {
		name string
		file string
		args []string
		want []string // in stderr
	}{
		{"truncated gzip", write("trunc.json.gz", full[:len(full)/2]), nil, []string{"trunc.json.gz", "unexpected EOF"}},
		{"corrupt gzip", write("corrupt.json.gz", append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, bytes.Repeat([]byte{0xde, 0xad}, 40)...)), nil,
			[]string{"corrupt.json.gz"}},
		{"invalid JSON", write("invalid.json", []byte(bundle(changed, `{"type":"tool",`))), nil, []string{"invalid.json", "object 2", "byte"}},
		{"object without id", write("noid.json", []byte(bundle(changed, `{"type":"tool","spec_version":"2.1","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"x"}`))), nil,
			[]string{"noid.json", "object 2", `missing "id"`}},
		{"object without type", write("notype.json", []byte(bundle(changed, `{"id":"tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f"}`))), nil,
			[]string{"notype.json", "object 2", `missing "type"`}},
		{"unknown spec_version", write("spec.json", []byte(bundle(changed, strings.Replace(newTool, `"2.1"`, `"2.7"`, 1)))), nil,
			[]string{"spec.json", "object 2", "9e2f1c3a", `"2.7"`}},
		{"relationship to an absent object", write("dangling.json", []byte(bundle(changed,
			strings.Replace(goodRel, "tool--8e2f1c3a", "tool--7e2f1c3a", 1)))), nil,
			[]string{"dangling.json", "object 2", "relationship--0b3c2f6e", "tool--7e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f", "absent"}},
		{"duplicate ids with different content", write("dup.json", []byte(bundle(newTool, changed, strings.Replace(newTool, "Test Tool", "Other Tool", 1)))), nil,
			[]string{"dup.json", "object 3", "tool--9e2f1c3a", "different content", "object 1"}},
		{"over the size limit", write("big.json", []byte(valid)), []string{"--max-size", "100"},
			[]string{"big.json", "--max-size 100", "nothing imported"}},
		{"over the size limit once decompressed", write("bomb.json.gz", gz(t, bundle(changed, strings.Repeat(" ", 5000)+newTool))), []string{"--max-size", "1000"},
			[]string{"bomb.json.gz", "--max-size 1000"}},
		{"missing file", filepath.Join(dir, "absent.json"), nil, []string{"absent.json"}},
		{"bad galaxy file", write("galaxy.json", []byte(`{"type":"threat-actor","uuid":"x","values":[{"value":1}]}`)), nil, []string{"galaxy.json"}},
	}
	c := newKBCLI(t)
	c.mustRun("", "import", write("base.json", []byte(bundle(goodActor, goodTool, goodRel))))
	before := c.stats()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"import"}, tc.args...), tc.file)
			code, _, errs := c.run("", args...)
			if code != 1 {
				t.Errorf("import exit = %d, want 1; stderr: %s", code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q does not mention %q", errs, w)
				}
			}
			if diff := cmp.Diff(before, c.stats()); diff != "" {
				t.Errorf("failed import changed the knowledge base (-before +after):\n%s", diff)
			}
		})
	}
	// The same changes, valid, do import: the failures above were the
	// inputs' fault.
	c.mustRun("", "import", write("valid.json.gz", full))
	if got := c.stats().Objects; got != before.Objects+1 {
		t.Errorf("after a valid import Stats.Objects = %d, want %d", got, before.Objects+1)
	}
}

func TestImportStdinAndSummary(t *testing.T) {
	c := newKBCLI(t)
	out := c.mustRun(bundle(goodActor, goodTool, goodRel), "import", "-")
	for _, want := range []string{"- (stix): 3 objects: 3 new, 0 updated, 0 unchanged", "intrusion-set", "relationship"} {
		if !strings.Contains(out, want) {
			t.Errorf("import summary %q does not contain %q", out, want)
		}
	}
	s, err := openStoreAt(context.Background(), c.db, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	prov, err := s.Provenance(context.Background(), "tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f")
	if err != nil || len(prov) != 1 || prov[0].Source.Name != "stdin" || len(prov[0].Source.SHA256) != 64 {
		t.Errorf("Provenance after stdin import = %+v, %v; want one source stdin with its sha256", prov, err)
	}
	if code, _, errs := c.run("", "import"); code != 2 || !strings.Contains(errs, "no FILE") {
		t.Errorf("import without FILE: exit %d, stderr %q; want 2 and a usage error", code, errs)
	}
}

func TestImportProgress(t *testing.T) {
	c := newKBCLI(t)
	var objs []string
	for i := 0; i < 2500; i++ {
		id := stix.DeterministicID("tool", fmt.Sprint(i))
		objs = append(objs, fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":%q,"created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"t%d"}`, id, i))
	}
	p := filepath.Join(t.TempDir(), "many.json")
	if err := os.WriteFile(p, []byte(bundle(objs...)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, errs := c.run("", "import", p)
	if errs != "" {
		t.Errorf("import without --progress to a non-terminal wrote %q to stderr", errs)
	}
	p2 := strings.Replace(p, "many", "many2", 1)
	if err := os.WriteFile(p2, []byte(bundle(objs[:2000]...)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, errs = c.run("", "import", "--progress", p2)
	if !strings.Contains(errs, "objects") || !strings.Contains(errs, "%") {
		t.Errorf("import --progress stderr = %q, want objects/s and a percentage", errs)
	}
}

func TestDBPath(t *testing.T) {
	tests := []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"flag wins", "/x/flag.db", map[string]string{"CULPRIT_DB": "/x/env.db", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, "/x/flag.db"},
		{"CULPRIT_DB", "", map[string]string{"CULPRIT_DB": "/x/env.db", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, "/x/env.db"},
		{"XDG_DATA_HOME", "", map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/culprit/culprit.db"},
		{"HOME", "", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/culprit/culprit.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{getenv: func(k string) string { return tc.env[k] }}
			got, err := dbPath(e, tc.flag)
			if err != nil || got != tc.want {
				t.Errorf("dbPath(%q) = %q, %v; want %q", tc.flag, got, err, tc.want)
			}
		})
	}
	if _, err := dbPath(&env{getenv: func(string) string { return "" }}, ""); err == nil {
		t.Error("dbPath with no flag and no environment succeeded, want an error")
	}
}

func TestReadCommandsWithoutKnowledgeBase(t *testing.T) {
	c := newKBCLI(t)
	for _, args := range [][]string{{"actors"}, {"show", "x"}, {"export"}} {
		code, _, errs := c.run("", args...)
		if code != 1 || !strings.Contains(errs, "no knowledge base") {
			t.Errorf("culprit %v without a knowledge base: exit %d, stderr %q; want 1 and a hint", args, code, errs)
		}
	}
}

func FuzzDetectFormat(f *testing.F) {
	for _, s := range []string{bundle(goodActor), `{"values":[]}`, `[` + goodActor + `]`, goodActor, `{"a":{"b":[1,2]},"values":1}`, ``, `{`, `"x"`} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "in.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := detectFormat(p)
		if err != nil && !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			t.Errorf("detectFormat(%q) error %v on a non-gzip input", data, err)
		}
		if err == nil && got != "stix" && got != "misp-galaxy" {
			t.Errorf("detectFormat(%q) = %q", data, got)
		}
	})
}
