package navigator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/galaxy"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// check validates a layer's JSON against the schema written from the
// format's definition, and checks what a schema cannot: the domain and
// versions, techniques known to the catalogue and each listed once, a
// gradient that rises, scores inside it.
func check(t *testing.T, cat *navigator.Catalogue, l *navigator.Layer) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := l.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if err := navigator.Validate(b.Bytes()); err != nil {
		t.Fatalf("layer %q does not validate: %v", l.Name, err)
	}
	var raw struct {
		Domain   string `json:"domain"`
		Versions struct{ Layer, Navigator string }
		Gradient struct{ MinValue, MaxValue float64 }
		Techs    []struct {
			ID    string  `json:"techniqueID"`
			Score float64 `json:"score"`
		} `json:"techniques"`
	}
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Domain != "enterprise-attack" || raw.Versions.Layer != "4.5" {
		t.Errorf("domain %q, layer version %q", raw.Domain, raw.Versions.Layer)
	}
	if raw.Gradient.MaxValue <= raw.Gradient.MinValue {
		t.Errorf("gradient %v..%v does not rise", raw.Gradient.MinValue, raw.Gradient.MaxValue)
	}
	seen := map[string]bool{}
	for _, tc := range raw.Techs {
		if _, ok := cat.Resolve(tc.ID); !ok {
			t.Errorf("technique %s is not in the knowledge base", tc.ID)
		}
		if seen[tc.ID] {
			t.Errorf("technique %s listed twice", tc.ID)
		}
		seen[tc.ID] = true
		if tc.Score < raw.Gradient.MinValue || tc.Score > raw.Gradient.MaxValue {
			t.Errorf("technique %s scored %v outside the gradient", tc.ID, tc.Score)
		}
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./navigator -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func starterStore(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceBuiltin, Name: "starter"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return st
}

func card(t *testing.T, r kb.Reader, name string) *kb.Card {
	t.Helper()
	cs, err := kb.FindActors(context.Background(), r, name, 0)
	if err != nil || len(cs) != 1 {
		t.Fatalf("FindActors(%q) = %d cards, %v", name, len(cs), err)
	}
	return cs[0]
}

func TestGoldenSony(t *testing.T) {
	ctx := context.Background()
	st := starterStore(t)
	clock := time.Date(2014, 12, 20, 9, 0, 0, 0, time.UTC)
	s := &investigation.Service{Store: st, Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	c, err := s.New(ctx, "", investigation.Evidence{Name: "case.yaml", Content: examples.SonyCase(), By: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := navigator.LoadCatalogue(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	// Before any attribution: the case's techniques alone.
	l, warns, err := navigator.ForCase(ctx, st, nil, c)
	if err != nil || len(warns) > 0 {
		t.Fatalf("ForCase = %v, %v", warns, err)
	}
	if n := len(l.Techniques); n != 12 {
		t.Errorf("unattributed case layer has %d techniques, want the case's 12", n)
	}
	check(t, cat, l)

	know, err := assess.Load(ctx, st, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, c, err = s.Attribute(ctx, c.ID, know, assess.Options{}, "alice"); err != nil {
		t.Fatal(err)
	}
	l, _, err = navigator.ForCase(ctx, st, nil, c)
	if err != nil {
		t.Fatal(err)
	}
	// The case id is random: the golden file reads case-ID.
	golden(t, "sony-case.json", bytes.ReplaceAll(check(t, cat, l), []byte(c.ID), []byte("case-ID")))

	laz, err := navigator.Actor(ctx, st, cat, card(t, st, "Lazarus Group"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "lazarus.json", check(t, cat, laz))

	cmp, err := navigator.Compare(ctx, st, cat, []*kb.Card{card(t, st, "Lazarus Group"), card(t, st, "Sandworm Team"), card(t, st, "APT28")})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.json", check(t, cat, cmp))
	if len(cmp.Legend) < 3 {
		t.Errorf("comparison legend = %+v, want an item per combination present", cmp.Legend)
	}
	if _, err := navigator.Compare(ctx, st, cat, []*kb.Card{card(t, st, "APT28")}); err == nil || !strings.Contains(err.Error(), "two or three") {
		t.Errorf("Compare of one actor = %v, want an error", err)
	}
}

// TestATTACK builds the layer of every group of ATT&CK 18.1 with the MISP
// galaxies: each validates and names only techniques of the bundle.
func TestATTACK(t *testing.T) {
	if testing.Short() {
		t.Skip("imports ATT&CK 18.1")
	}
	st := bigStore(t)
	ctx := context.Background()
	cat, err := navigator.LoadCatalogue(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Len() < 600 {
		t.Fatalf("catalogue of %d techniques, want ATT&CK's", cat.Len())
	}
	cs, err := kb.LoadClusters(ctx, st, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cl := range cs.All() {
		if cl.Primary().ExternalID("mitre-attack") == "" {
			continue
		}
		c, err := kb.ActorCardWith(ctx, st, cs, cl.ID)
		if err != nil {
			t.Fatal(err)
		}
		l, err := navigator.Actor(ctx, st, cat, c)
		if err != nil {
			t.Fatal(err)
		}
		check(t, cat, l)
		n++
		if c.ExternalID == "G0032" && len(l.Techniques) < 50 {
			t.Errorf("Lazarus Group's layer has %d techniques", len(l.Techniques))
		}
	}
	if n < 150 {
		t.Errorf("%d ATT&CK groups, want ATT&CK 18.1's", n)
	}
}

var bigOnce struct {
	sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bigOnce.dir != "" {
		os.RemoveAll(bigOnce.dir)
	}
	os.Exit(code)
}

// bigStore is a store holding ATT&CK 18.1 and the MISP threat-actor,
// intrusion-set and malpedia galaxies, imported once per test binary.
func bigStore(t testing.TB) *sqlite.Store {
	t.Helper()
	attack := refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz")
	var gal []string
	for _, g := range []string{"threat-actor.json.gz", "mitre-intrusion-set.json.gz", "malpedia.json.gz"} {
		gal = append(gal, refdata.Path(t, "misp-galaxy", g))
	}
	ctx := context.Background()
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "navigator-test")
		if err != nil {
			bigOnce.err = err
			return
		}
		bigOnce.dir = dir
		bigOnce.path = filepath.Join(dir, "kb.db")
		st, err := sqlite.Open(ctx, bigOnce.path)
		if err != nil {
			bigOnce.err = err
			return
		}
		defer st.Close()
		objs, err := stix.ReadFile(attack)
		if err == nil {
			_, err = st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "attack"}, kb.SliceStream(objs), kb.ImportOptions{})
		}
		for _, g := range gal {
			if err != nil {
				break
			}
			rc, _, oerr := stix.OpenAs(g, g)
			if err = oerr; err != nil {
				break
			}
			var gf *galaxy.File
			gf, err = galaxy.Decoder{MaxFileSize: 1 << 30}.Decode(rc, filepath.Base(g))
			rc.Close()
			if err == nil {
				_, err = st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: filepath.Base(g)}, kb.SliceStream(gf.Objects), kb.ImportOptions{})
			}
		}
		bigOnce.err = err
	})
	if bigOnce.err != nil {
		t.Fatal(bigOnce.err)
	}
	st, err := sqlite.Open(ctx, bigOnce.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
