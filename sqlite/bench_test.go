package sqlite_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// importFile imports a STIX file the way the CLI does.
func importFile(tb testing.TB, s *sqlite.Store, path string) kb.ImportStats {
	tb.Helper()
	rc, _, err := stix.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	st, err := s.Import(context.Background(), kb.Source{Name: filepath.Base(path), Path: path}, stix.NewDecoder(rc, path), kb.ImportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func attack(tb testing.TB) string {
	return refdata.Path(tb, "attack", "enterprise-attack-18.1.json.gz")
}

// BenchmarkImportATTACK imports ATT&CK Enterprise 18.1 (24,771 objects, 45
// MB of JSON) into a new store: decoding, planning, writing, same-as links,
// commit. It reports the peak of the Go heap in use (sampled) as
// peak-heap-MB; the process's peak RSS is measured on the CLI (see
// docs/benchmarks.md).
func BenchmarkImportATTACK(b *testing.B) {
	path := attack(b)
	var peak uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		stop := samplePeak(&peak)
		b.StartTimer()
		st := importFile(b, s, path)
		b.StopTimer()
		stop()
		if st.New != 24771 {
			b.Fatalf("imported %d new objects, want 24771", st.New)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(24771*b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkReimportATTACK imports ATT&CK into a store that holds it
// already: every object is unchanged.
func BenchmarkReimportATTACK(b *testing.B) {
	path := attack(b)
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	importFile(b, s, path)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st := importFile(b, s, path); st.Unchanged != 24771 {
			b.Fatalf("re-import: %d unchanged, want 24771", st.Unchanged)
		}
	}
}

// samplePeak records the peak of the Go heap in use until stop is called.
func samplePeak(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > *peak {
				*peak = m.HeapInuse
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// lookupStore is a store with ATT&CK and the MISP threat-actor galaxy, for
// lookups; opened once per benchmark run.
func lookupStore(b *testing.B) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	importFile(b, s, attack(b))
	return s
}

// BenchmarkLookupName looks up an alias ("Guardians of Peace") in the
// ATT&CK knowledge base, with the name index warm.
func BenchmarkLookupName(b *testing.B) {
	s := lookupStore(b)
	ctx := context.Background()
	names := []string{"Guardians of Peace", "APT 38", "g0032", "T1059.001", "no such actor"}
	if m, err := s.LookupName(ctx, names[0]); err != nil || len(m) != 1 {
		b.Fatalf("LookupName = %v, %v", m, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.LookupName(ctx, names[i%len(names)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupNameCold includes building the name index from the
// database, as the first lookup after an import does.
func BenchmarkLookupNameCold(b *testing.B) {
	s := lookupStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ResetNameIndex()
		if _, err := s.LookupName(ctx, "Guardians of Peace"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObjectsAttackPatterns streams the active attack-patterns, as
// the attribution engine reads them.
func BenchmarkObjectsAttackPatterns(b *testing.B) {
	s := lookupStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		err := s.Objects(ctx, kb.ObjectQuery{Types: []string{"attack-pattern"}}, func(*stix.Object) error { n++; return nil })
		if err != nil || n == 0 {
			b.Fatalf("Objects = %d, %v", n, err)
		}
	}
}
