package postgres_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/kb/kbtest"
	"github.com/culprit-cti/culprit/postgres"
	"github.com/culprit-cti/culprit/postgres/pgtest"
	"github.com/culprit-cti/culprit/stix"
)

func openErr(url string) (*postgres.Store, error) {
	return postgres.Open(context.Background(), url)
}

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := openErr(url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	kbtest.Run(t, func(t *testing.T) kb.Store { return open(t, pgtest.URL(t)) })
}

// Several processes opening one new database at once apply each migration
// once, and reopening keeps the data.
func TestMigrationsConcurrentOpen(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(ctx, url)
			if err == nil {
				err = s.Close()
			}
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s := open(t, url)
	if _, err := s.Import(ctx, kb.Source{Name: "x"}, kb.SliceStream(nil), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	v1, err := s.SchemaVersion(ctx)
	if err != nil || v1 < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v1, err)
	}
	s.Close()
	s = open(t, url)
	defer s.Close()
	if v2, err := s.SchemaVersion(ctx); err != nil || v2 != v1 {
		t.Errorf("SchemaVersion after reopen = %d, %v; want %d", v2, err, v1)
	}
	if st, err := s.Stats(ctx); err != nil || st.Sources != 1 {
		t.Errorf("Stats after reopen = %+v, %v; want the source kept", st, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if errs.KindOf(err) != errs.Unavailable {
		t.Errorf("error kind of %v: want Unavailable", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

// A value carried by many objects costs one observable row per object, and
// is found from the value: no pairs between the objects.
func TestObservablesByValue(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.URL(t))
	defer s.Close()
	const hash = "44d88612fea8a8f36de82e1278abb02f"
	var objs []*stix.Object
	var want []string
	for i := range 50 {
		id := stix.DeterministicID("indicator", string(rune('a'+i%26))+string(rune('a'+i/26)))
		o, err := stix.ParseObject([]byte(`{"type":"indicator","spec_version":"2.1","id":"` + id +
			`","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z",` +
			`"pattern":"[file:hashes.MD5 = '` + "44D88612FEA8A8F36DE82E1278ABB02F" + `']"}`))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
		want = append(want, id)
	}
	if _, err := s.Import(ctx, kb.Source{Name: "feed"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ObjectsWithValue(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("ObjectsWithValue = %d ids, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("ObjectsWithValue[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}
