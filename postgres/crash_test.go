package postgres_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/postgres/pgtest"
	"github.com/culprit-cti/culprit/stix"
)

// crashEnv, when set to a URL, makes the test binary an importer that
// stops half-way and waits to be killed (see TestKilledImport).
const crashEnv = "CULPRIT_TEST_POSTGRES_CRASH_URL"

// stallStream yields n malware objects, says so on stdout, then blocks:
// the import is in the middle of its transaction when the process dies.
type stallStream struct {
	i, n int
}

func (s *stallStream) Next() (*stix.Object, error) {
	if s.i == s.n {
		fmt.Println("stalled")
		select {}
	}
	s.i++
	id := stix.DeterministicID("malware", fmt.Sprintf("crash-%d", s.i))
	return stix.ParseObject([]byte(`{"type":"malware","spec_version":"2.1","id":"` + id +
		`","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"m` + fmt.Sprint(s.i) + `","is_family":true}`))
}

func TestMain(m *testing.M) {
	if url := os.Getenv(crashEnv); url != "" {
		s, err := openErr(url)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		_, err = s.Import(context.Background(), kb.Source{Name: "doomed"}, &stallStream{n: 10000}, kb.ImportOptions{})
		fmt.Fprintln(os.Stderr, "import returned:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// A process killed (SIGKILL) in the middle of an import leaves nothing of
// it, and its import lock goes with it: the next import runs at once.
func TestKilledImport(t *testing.T) {
	url := pgtest.URL(t)
	s := open(t, url)
	defer s.Close()
	ctx := context.Background()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+url)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "stalled\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("importer said %q, %v; want stalled", line, err)
	}
	// Half-way: 10,000 objects were sent to the server (COPY of 4096 at a time), none
	// committed; a reader does not wait for the import.
	st, err := s.Stats(ctx)
	if err != nil || st.Objects != 0 {
		t.Errorf("Stats during the import = %+v, %v; want 0 objects", st, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	go io.Copy(io.Discard, out)

	// The server notices the dead connection and rolls back; an import
	// waits for that (the advisory lock) and then succeeds.
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	id := stix.DeterministicID("malware", "after-crash")
	o, err := stix.ParseObject([]byte(`{"type":"malware","spec_version":"2.1","id":"` + id +
		`","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"after","is_family":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ictx, kb.Source{Name: "after"}, kb.SliceStream([]*stix.Object{o}), kb.ImportOptions{}); err != nil {
		t.Fatalf("import after the crash: %v", err)
	}
	st, err = s.Stats(ctx)
	if err != nil || st.Objects != 1 || st.Sources != 1 {
		t.Errorf("Stats after the crash and one import = %+v, %v; want 1 object, 1 source", st, err)
	}
}

// Two processes on one database: an import by one is seen by the other's
// next read, with no restart (the store caches nothing between reads).
func TestTwoStoresSeeEachOther(t *testing.T) {
	url := pgtest.URL(t)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	if m, err := b.LookupName(ctx, "after"); err != nil || len(m) != 0 {
		t.Fatalf("LookupName before = %v, %v", m, err)
	}
	id := stix.DeterministicID("malware", "shared")
	o, err := stix.ParseObject([]byte(`{"type":"malware","spec_version":"2.1","id":"` + id +
		`","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"After","is_family":true}`))
	if err != nil {
		t.Fatal(err)
	}
	tagBefore, err := kb.StateTag(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Import(ctx, kb.Source{Name: "a"}, kb.SliceStream([]*stix.Object{o}), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := b.LookupName(ctx, "after")
	if err != nil || len(m) != 1 || m[0].ID != id {
		t.Errorf("LookupName on the other store = %v, %v; want %s", m, err, id)
	}
	// The state tag, which keys derived caches such as the compiled
	// knowledge, changes for the other store too.
	if tag, err := kb.StateTag(ctx, b); err != nil || tag == tagBefore {
		t.Errorf("StateTag on the other store after the import = %q, %v; want a change from %q", tag, err, tagBefore)
	}
}

// Watch on one store reports a committed import made through another
// (as by another process), and not a failed one.
func TestWatchSeesOtherImports(t *testing.T) {
	url := pgtest.URL(t)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() { done <- b.Watch(ctx, func() { changed <- struct{}{} }) }()
	// Watch has started listening once a notification round-trips; an
	// empty import still commits a source, and notifies.
	deadline := time.After(20 * time.Second)
	for listening := false; !listening; {
		if _, err := a.Import(ctx, kb.Source{Name: "ping"}, kb.SliceStream(nil), kb.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-changed:
			listening = true
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("Watch never reported an import")
		}
	}
	for len(changed) > 0 {
		<-changed
	}
	// A failed import notifies nobody.
	if _, err := a.Import(ctx, kb.Source{Name: "bad"}, errStream{}, kb.ImportOptions{}); err == nil {
		t.Fatal("import of a failing stream succeeded")
	}
	select {
	case <-changed:
		t.Error("Watch reported a failed import")
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after cancel = %v, want context.Canceled", err)
	}
}

type errStream struct{}

func (errStream) Next() (*stix.Object, error) { return nil, errors.New("broken input") }
