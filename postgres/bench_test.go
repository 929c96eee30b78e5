package postgres_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/postgres/pgtest"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

var feedSize = flag.Int("feed", 20000, "indicators in BenchmarkImportFeed's synthetic feed (each with an indicates relationship)")

// feed is a synthetic indicator feed: n indicators of distinct MD5
// values, each with a relationship "indicates" to one malware.
type feed struct {
	n, i int
	mal  string
}

func (f *feed) Next() (*stix.Object, error) {
	if f.i == 0 && f.mal == "" {
		f.mal = stix.DeterministicID("malware", "bench")
		return stix.ParseObject([]byte(`{"type":"malware","spec_version":"2.1","id":"` + f.mal + `","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Bench","is_family":true}`))
	}
	if f.i >= 2*f.n {
		return nil, io.EOF
	}
	k := f.i / 2
	ind := stix.DeterministicID("indicator", fmt.Sprint("bench-", k))
	f.i++
	if f.i%2 == 1 {
		return stix.ParseObject([]byte(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","pattern":"[file:hashes.MD5 = '%032x']"}`, ind, k)))
	}
	rel := stix.DeterministicID("relationship", fmt.Sprint("bench-", k))
	return stix.ParseObject([]byte(fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","relationship_type":"indicates","source_ref":%q,"target_ref":%q}`, rel, ind, f.mal)))
}

// BenchmarkImportFeed imports the synthetic feed into a new store of each
// backend, side by side in one run, and reports objects per second.
func BenchmarkImportFeed(b *testing.B) {
	ctx := context.Background()
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				var s kb.Store
				var err error
				if backend == "sqlite" {
					s, err = sqlite.Open(ctx, filepath.Join(b.TempDir(), "k.db"))
				} else {
					s, err = openErr(pgtest.URL(b))
				}
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				st, err := s.Import(ctx, kb.Source{Name: "feed"}, &feed{n: *feedSize}, kb.ImportOptions{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if st.New != 2**feedSize+1 {
					b.Fatalf("new %d, want %d", st.New, 2**feedSize+1)
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*(2**feedSize+1))/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
