package similarity

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"

	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

// benchSamples hashes n inputs made of families of 10 related files.
func benchSamples(b *testing.B, n int) []Sample {
	b.Helper()
	var out []Sample
	for f := 0; len(out) < n; f++ {
		for i, in := range family(uint64(f+1000), 10, 4096) {
			if len(out) == n {
				break
			}
			td, err := tlsh.Sum(in)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, Sample{ID: fmt.Sprintf("file--%d-%d", f, i), TLSH: td.String(), SSDEEP: ssdeep.Sum(in).String()})
		}
	}
	return out
}

// BenchmarkStoreLoad is what a restart costs with 20,000 known samples in
// SQLite: Load reading the persisted index, against Load rebuilding it from
// the stored file objects (the blob made stale).
func BenchmarkStoreLoad(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "kb.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var objs []*stix.Object
	for _, s := range benchSamples(b, 20000) {
		raw := fmt.Sprintf(`{"type":"file","spec_version":"2.1","id":%q,"name":%q,"hashes":{"TLSH":%q,"SSDEEP":%q}}`,
			stix.DeterministicID("file", s.ID), s.ID, s.TLSH, s.SSDEEP)
		o, err := stix.ParseObject([]byte(raw))
		if err != nil {
			b.Fatal(err)
		}
		objs = append(objs, o)
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "bench"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("persisted", func(b *testing.B) {
		if _, _, err := Load(ctx, st); err != nil { // make sure the blob is current
			b.Fatal(err)
		}
		for b.Loop() {
			if _, built, err := Load(ctx, st); err != nil || built {
				b.Fatalf("Load: built %v, %v; want the persisted index", built, err)
			}
		}
	})
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			if err := st.PutBlob(ctx, BlobKey, "stale", nil); err != nil {
				b.Fatal(err)
			}
			if _, built, err := Load(ctx, st); err != nil || !built {
				b.Fatalf("Load: built %v, %v; want a rebuild", built, err)
			}
		}
	})
}

// BenchmarkLoad compares the two in memory: building the index from parsed
// samples (New) against reading the persisted bytes (ReadIndex).
func BenchmarkLoad(b *testing.B) {
	samples := benchSamples(b, 20000)
	ix, _ := New(samples)
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			New(samples)
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(buf.Len()))
		for b.Loop() {
			if _, err := ReadIndex(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSearch is one query against 20,000 samples, both hashes.
func BenchmarkSearch(b *testing.B) {
	samples := benchSamples(b, 20000)
	ix, _ := New(samples)
	td, _ := tlsh.Parse(samples[5].TLSH)
	sd, _ := ssdeep.Parse(samples[5].SSDEEP)
	q := Query{TLSH: &td, SSDEEP: &sd}
	ix.Search(q, DefaultMaxDistance, DefaultMinScore) // folds pending entries into the indexes
	for b.Loop() {
		if len(ix.Search(q, DefaultMaxDistance, DefaultMinScore)) == 0 {
			b.Fatal("query found nothing, not even itself")
		}
	}
}
