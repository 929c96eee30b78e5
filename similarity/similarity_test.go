package similarity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/tlsh"
	"github.com/google/go-cmp/cmp"
)

// family returns n related inputs: a random base and copies with a few
// bytes changed, inserted and appended.
func family(seed uint64, n, size int) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := make([]byte, size)
	for i := range base {
		base[i] = byte(r.IntN(256))
	}
	out := [][]byte{base}
	for len(out) < n {
		b := append([]byte(nil), base...)
		for e := 0; e < 1+r.IntN(20); e++ {
			p := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b[p] = byte(r.IntN(256))
			case 1:
				b = append(b[:p], append([]byte{byte(r.IntN(256))}, b[p:]...)...)
			default:
				b = append(b, byte(r.IntN(256)))
			}
		}
		out = append(out, b)
	}
	return out
}

func sampleOf(t *testing.T, id string, b []byte) Sample {
	t.Helper()
	td, err := tlsh.Sum(b)
	if err != nil {
		t.Fatal(err)
	}
	return Sample{ID: id, Name: id, TLSH: td.String(), SSDEEP: ssdeep.Sum(b).String()}
}

// population returns samples of several families and a query from each.
func population(t *testing.T) (samples []Sample, queries map[string][]byte) {
	queries = map[string][]byte{}
	for f := 0; f < 6; f++ {
		inputs := family(uint64(f+1), 8, 8192)
		for i, b := range inputs[1:] {
			samples = append(samples, sampleOf(t, fmt.Sprintf("file--fam%d-%d", f, i), b))
		}
		queries[fmt.Sprintf("fam%d", f)] = inputs[0]
	}
	return samples, queries
}

// brute is the reference: every sample compared with the query.
func brute(samples []Sample, q Query, maxDist, minScore int) map[string][2]int {
	want := map[string][2]int{}
	for _, s := range samples {
		d, sc := -1, -1
		if td, err := tlsh.Parse(s.TLSH); err == nil && q.TLSH != nil {
			if x := tlsh.Distance(*q.TLSH, td, true); x <= maxDist {
				d = x
			}
		}
		if sd, err := ssdeep.Parse(s.SSDEEP); err == nil && q.SSDEEP != nil {
			if x := ssdeep.Compare(*q.SSDEEP, sd); x >= minScore {
				sc = x
			}
		}
		if d >= 0 || sc >= 0 {
			want[s.ID] = [2]int{d, sc}
		}
	}
	return want
}

func got(ms []Match) map[string][2]int {
	g := map[string][2]int{}
	for _, m := range ms {
		g[m.ID] = [2]int{m.TLSHDistance, m.SSDEEPScore}
	}
	return g
}

func TestSearchMatchesBruteForce(t *testing.T) {
	samples, queries := population(t)
	ix, errs := New(samples)
	if len(errs) > 0 {
		t.Fatalf("New: %v", errs)
	}
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	reread, err := ReadIndex(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("ReadIndex: %v", err)
	}
	for name, b := range queries {
		td, _ := tlsh.Sum(b)
		sd := ssdeep.Sum(b)
		q := Query{TLSH: &td, SSDEEP: &sd}
		for _, radius := range []struct{ d, s int }{{30, 21}, {100, 1}, {0, 100}} {
			want := brute(samples, q, radius.d, radius.s)
			for which, x := range map[string]*Index{"built": ix, "reread": reread} {
				ms := x.Search(q, radius.d, radius.s)
				if diff := cmp.Diff(want, got(ms)); diff != "" {
					t.Errorf("%s index, query %s, radius %v (-brute +search):\n%s", which, name, radius, diff)
				}
				for i := 1; i < len(ms); i++ {
					a, b := ms[i-1].TLSHDistance, ms[i].TLSHDistance
					if a < 0 && b >= 0 || a >= 0 && b >= 0 && a > b {
						t.Errorf("%s: results not ordered by distance: %d before %d", name, a, b)
					}
				}
			}
		}
		if len(ix.Search(q, 30, 21)) == 0 {
			t.Errorf("query %s found none of its own family", name)
		}
	}
}

func TestReadIndexCorrupt(t *testing.T) {
	samples, _ := population(t)
	ix, _ := New(samples[:5])
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for _, n := range []int{0, 5, len(magic), len(magic) + 3, len(good) / 2, len(good) - 1} {
		if _, err := ReadIndex(bytes.NewReader(good[:n])); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ReadIndex of the first %d of %d bytes: err = %v, want ErrCorrupt", n, len(good), err)
		}
	}
}

func FuzzReadIndex(f *testing.F) {
	var seed []Sample
	for i, b := range family(7, 3, 4096) {
		td, _ := tlsh.Sum(b)
		seed = append(seed, Sample{ID: fmt.Sprint("file--", i), TLSH: td.String(), SSDEEP: ssdeep.Sum(b).String()})
	}
	ix, _ := New(seed)
	var buf bytes.Buffer
	ix.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIndex(bytes.NewReader(b))
		if err != nil {
			return
		}
		td, _ := tlsh.Parse(seed[0].TLSH)
		sd, _ := ssdeep.Parse(seed[0].SSDEEP)
		x.Search(Query{TLSH: &td, SSDEEP: &sd}, 300, 1) // must not panic on any accepted input
	})
}

