package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

func indicator(t testing.TB, key, modified, hash string) *stix.Object {
	t.Helper()
	o, err := stix.ParseObject([]byte(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00Z","modified":%q,"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","pattern":"[file:hashes.'SHA-256' = '%s']"}`,
		stix.DeterministicID("indicator", key), modified, hash)))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

const (
	hashA = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	hashB = "5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9"
)

// A value carried by many objects costs one observable row per object and
// is found from the value; a newer version of an indicator is indexed by
// its new value only.
func TestObservablesByValue(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	var objs []*stix.Object
	var want []string
	for i := range 50 {
		o := indicator(t, fmt.Sprint("i", i), "2024-01-01T00:00:00Z", hashA)
		objs = append(objs, o)
		want = append(want, o.ID)
	}
	if _, err := s.Import(ctx, kb.Source{Name: "feed"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)
	if got, err := s.ObjectsWithValue(ctx, " "+hashA+" "); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ObjectsWithValue = %d ids, %v; want %d", len(got), err, len(want))
	}
	if got, err := s.ObjectsWithValue(ctx, "sha-256"); err != nil || len(got) != 0 {
		t.Errorf("ObjectsWithValue(property name) = %v, %v; want none", got, err)
	}
	newer := indicator(t, "i0", "2024-02-01T00:00:00Z", hashB)
	if _, err := s.Import(ctx, kb.Source{Name: "update"}, kb.SliceStream([]*stix.Object{newer}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ObjectsWithValue(ctx, hashB); err != nil || !reflect.DeepEqual(got, []string{newer.ID}) {
		t.Errorf("ObjectsWithValue(new value) = %v, %v; want [%s]", got, err, newer.ID)
	}
	if got, err := s.ObjectsWithValue(ctx, hashA); err != nil || len(got) != 49 {
		t.Errorf("ObjectsWithValue(old value) = %d ids, %v; want 49", len(got), err)
	}
}

// A file stored before the observable index (schema version 4) gets the
// index of the objects it holds when a writer migrates it.
func TestObservablesBackfill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	o := indicator(t, "old", "2024-01-01T00:00:00Z", hashA)
	if _, err := s.Import(ctx, kb.Source{Name: "feed"}, kb.SliceStream([]*stix.Object{o}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE observables`, `DELETE FROM schema_version WHERE version >= 5`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.ObjectsWithValue(ctx, hashA); err != nil || !reflect.DeepEqual(got, []string{o.ID}) {
		t.Errorf("ObjectsWithValue after the migration = %v, %v; want [%s]", got, err, o.ID)
	}
}
