package postgres_test

// Benchmarks of both backends side by side in one run (issue 12): each
// benchmark has a sqlite and a postgres sub-benchmark doing the same work.
// Those that need the shared reference data (ATT&CK 18.1, MISP galaxies)
// skip without it; the postgres ones skip without CULPRIT_TEST_POSTGRES.
// Their default sizes are small enough for a CI run; the figures of
// docs/bench/postgres.md come from the commands given there
// (-feed=1000000, -scale=1000000).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/galaxy"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/postgres/pgtest"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

var (
	feedSize  = flag.Int("feed", 20000, "indicators in BenchmarkImportFeed's synthetic feed (each with an indicates relationship)")
	scaleSize = flag.Int("scale", 20000, "indicators of the feed BenchmarkScale imports on top of ATT&CK and the galaxies")
	samples   = flag.Int("samples", 200, "operations timed per iteration of BenchmarkScale's latency benchmarks (loads: a tenth)")
)

var backends = []string{"sqlite", "postgres"}

// newStore opens a new, empty store of the backend.
func newStore(tb testing.TB, backend string) kb.Store {
	tb.Helper()
	var s kb.Store
	var err error
	if backend == "sqlite" {
		s, err = sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "k.db"))
	} else {
		s, err = openErr(pgtest.URL(tb))
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// valueIndex is the lookup by observable value both backends offer
// (the observables table, one row per value and object).
type valueIndex interface {
	ObjectsWithValue(ctx context.Context, v string) ([]string, error)
}

// feed is a synthetic indicator feed: n indicators of distinct values
// (MD5, SHA-256, IPv4 and domain patterns in turn), each followed by a
// relationship "indicates" to one of targets (round robin), 2n objects.
// When targets is empty the feed starts with one malware of its own that
// every indicator indicates (2n + 1 objects). Every every objects it
// records the time, so that the rate of each stretch of the import is
// known (the import reads at most a few hundred objects ahead).
type feed struct {
	n, i    int
	targets []string
	own     bool // the feed's first object is its own malware
	ownDone bool
	every   int
	start   time.Time
	marks   []time.Time
}

func newFeed(n int, targets []string) *feed {
	f := &feed{n: n, targets: targets, every: 100000}
	if len(targets) == 0 {
		f.own = true
		f.targets = []string{stix.DeterministicID("malware", "bench")}
	}
	return f
}

func (f *feed) objects() int {
	if f.own {
		return 2*f.n + 1
	}
	return 2 * f.n
}

// feedValue is the value of the k-th indicator and its pattern.
func feedValue(k int) (value, pattern string) {
	sum := sha256.Sum256([]byte(fmt.Sprint("feed-", k)))
	switch k % 4 {
	case 0:
		v := hex.EncodeToString(sum[:16])
		return v, "[file:hashes.MD5 = '" + v + "']"
	case 1:
		v := hex.EncodeToString(sum[:])
		return v, "[file:hashes.'SHA-256' = '" + v + "']"
	case 2:
		v := fmt.Sprintf("%d.%d.%d.%d", 1+sum[0]%223, sum[1], sum[2], k%250+1)
		return v, "[ipv4-addr:value = '" + v + "']"
	default:
		v := fmt.Sprintf("%x.feed-%d.example", sum[:4], k)
		return v, "[domain-name:value = '" + v + "']"
	}
}

func (f *feed) Next() (*stix.Object, error) {
	if f.start.IsZero() {
		f.start = time.Now()
	}
	if f.own && !f.ownDone {
		f.ownDone = true
		return stix.ParseObject([]byte(`{"type":"malware","spec_version":"2.1","id":"` + f.targets[0] + `","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Bench","is_family":true}`))
	}
	if f.i >= 2*f.n {
		return nil, io.EOF
	}
	if f.i > 0 && f.i%f.every == 0 {
		f.marks = append(f.marks, time.Now())
	}
	k := f.i / 2
	ind := stix.DeterministicID("indicator", fmt.Sprint("feed-", k))
	f.i++
	if f.i%2 == 1 {
		_, pattern := feedValue(k)
		return stix.ParseObject([]byte(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"feed indicator %d","indicator_types":["malicious-activity"],"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","pattern":%q}`, ind, k, pattern)))
	}
	rel := stix.DeterministicID("relationship", fmt.Sprint("feed-", k))
	return stix.ParseObject([]byte(fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","relationship_type":"indicates","source_ref":%q,"target_ref":%q}`, rel, ind, f.targets[k%len(f.targets)])))
}