func fileObject(t *testing.T, s Sample) *stix.Object {
	t.Helper()
	raw := fmt.Sprintf(`{"type":"file","spec_version":"2.1","id":%q,"name":%q,"hashes":{"SHA-256":"%064x","TLSH":%q,"SSDEEP":%q}}`,
		stix.DeterministicID("file", s.ID), s.Name, len(s.ID), s.TLSH, s.SSDEEP)
	o, err := stix.ParseObject([]byte(raw))
	if err != nil {
		t.Fatalf("ParseObject(%s): %v", raw, err)
	}
	return o
}

func TestLoadPersistsInStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kb.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	samples, queries := population(t)
	var objs []*stix.Object
	for _, s := range samples[:20] {
		objs = append(objs, fileObject(t, s))
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "samples"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ix, built, err := Load(ctx, st)
	if err != nil || !built || ix.Len() != 20 {
		t.Fatalf("first Load = %d samples, built %v, %v; want 20, built", ix.Len(), built, err)
	}
	st.Close()

	// A restart reads the persisted index instead of rebuilding it.
	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ix2, built, err := Load(ctx, st)
	if err != nil || built || ix2.Len() != 20 {
		t.Fatalf("Load after restart = %d samples, built %v, %v; want 20 read back", ix2.Len(), built, err)
	}
	b := queries["fam0"]
	td, _ := tlsh.Sum(b)
	sd := ssdeep.Sum(b)
	q := Query{TLSH: &td, SSDEEP: &sd}
	if diff := cmp.Diff(got(ix.Search(q, 100, 1)), got(ix2.Search(q, 100, 1))); diff != "" {
		t.Errorf("persisted index answers differently (-built +read):\n%s", diff)
	}

	// New samples make the persisted index stale: it is rebuilt.
	var more []*stix.Object
	for _, s := range samples[20:25] {
		more = append(more, fileObject(t, s))
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "more"}, kb.SliceStream(more), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ix3, built, err := Load(ctx, st)
	if err != nil || !built || ix3.Len() != 25 {
		t.Fatalf("Load after adding samples = %d samples, built %v, %v; want 25, rebuilt", ix3.Len(), built, err)
	}

	// A damaged blob is rebuilt, not trusted.
	tag, _ := stateTag(ctx, st)
	if err := st.PutBlob(ctx, BlobKey, tag, []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	if ix4, built, err := Load(ctx, st); err != nil || !built || ix4.Len() != 25 {
		t.Fatalf("Load with a damaged blob = %v, built %v, %v; want rebuilt", ix4, built, err)
	}
}

// TestSearchLimit checks that SearchLimit returns a prefix of Search, at
// most limit long, with each algorithm's total, on a population where one
// file is stored many times over.
func TestSearchLimit(t *testing.T) {
	samples, queries := population(t)
	copied := samples[0]
	for i := range 300 {
		c := copied
		c.ID = fmt.Sprintf("file--copy-%03d", i)
		samples = append(samples, c)
	}
	ix, errs := New(samples)
	if len(errs) > 0 {
		t.Fatalf("New: %v", errs)
	}
	td, _ := tlsh.Parse(copied.TLSH)
	sd, _ := ssdeep.Parse(copied.SSDEEP)
	cases := map[string]Query{"copied": {TLSH: &td, SSDEEP: &sd}}
	for name, b := range queries {
		td, _ := tlsh.Sum(b)
		sd := ssdeep.Sum(b)
		cases[name] = Query{TLSH: &td, SSDEEP: &sd}
	}
	for name, q := range cases {
		all := ix.Search(q, 30, 21)
		wantTotals := Totals{}
		for _, m := range all {
			if m.TLSHDistance >= 0 {
				wantTotals.TLSH++
			}
			if m.SSDEEPScore >= 0 {
				wantTotals.SSDEEP++
			}
		}
		for _, limit := range []int{1, 5, 20} {
			ms, totals := ix.SearchLimit(q, 30, 21, limit)
			if totals != wantTotals {
				t.Errorf("%s, limit %d: totals %+v, want %+v", name, limit, totals, wantTotals)
			}
			if len(ms) > limit {
				t.Errorf("%s, limit %d: %d matches", name, limit, len(ms))
			}
			// The first results agree with Search's wherever the TLSH
			// distance decides the order.
			for i, m := range ms {
				if m.TLSHDistance != all[i].TLSHDistance {
					t.Errorf("%s, limit %d: match %d at TLSH distance %d, Search has %d", name, limit, i, m.TLSHDistance, all[i].TLSHDistance)
				}
			}
		}
		if name == "copied" && wantTotals.TLSH < 300 {
			t.Errorf("copied sample found %d times by TLSH, want at least 300", wantTotals.TLSH)
		}
	}
}
