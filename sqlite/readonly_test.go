package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

func tool(t testing.TB, n int) *stix.Object {
	t.Helper()
	o, err := stix.ParseObject([]byte(fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":"tool--8e2f1c3a-6a3b-4c4d-9e5f-%012d","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"t%d"}`, n, n)))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// gateStream yields its first object, then waits for release before the
// rest, so that a test holds an import's write transaction open.
type gateStream struct {
	objs    []*stix.Object
	i       int
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gateStream) Next() (*stix.Object, error) {
	if g.i == 1 {
		g.once.Do(func() { close(g.started) })
		<-g.release
	}
	if g.i >= len(g.objs) {
		return nil, io.EOF
	}
	g.i++
	return g.objs[g.i-1], nil
}

// TestReadersDuringImport checks that opening for reading, and opening
// for writing, take no lock while another connection holds an import's
// write transaction, and that readers see the last commit.
func TestReadersDuringImport(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kb.db")
	w, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Import(ctx, kb.Source{Name: "first"}, kb.SliceStream([]*stix.Object{tool(t, 1)}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	g := &gateStream{objs: []*stix.Object{tool(t, 2), tool(t, 3)}, started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := w.Import(ctx, kb.Source{Name: "second"}, g, kb.ImportOptions{})
		done <- err
	}()
	<-g.started
	time.Sleep(50 * time.Millisecond) // the first object of the import is written

	start := time.Now()
	r, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly during an import: %v", err)
	}
	st, err := r.Stats(ctx)
	if err != nil || st.Objects != 1 {
		t.Errorf("Stats during an import = %+v, %v; want the 1 committed object", st, err)
	}
	// A second writer opening the file (schema current) takes no lock either.
	w2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open during an import: %v", err)
	}
	w2.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("opening during an import took %v: it waited for the writer", d)
	}
	if _, err := r.Import(ctx, kb.Source{Name: "ro"}, kb.SliceStream(nil), kb.ImportOptions{}); !errors.Is(err, errs.Of(errs.Forbidden)) {
		t.Errorf("Import on a read-only store = %v, want a Forbidden error", err)
	}
	if err := r.PutBlob(ctx, "k", "t", []byte("x")); !errors.Is(err, errs.Of(errs.Forbidden)) {
		t.Errorf("PutBlob on a read-only store = %v, want a Forbidden error", err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, err = r.Stats(ctx)
	if err != nil || st.Objects != 3 {
		t.Errorf("Stats after the import = %+v, %v; want 3 objects", st, err)
	}
	r.Close()
}

// TestOpenReadOnlyOldSchema checks that a file a writer has not yet
// migrated is refused with advice, and that a missing file is NotFound
// and stays missing.
func TestOpenReadOnlyOldSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	db, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	// A file a writer created but never migrated: the version table and
	// nothing else (a fake version 1 would lack the tables later
	// migrations change).
	if _, err := db.Exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = sqlite.OpenReadOnly(ctx, old)
	if err == nil || !strings.Contains(err.Error(), "run a writing command first") || !errors.Is(err, errs.Of(errs.Unavailable)) {
		t.Errorf("OpenReadOnly(old schema) = %v, want Unavailable saying to run a writing command first", err)
	}
	// A writer migrates it; then readers open it.
	w, err := sqlite.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := sqlite.OpenReadOnly(ctx, old)
	if err != nil {
		t.Fatalf("OpenReadOnly after migration: %v", err)
	}
	r.Close()

	missing := filepath.Join(dir, "missing.db")
	if _, err := sqlite.OpenReadOnly(ctx, missing); !errors.Is(err, errs.Of(errs.NotFound)) {
		t.Errorf("OpenReadOnly(missing) = %v, want NotFound", err)
	}
	if _, err := sqlite.Open(ctx, filepath.Join(dir, "x.db")); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentCreate checks that writers racing to create one file wait
// for each other (busy timeout) instead of failing with SQLITE_BUSY.
func TestConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("race%d.db", round))
		var wg sync.WaitGroup
		errc := make(chan error, 4)
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := sqlite.Open(ctx, path)
				if err != nil {
					errc <- err
					return
				}
				defer s.Close()
				_, err = s.Import(ctx, kb.Source{Name: fmt.Sprint(i)}, kb.SliceStream([]*stix.Object{tool(t, i)}), kb.ImportOptions{})
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Errorf("round %d: concurrent create and import: %v", round, err)
			}
		}
		s, err := sqlite.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := s.Stats(ctx)
		s.Close()
		if st.Objects != 4 {
			t.Errorf("round %d: %d objects, want 4", round, st.Objects)
		}
	}
}