// feedImport imports f into s and returns the rate of the whole import
// (commit included) and the lowest rate of a stretch of f.every objects
// while the feed was read, logging each stretch.
func feedImport(tb testing.TB, s kb.Store, f *feed) (rate, lowest float64) {
	tb.Helper()
	start := time.Now()
	st, err := s.Import(context.Background(), kb.Source{Name: "feed"}, f, kb.ImportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	total := time.Since(start)
	if st.New != f.objects() {
		tb.Fatalf("new %d, want %d", st.New, f.objects())
	}
	prev := f.start
	var line []string
	for i, m := range f.marks {
		r := float64(f.every) / m.Sub(prev).Seconds()
		if i == 0 || r < lowest {
			lowest = r
		}
		line = append(line, fmt.Sprintf("%.0f", r))
		prev = m
	}
	rate = float64(f.objects()) / total.Seconds()
	tb.Logf("%d objects in %.1f s (%.0f objects/s); per %d objects: %s objects/s; after the last mark (end of input, provenance, same-as, commit): %.1f s",
		f.objects(), total.Seconds(), rate, f.every, strings.Join(line, " "), time.Since(prev).Seconds())
	return rate, lowest
}

// BenchmarkImportFeed imports the synthetic feed into a new store of each
// backend, side by side in one run, and reports objects per second, and
// for feeds of 100,000 objects or more the lowest rate of a stretch of
// 100,000 (min-100k-objects/s).
func BenchmarkImportFeed(b *testing.B) {
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			var rate, lowest float64
			for range b.N {
				b.StopTimer()
				s := newStore(b, backend)
				f := newFeed(*feedSize, nil)
				b.StartTimer()
				r, l := feedImport(b, s, f)
				b.StopTimer()
				rate += r
				if len(f.marks) > 0 && (lowest == 0 || l < lowest) {
					lowest = l
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(rate/float64(b.N), "objects/s")
			if lowest > 0 {
				b.ReportMetric(lowest, "min-100k-objects/s")
			}
		})
	}
}

func attackPath(tb testing.TB) string {
	return refdata.Path(tb, "attack", "enterprise-attack-18.1.json.gz")
}

