package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/kb/kbtest"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// openTemp opens a store in a new file under t.TempDir.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "culprit.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	kbtest.Run(t, func(t *testing.T) kb.Store { return openTemp(t) })
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 < 1 {
		t.Errorf("SchemaVersion = %d, want at least 1", v1)
	}
	if _, err := s.Import(ctx, kb.Source{Name: "x"}, kb.SliceStream(nil), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopening applies nothing twice and keeps the data.
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	v2, err := s.SchemaVersion(ctx)
	if err != nil || v2 != v1 {
		t.Errorf("SchemaVersion after reopen = %d, %v; want %d", v2, err, v1)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Sources != 1 {
		t.Errorf("Stats after reopen = %+v, %v; want the source kept", st, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, path string }{
		{"empty path", ""},
		{"query characters", filepath.Join(dir, "a?b.db")},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "x.db")},
		{"a directory", dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), tc.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.path)
			}
		})
	}
}

func TestClock(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	s.Now = func() time.Time { return at }
	o, err := stix.ParseObject([]byte(`{"type":"tool","spec_version":"2.1","id":"tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, kb.Source{Name: "clock.json"}, kb.SliceStream([]*stix.Object{o}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	prov, err := s.Provenance(ctx, o.ID)
	if err != nil || len(prov) != 1 {
		t.Fatalf("Provenance = %v, %v", prov, err)
	}
	if !prov[0].FirstSeen.Equal(at) || !prov[0].Source.ImportedAt.Equal(at) || prov[0].Source.Kind != kb.SourceFile {
		t.Errorf("Provenance = %+v, want times %v from the store's clock and kind file", prov[0], at)
	}
}

// TestNameIndexFollowsImports checks that a lookup made before an import
// does not hide what the import added.
func TestNameIndexFollowsImports(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	if m, err := s.LookupName(ctx, "t"); err != nil || len(m) != 0 {
		t.Fatalf("LookupName on an empty store = %v, %v", m, err)
	}
	o, err := stix.ParseObject([]byte(`{"type":"tool","spec_version":"2.1","id":"tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, kb.Source{Name: "x"}, kb.SliceStream([]*stix.Object{o}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.LookupName(ctx, "T"); err != nil || len(m) != 1 {
		t.Errorf("LookupName after import = %v, %v; want one match", m, err)
	}
}
