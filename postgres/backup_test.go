package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/postgres/pgtest"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// pgTool finds a PostgreSQL client program: on PATH, else in Debian's
// /usr/lib/postgresql/*/bin.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		return m[len(m)-1]
	}
	msg := name + " not installed (Debian's postgresql-client)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// fill imports a few objects, two sources and a replaced version, and
// writes a case and a blob.
func fill(t *testing.T, s kb.Store) {
	t.Helper()
	ctx := context.Background()
	mk := func(key, modified, name string) *stix.Object {
		o, err := stix.ParseObject([]byte(fmt.Sprintf(`{"type":"intrusion-set","spec_version":"2.1","id":%q,"created":"2020-01-01T00:00:00Z","modified":%q,"name":%q,"aliases":[%q]}`,
			stix.DeterministicID("intrusion-set", key), modified, name, name+" alias")))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for i, objs := range [][]*stix.Object{
		{mk("a", "2020-01-01T00:00:00Z", "Alpha"), mk("b", "2020-01-01T00:00:00Z", "Beta")},
		{mk("a", "2021-01-01T00:00:00.123456789Z", "Alpha")},
	} {
		if _, err := s.Import(ctx, kb.Source{Name: fmt.Sprint("src", i)}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutBlob(ctx, "index", "t1", []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
}

// snapshot renders what a store holds through kb.Store.
func snapshot(t *testing.T, s kb.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%+v\n", st)
	if err := s.Objects(ctx, kb.ObjectQuery{IncludeInactive: true}, func(o *stix.Object) error {
		p, err := s.Provenance(ctx, o.ID)
		if err != nil {
			return err
		}
		v, err := s.Versions(ctx, o.ID)
		fmt.Fprintf(&b, "%s %s %+v %+v\n", o.ID, o.Raw, p, v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	m, err := s.LookupName(ctx, "alpha alias")
	fmt.Fprintf(&b, "lookup %+v %v\n", m, err)
	data, tag, ok, err := s.Blob(ctx, "index")
	fmt.Fprintf(&b, "blob %v %q %v %v\n", data, tag, ok, err)
	return b.String()
}

// docs/postgres.md's backup: pg_dump of the schema, dropped, and restored
// with psql, reads as before.
func TestBackupRestorePostgres(t *testing.T) {
	pgDump, psql := pgTool(t, "pg_dump"), pgTool(t, "psql")
	u := pgtest.URL(t)
	s := open(t, u)
	fill(t, s)
	want := snapshot(t, s)
	s.Close()

	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	schema := q.Get("search_path")
	q.Del("search_path") // libpq's tools take no such URI parameter
	parsed.RawQuery = q.Encode()
	base := parsed.String()
	dump := filepath.Join(t.TempDir(), "culprit.sql")
	if out, err := exec.Command(pgDump, "--dbname="+base, "--schema="+schema, "--no-owner", "--file="+dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	psqlRun := func(args ...string) {
		t.Helper()
		args = append([]string{"--dbname=" + base, "--set=ON_ERROR_STOP=1", "--quiet"}, args...)
		if out, err := exec.Command(psql, args...).CombinedOutput(); err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
	}
	psqlRun("--command=DROP SCHEMA " + schema + " CASCADE")
	psqlRun("--file=" + dump)

	r := open(t, u)
	defer r.Close()
	if got := snapshot(t, r); got != want {
		t.Errorf("after restore:\n%s\nwant:\n%s", got, want)
	}
}

// docs/postgres.md's SQLite backup: VACUUM INTO while the store is open
// gives a file that opens and reads as the original.
func TestBackupRestoreSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "culprit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fill(t, s)
	want := snapshot(t, s)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "culprit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	backup := filepath.Join(dir, "backup.db")
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, backup); err != nil {
		t.Fatalf("VACUUM INTO: %v", err)
	}
	r, err := sqlite.OpenReadOnly(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := snapshot(t, r); got != want {
		t.Errorf("backup reads:\n%s\nwant:\n%s", got, want)
	}
}
