package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/postgres/pgtest"
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