// importFile imports a STIX file the way the CLI does (streamed).
func importFile(tb testing.TB, s kb.Store, path string) kb.ImportStats {
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

// BenchmarkImportATTACK imports ATT&CK Enterprise 18.1 (24,771 objects)
// into a new store of each backend, decoding included.
func BenchmarkImportATTACK(b *testing.B) {
	path := attackPath(b)
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				s := newStore(b, backend)
				b.StartTimer()
				if st := importFile(b, s, path); st.New != 24771 {
					b.Fatalf("imported %d new objects, want 24771", st.New)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(24771*b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// importReference imports ATT&CK 18.1 and the three MISP galaxy files, as
// a user does.
func importReference(tb testing.TB, s kb.Store) {
	tb.Helper()
	ctx := context.Background()
	importFile(tb, s, attackPath(tb))
	for _, g := range []string{"threat-actor.json.gz", "mitre-intrusion-set.json.gz", "malpedia.json.gz"} {
		f, err := galaxy.DecodeFile(refdata.Path(tb, "misp-galaxy", g))
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := s.Import(ctx, kb.Source{Name: g}, kb.SliceStream(f.Objects), kb.ImportOptions{SkipDangling: true}); err != nil {
			tb.Fatal(err)
		}
	}
}

// latencies times n calls of op in each of b.N iterations and reports
// the median and the 99th percentile of their wall times, and their mean
// as ns/op.
func latencies(b *testing.B, n int, op func(i int) error) {
	b.Helper()
	var lat []time.Duration
	var sum time.Duration
	i := 0
	for range b.N {
		for range max(n, 1) {
			start := time.Now()
			if err := op(i); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			lat = append(lat, d)
			sum += d
			i++
		}
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(lat)), "ns/op")
}

// actorIDs returns the ids of the active ATT&CK intrusion sets.
func actorIDs(tb testing.TB, s kb.Store) []string {
	tb.Helper()
	var ids []string
	err := s.Objects(context.Background(), kb.ObjectQuery{Types: []string{"intrusion-set"}}, func(o *stix.Object) error {
		if o.ExternalID("mitre-attack") != "" {
			ids = append(ids, o.ID)
		}
		return nil
	})
	if err != nil || len(ids) < 100 {
		tb.Fatalf("ATT&CK intrusion sets: %d, %v", len(ids), err)
	}
	return ids
}

// cardBenchmarks measure actor cards on s: ActorCardWith over clusters
// built once (as the server keeps them) for every ATT&CK group in turn,
// and FindActors by name, which builds the clusters at each call (as
// culprit show does).
func cardBenchmarks(b *testing.B, s kb.Store, suffix string) {
	ctx := context.Background()
	ids := actorIDs(b, s)
	b.Run("card"+suffix, func(b *testing.B) {
		cs, err := kb.LoadClusters(ctx, s, 0)
		if err != nil {
			b.Fatal(err)
		}
		latencies(b, *samples, func(i int) error {
			c, err := kb.ActorCardWith(ctx, s, cs, ids[i%len(ids)])
			if err == nil && len(c.Members) == 0 {
				err = fmt.Errorf("card of %s has no member", ids[i%len(ids)])
			}
			return err
		})
	})
	names := []string{"Lazarus Group", "APT28", "Turla", "Sandworm Team", "APT29", "FIN7", "Kimsuky", "OilRig"}
	b.Run("find"+suffix, func(b *testing.B) {
		latencies(b, *samples, func(i int) error {
			cards, err := kb.FindActors(ctx, s, names[i%len(names)], 0)
			if err == nil && len(cards) == 0 {
				err = fmt.Errorf("FindActors(%q): no card", names[i%len(names)])
			}
			return err
		})
	})
}

// lazarusCase is a case of 12 techniques and 3 pieces of software of
// Lazarus Group's card, and indicators when given.
func lazarusCase(tb testing.TB, s kb.Store, indicators []casefile.Indicator) *casefile.Case {
	tb.Helper()
	cards, err := kb.FindActors(context.Background(), s, "Lazarus Group", 0)
	if err != nil || len(cards) == 0 {
		tb.Fatalf("FindActors(Lazarus Group) = %v, %v", cards, err)
	}
	c := &casefile.Case{Name: "bench", Indicators: indicators}
	for _, t := range cards[0].Techniques {
		if len(c.Techniques) < 12 && t.ExternalID != "" {
			c.Techniques = append(c.Techniques, casefile.Item{Ref: t.ExternalID})
		}
	}
	for _, t := range cards[0].Software {
		if len(c.Software) < 3 && t.ExternalID != "" {
			c.Software = append(c.Software, casefile.Item{Ref: t.ExternalID})
		}
	}
	if len(c.Techniques) < 12 || len(c.Software) < 3 {
		tb.Fatalf("Lazarus Group's card: %d techniques, %d software", len(c.Techniques), len(c.Software))
	}
	return c
}

// knowledgeBenchmarks measure loading the attribution knowledge from s
// (built from the objects; read back compiled from the store's blob) and
// attributing a case with it.
func knowledgeBenchmarks(b *testing.B, s kb.Store, suffix string) {
	ctx := context.Background()
	b.Run("load-build"+suffix, func(b *testing.B) {
		latencies(b, *samples/10, func(int) error {
			if err := s.PutBlob(ctx, assess.CompiledKey, "stale", nil); err != nil {
				return err
			}
			_, err := assess.Load(ctx, s, "bench", 0)
			return err
		})
	})
	if err := assess.Refresh(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.Run("load-compiled"+suffix, func(b *testing.B) {
		latencies(b, *samples/10, func(int) error {
			_, err := assess.Load(ctx, s, "bench", 0)
			return err
		})
	})
	b.Run("attribute"+suffix, func(b *testing.B) {
		k, err := assess.Load(ctx, s, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		c := lazarusCase(b, s, nil)
		latencies(b, *samples, func(int) error {
			r, err := k.Attribute(c, nil, assess.Options{})
			if err == nil && len(r.Hypotheses) == 0 {
				err = fmt.Errorf("no hypothesis")
			}
			return err
		})
	})
}

// BenchmarkScale builds, for each backend in turn, the knowledge base of a
// team: ATT&CK 18.1 and three MISP galaxies, then a feed of -scale
// indicators (each indicating an ATT&CK group or piece of software). It
// measures on the reference knowledge: actor cards (card, find), loading
// the attribution knowledge (load-build, load-compiled) and attributing a
// case (attribute); then the feed's import (feed: objects/s over the whole
// import and the lowest per 100,000 objects) and, at that scale, lookups
// of indicator values (lookup: through the observables table) and actor
// cards again (card-at-scale, find-at-scale). Each latency benchmark times
// -samples operations per iteration (the loads a tenth of that) and
// reports p50-ms and p99-ms: run it with -benchtime 1x. The feed, and what
// is measured after it, run only when the whole benchmark does.
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			s := newStore(b, backend)
			start := time.Now()
			importReference(b, s)
			b.Logf("%s: ATT&CK and three galaxies imported in %.1f s", backend, time.Since(start).Seconds())
			cardBenchmarks(b, s, "")
			knowledgeBenchmarks(b, s, "")

			var targets []string
			err := s.Objects(ctx, kb.ObjectQuery{Types: []string{"intrusion-set", "malware"}}, func(o *stix.Object) error {
				if o.ExternalID("mitre-attack") != "" {
					targets = append(targets, o.ID)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			sort.Strings(targets)
			var once sync.Once
			var rate, lowest float64
			f := newFeed(*scaleSize, targets)
			b.Run("feed", func(b *testing.B) {
				once.Do(func() { rate, lowest = feedImport(b, s, f) })
				b.ReportMetric(rate, "objects/s")
				if len(f.marks) > 0 {
					b.ReportMetric(lowest, "min-100k-objects/s")
				}
				b.ReportMetric(1e9/rate, "ns/op") // per object
			})
			if rate == 0 {
				return // the feed was filtered out, and so is what needs it
			}
			vi, ok := s.(valueIndex)
			if !ok {
				b.Fatalf("%T has no ObjectsWithValue", s)
			}
			b.Run("lookup", func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				latencies(b, *samples, func(i int) error {
					k := rng.IntN(*scaleSize)
					v, _ := feedValue(k)
					if i%10 == 9 {
						v = fmt.Sprintf("%x", k) + "-absent" // a value no object carries
					}
					ids, err := vi.ObjectsWithValue(ctx, strings.ToUpper(v))
					if err == nil && (i%10 == 9) != (len(ids) == 0) {
						err = fmt.Errorf("ObjectsWithValue(%q) = %d ids", v, len(ids))
					}
					return err
				})
			})
			cardBenchmarks(b, s, "-at-scale")
		})
	}
}
