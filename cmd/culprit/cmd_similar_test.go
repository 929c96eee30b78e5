package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/tlsh"
)

// variants writes n files that share most of their bytes (a base with a few
// substituted, inserted and appended bytes each), as builds of one family
// do, and returns their paths.
func variants(t *testing.T, dir, prefix string, seed uint64, n int) []string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	base := make([]byte, 24<<10)
	for i := range base {
		base[i] = byte(r.IntN(256))
	}
	var paths []string
	for i := 0; i < n; i++ {
		b := append([]byte(nil), base...)
		for e := 0; e < 10; e++ {
			p := r.IntN(len(b))
			b[p] = byte(r.IntN(256))
			b = append(b[:p], append([]byte{byte(r.IntN(256))}, b[p:]...)...)
		}
		b = append(b, fmt.Sprintf("build %d", i)...)
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.bin", prefix, i))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// knownSamples returns a knowledge base with two actors, each using a
// family with three stored samples, and unseen variants of each family.
func knownSamples(t *testing.T) (db string, unseen map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db = filepath.Join(dir, "kb.db")
	store, err := openStoreAt(ctx, db, true)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*stix.Object
	for i, name := range []string{"Lazarus Group", "Sandworm Team"} {
		o, err := stix.ParseObject([]byte(fmt.Sprintf(`{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--%08d-8a2e-4b5e-9d43-6f0d7d5c1a10",`+
			`"created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":%q}`, i+1, name)))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	if _, err := store.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "actors.json"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	unseen = map[string]string{}
	for i, fam := range []struct{ family, actor string }{{"Destover", "Lazarus Group"}, {"BlackEnergy", "Sandworm Team"}} {
		files := variants(t, dir, fam.family, uint64(i+10), 4)
		e, _, errb := sampleEnv()
		args := append([]string{"sample", "--add", "--family", fam.family, "--actor", fam.actor, "--db", db}, files[:3]...)
		if code := run(ctx, args, e); code != 0 {
			t.Fatalf("sample --add: exit %d, stderr %s", code, errb)
		}
		unseen[fam.family] = files[3]
	}
	return db, unseen
}

func TestSimilar(t *testing.T) {
	ctx := context.Background()
	db, unseen := knownSamples(t)
	other := variants(t, t.TempDir(), "unrelated", 99, 1)[0]

	e, out, errb := sampleEnv()
	if code := run(ctx, []string{"similar", "--db", db, "--json", unseen["Destover"], other}, e); code != 0 {
		t.Fatalf("similar: exit %d, stderr %s", code, errb)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("similar --json printed %d lines, want one per query:\n%s", len(lines), out)
	}
	var first, second similarResult
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if len(first.Matches) != 3 {
		t.Fatalf("unseen Destover variant matched %d samples, want its 3 siblings: %+v", len(first.Matches), first.Matches)
	}
	for _, m := range first.Matches {
		if m.TLSHDistance == nil || *m.TLSHDistance > 30 {
			t.Errorf("match %s: TLSH distance %v, want at most 30", m.Name, m.TLSHDistance)
		}
		if len(m.Families) != 1 || m.Families[0].Name != "Destover" || len(m.Actors) != 1 || m.Actors[0].Name != "Lazarus Group" {
			t.Errorf("match %s: families %+v actors %+v, want Destover used by Lazarus Group", m.Name, m.Families, m.Actors)
		}
	}
	if len(second.Matches) != 0 {
		t.Errorf("unrelated file matched %+v, want nothing", second.Matches)
	}

	// A digest works as well as a file, and the text output names the family.
	b, err := os.ReadFile(unseen["BlackEnergy"])
	if err != nil {
		t.Fatal(err)
	}
	d, err := tlsh.Sum(b)
	if err != nil {
		t.Fatal(err)
	}
	e, out, errb = sampleEnv()
	if code := run(ctx, []string{"similar", "--db", db, d.String()}, e); code != 0 {
		t.Fatalf("similar DIGEST: exit %d, stderr %s", code, errb)
	}
	if got := out.String(); !strings.Contains(got, "BlackEnergy") || !strings.Contains(got, "Sandworm Team") || strings.Contains(got, "Destover") {
		t.Errorf("similar DIGEST output:\n%s\nwant BlackEnergy samples of Sandworm Team only", got)
	}

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not a digest", []string{"similar", "--db", db, "no-such-thing"}, 1, "neither a file nor a TLSH or ssdeep digest"},
		{"no query", []string{"similar", "--db", db}, 2, "no FILE or DIGEST"},
		{"bad score", []string{"similar", "--db", db, "--min-score", "0", other}, 2, "--min-score"},
		{"no database", []string{"similar", "--db", filepath.Join(t.TempDir(), "none.db"), other}, 1, "no knowledge base"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, _, errb := sampleEnv()
			if code := run(ctx, tt.args, e); code != tt.code || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("run(%q) = exit %d, stderr %q; want %d and %q", tt.args, code, errb, tt.code, tt.want)
			}
		})
	}
}

// A case with a sample like a known family's samples ranks the family's
// actor first and shows the similarity as evidence.
func TestAttributeSimilarSample(t *testing.T) {
	ctx := context.Background()
	db, unseen := knownSamples(t)
	b, err := os.ReadFile(unseen["BlackEnergy"])
	if err != nil {
		t.Fatal(err)
	}
	d, err := tlsh.Sum(b)
	if err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(t.TempDir(), "case.yaml")
	if err := os.WriteFile(c, []byte("name: wiper at a utility\nsamples:\n  - name: dropper.exe\n    tlsh: "+d.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, out, errb := sampleEnv()
	if code := run(ctx, []string{"attribute", "--db", db, "--format", "json", c}, e); code != 0 {
		t.Fatalf("attribute: exit %d, stderr %s", code, errb)
	}
	var res struct {
		Hypotheses []struct {
			Name     string `json:"name"`
			Evidence []struct {
				Kind string `json:"kind"`
			} `json:"evidence"`
		} `json:"hypotheses"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("attribute --format json: %v\n%s", err, out)
	}
	if len(res.Hypotheses) == 0 || res.Hypotheses[0].Name != "Sandworm Team" {
		t.Fatalf("top hypothesis = %+v, want Sandworm Team (its family's sample is similar)", res.Hypotheses)
	}
	shown := false
	for _, ev := range res.Hypotheses[0].Evidence {
		shown = shown || ev.Kind == "sample"
	}
	if !shown {
		t.Errorf("evidence of the top hypothesis does not show the sample similarity:\n%s", out)
	}
}
