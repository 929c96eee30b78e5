package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/postgres"
	"github.com/culprit-cti/culprit/postgres/pgtest"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// The CLI on a PostgreSQL knowledge base: import, actors, show and
// attribute print what they print on a SQLite file filled with the same
// bundle (the SQLite outputs are themselves covered by golden files).
func TestPostgresCLI(t *testing.T) {
	pg := pgtest.URL(t)
	file := filepath.Join(t.TempDir(), "k.db")
	const bundle = "../../examples/sony-2014/knowledge.json"
	cli := func(db string, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		args = append([]string{args[0], "--db", db}, args[1:]...)
		if code := run(context.Background(), args, e); code != 0 {
			t.Fatalf("culprit %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
		}
		return stdout.String()
	}
	for _, db := range []string{pg, file} {
		cli(db, "import", bundle)
	}
	for _, args := range [][]string{
		{"actors"},
		{"show", "Lazarus Group"},
		{"attribute", sonyCase},
		{"attribute", "--json", sonyCase},
	} {
		got, want := cli(pg, args...), cli(file, args...)
		if got != want {
			t.Errorf("culprit %s on PostgreSQL differs from SQLite:\n--- postgres\n%s\n--- sqlite\n%s", strings.Join(args, " "), got, want)
		}
		if len(want) < 50 {
			t.Errorf("culprit %s printed too little to compare: %q", strings.Join(args, " "), want)
		}
	}
	if out := cli(pg, "attribute", sonyCase); !strings.Contains(out, "Lazarus Group") {
		t.Errorf("attribute against PostgreSQL does not name Lazarus Group:\n%s", out)
	}
}

// culprit migrate copies a SQLite knowledge base whole: every object
// (with its versions and provenance), the same-as links, blobs and cases
// read the same through kb.Store on both sides.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.URL(t)
	file := filepath.Join(t.TempDir(), "k.db")
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	if code := run(ctx, []string{"import", "--db", file, "../../examples/sony-2014/knowledge.json"}, e); code != 0 {
		t.Fatalf("import: %s", stderr.String())
	}
	src, err := sqlite.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	// A replaced version, a blob and a case, so that each table has rows.
	var first *stix.Object
	src.Objects(ctx, kb.ObjectQuery{Types: []string{"intrusion-set"}}, func(o *stix.Object) error {
		if first == nil {
			first = o
		}
		return nil
	})
	newer, err := stix.ParseObject(regexp.MustCompile(`"modified"\s*:\s*"[^"]*"`).ReplaceAll(first.Raw, []byte(`"modified": "2099-01-01T00:00:00.000Z"`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Import(ctx, kb.Source{Name: "newer"}, kb.SliceStream([]*stix.Object{newer}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := src.PutBlob(ctx, "k", "tag", []byte("data")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &kb.Case{ID: "case-0123456789ab", Name: "migrated", Status: kb.CaseOpen, Created: at, Modified: at,
		History: []kb.CaseEvent{{At: at, Action: "created"}}}
	if err := src.PutCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	src.Close()

	stdout.Reset()
	if code := run(ctx, []string{"migrate", "--from", "sqlite:" + file, "--to", pg}, e); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "verified: row counts of every table, SHA-256 of all") {
		t.Errorf("migrate output lacks the verification:\n%s", stdout.String())
	}
	// A second migrate into the now full database is refused.
	stderr.Reset()
	if code := run(ctx, []string{"migrate", "--from", file, "--to", pg}, e); code != 1 || !strings.Contains(stderr.String(), "not empty") {
		t.Errorf("second migrate: exit %d, %q; want a refusal", code, stderr.String())
	}

	a, err := sqlite.OpenReadOnly(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dump := func(s kb.Store) string {
		var out strings.Builder
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%+v\n", st)
		s.Objects(ctx, kb.ObjectQuery{IncludeInactive: true}, func(o *stix.Object) error {
			prov, err := s.Provenance(ctx, o.ID)
			if err != nil {
				return err
			}
			vers, err := s.Versions(ctx, o.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(&out, "%s\n%s\nprovenance %+v\nversions %+v\n", o.ID, o.Raw, prov, vers)
			return nil
		})
		links, _ := s.SameAs(ctx)
		fmt.Fprintf(&out, "same-as %+v\n", links)
		data, tag, ok, err := s.Blob(ctx, "k")
		fmt.Fprintf(&out, "blob %q %q %v %v\n", data, tag, ok, err)
		s.Cases(ctx, func(c *kb.Case) error { fmt.Fprintf(&out, "case %+v\n", *c); return nil })
		if m, err := s.LookupName(ctx, "Lazarus Group"); err == nil {
			fmt.Fprintf(&out, "lookup %+v\n", m)
		}
		return out.String()
	}
	want, got := dump(a), dump(b)
	if got != want {
		t.Errorf("after migrate PostgreSQL differs from SQLite:\n--- postgres\n%.3000s\n--- sqlite\n%.3000s", got, want)
	}
	if !strings.Contains(want, "versions [{") || !strings.Contains(want, "case {ID:case-0123456789ab") {
		t.Errorf("the fixture lacks a version or the case:\n%.2000s", want)
	}
}
