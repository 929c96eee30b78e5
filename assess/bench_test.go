package assess_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/galaxy"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// fullStore imports ATT&CK 18.1 and the three MISP galaxy files, as a user
// does, into a new store.
func fullStore(b *testing.B) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "kb.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	objs, err := stix.ReadFile(refdata.Path(b, "attack", "enterprise-attack-18.1.json.gz"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Import(ctx, kb.Source{Name: "attack"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, g := range []string{"threat-actor.json.gz", "mitre-intrusion-set.json.gz", "malpedia.json.gz"} {
		f, err := galaxy.DecodeFile(refdata.Path(b, "misp-galaxy", g))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Import(ctx, kb.Source{Name: g}, kb.SliceStream(f.Objects), kb.ImportOptions{SkipDangling: true}); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkLoad measures loading the knowledge of ATT&CK 18.1 and the
// three galaxies: built from the objects, and read back compiled.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	st := fullStore(b)
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if err := st.PutBlob(ctx, assess.CompiledKey, "stale", nil); err != nil {
				b.Fatal(err)
			}
			if _, err := assess.Load(ctx, st, "bench", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	if err := assess.Refresh(ctx, st); err != nil {
		b.Fatal(err)
	}
	b.Run("compiled", func(b *testing.B) {
		for b.Loop() {
			if _, err := assess.Load(ctx, st, "bench", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAttribute200 measures one attribution of a 200-item case (150
// techniques, 50 pieces of software) on ATT&CK 18.1 with the galaxies;
// issue 13 bounds its p99 to 15 ms.
func BenchmarkAttribute200(b *testing.B) {
	ctx := context.Background()
	st := fullStore(b)
	k, err := assess.Load(ctx, st, "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	c := &casefile.Case{Name: "bench 200"}
	err = st.Objects(ctx, kb.ObjectQuery{Types: []string{"attack-pattern", "malware", "tool"}}, func(o *stix.Object) error {
		x := o.ExternalID("mitre-attack")
		switch {
		case x == "":
		case o.Type == "attack-pattern" && len(c.Techniques) < 150:
			c.Techniques = append(c.Techniques, casefile.Item{Ref: x})
		case o.Type != "attack-pattern" && len(c.Software) < 50:
			c.Software = append(c.Software, casefile.Item{Ref: x})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := k.Attribute(c, nil, assess.Options{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
