package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// TestDataVersion checks that the data version moves with every commit,
// of this store or of another one on the same file (another process), and
// only then.
func TestDataVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "culprit.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	version := func() int64 {
		t.Helper()
		v, err := s.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tool := func(name string) kb.Stream {
		o, err := stix.ParseObject([]byte(`{"type":"tool","spec_version":"2.1","id":"` + stix.DeterministicID("tool", name) +
			`","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"` + name + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		return kb.SliceStream([]*stix.Object{o})
	}

	v0 := version()
	if v := version(); v != v0 {
		t.Fatalf("data version %d then %d with nothing committed", v0, v)
	}
	if _, err := s.Import(ctx, kb.Source{Name: "a"}, tool("a"), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	v1 := version()
	if v1 == v0 {
		t.Error("data version unchanged by this store's import")
	}
	if _, err := other.Import(ctx, kb.Source{Name: "b"}, tool("b"), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	v2 := version()
	if v2 == v1 {
		t.Error("data version unchanged by another store's import")
	}
	if err := other.PutBlob(ctx, "k", "t", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if v := version(); v == v2 {
		t.Error("data version unchanged by another store's blob")
	} else if w := version(); w != v {
		t.Errorf("data version %d then %d with nothing committed", v, w)
	}
}
