package access_test

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// openFixture imports testdata/tlp-v1.json then tlp-v2.json (a newer,
// GREEN version of Open Bear, whose first version was RED) into a new
// SQLite store.
func openFixture(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, f := range []string{"tlp-v1.json", "tlp-v2.json"} {
		objs, err := stix.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: f}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
			t.Fatalf("import %s: %v", f, err)
		}
	}
	return st
}

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want access.Level
	}{
		{"clear", access.Clear}, {"TLP:WHITE", access.Clear}, {"green", access.Green}, {"tlp:amber", access.Amber},
		{"AMBER+STRICT", access.AmberStrict}, {"red", access.Red},
	} {
		got, err := access.ParseLevel(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLevel(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := access.ParseLevel("purple"); err == nil {
		t.Error("ParseLevel(purple) succeeded")
	}
	for id, want := range map[string]access.Level{stix.TLPWhite: access.Clear, stix.TLP2Clear: access.Clear, stix.TLPGreen: access.Green,
		stix.TLP2AmberStrict: access.AmberStrict, stix.TLPRed: access.Red, stix.TLP2Red: access.Red} {
		if got, ok := access.MarkingLevel(id); !ok || got != want {
			t.Errorf("MarkingLevel(%s) = %v, %v, want %v", id, got, ok, want)
		}
	}
}

func names(t *testing.T, v *access.View) []string {
	t.Helper()
	var out []string
	err := v.Objects(context.Background(), kb.ObjectQuery{IncludeInactive: true}, func(o *stix.Object) error {
		n := o.Name
		if n == "" {
			n = o.ID[:strings.Index(o.ID, "--")] + ":" + o.SourceRef[:3] + ">" + o.TargetRef[:3]
			if o.Type != "relationship" {
				n = o.Type
			}
		}
		out = append(out, n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestViewObjects(t *testing.T) {
	ctx := context.Background()
	st := openFixture(t)
	ix, err := access.Build(ctx, st, access.Clear)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		level access.Level
		want  []string
		rels  int
	}{
		{access.Clear, []string{"Phishing", "PublicRAT", "SecretLoader", "Test Org"}, 0},
		{access.Green, []string{"Open Bear", "Phishing", "PublicRAT", "SecretLoader", "Test Org"}, 1},
		{access.Amber, []string{"Amber Kitten", "Open Bear", "Phishing", "PublicRAT", "SecretLoader", "Test Org"}, 3},
		{access.Red, []string{"Amber Kitten", "Open Bear", "Panda report", "Phishing", "PublicRAT", "Red Panda", "Scarlet Heron", "SecretLoader", "Test Org"}, 5},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			v := ix.View(st, tc.level)
			var got []string
			for _, n := range names(t, v) {
				if !strings.HasPrefix(n, "relationship:") {
					got = append(got, n)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects at %v (-want +got):\n%s", tc.level, diff)
			}
			rels := 0
			v.Relationships(ctx, kb.RelationshipQuery{}, func(*stix.Object) error { rels++; return nil })
			if rels != tc.rels {
				t.Errorf("relationships at %v = %d, want %d", tc.level, rels, tc.rels)
			}
			s, err := v.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Objects != len(tc.want)+tc.rels {
				t.Errorf("Stats().Objects at %v = %d, want %d", tc.level, s.Objects, len(tc.want)+tc.rels)
			}
		})
	}
}

func TestViewHidesHiddenObjectsEverywhere(t *testing.T) {
	ctx := context.Background()
	st := openFixture(t)
	ix, err := access.Build(ctx, st, access.Clear)
	if err != nil {
		t.Fatal(err)
	}
	green := ix.View(st, access.Green)
	const redPanda = "intrusion-set--0000000c-0000-4000-8000-00000000000c"
	const openBear = "intrusion-set--0000000a-0000-4000-8000-00000000000a"
	_, hidden := green.Object(ctx, redPanda)
	_, missing := green.Object(ctx, "intrusion-set--0000ffff-0000-4000-8000-00000000ffff")
	if hidden == nil || missing == nil || strings.Replace(hidden.Error(), redPanda, "X", 1) != strings.Replace(missing.Error(), "intrusion-set--0000ffff-0000-4000-8000-00000000ffff", "X", 1) {
		t.Errorf("hidden object error %v, missing object error %v: want the same", hidden, missing)
	}
	for _, q := range []string{"Red Panda", "Crimson Panda", redPanda, "Ruby Secret"} {
		ms, err := green.LookupName(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) > 0 {
			t.Errorf("LookupName(%q) at GREEN = %v, want nothing", q, ms)
		}
	}
	ms, _ := green.LookupName(ctx, "Open Bear")
	if len(ms) != 1 || ms[0].ID != openBear {
		t.Errorf("LookupName(Open Bear) at GREEN = %v, want only Open Bear itself", ms)
	}
	links, _ := green.SameAs(ctx)
	if len(links) != 0 {
		t.Errorf("SameAs at GREEN = %v, want none (Red Panda is hidden)", links)
	}
	if all, _ := ix.View(st, access.Red).SameAs(ctx); len(all) == 0 {
		t.Error("SameAs at RED is empty: the fixture should link Open Bear and Red Panda")
	}
	// The first version of Open Bear was RED: its history is hidden.
	vs, err := green.Versions(ctx, openBear)
	if err != nil || len(vs) != 0 {
		t.Errorf("Versions(Open Bear) at GREEN = %d versions, %v; want none", len(vs), err)
	}
	if vs, _ := ix.View(st, access.Red).Versions(ctx, openBear); len(vs) != 1 {
		t.Errorf("Versions(Open Bear) at RED = %d versions, want 1", len(vs))
	}
	if _, err := green.Provenance(ctx, redPanda); err == nil {
		t.Error("Provenance of a hidden object succeeded")
	}
	s, _ := green.Stats(ctx)
	if s.ByType["intrusion-set"] != 1 || s.ByType["report"] != 0 || s.Versions != 0 {
		t.Errorf("Stats at GREEN = %+v, want one intrusion-set, no report, no version", s)
	}
}

// TestUnmarkedLevel raises the level of unmarked objects to AMBER: the
// GREEN-marked Open Bear is then hidden from GREEN too, since its creator
// (an unmarked identity) is AMBER.
func TestUnmarkedLevel(t *testing.T) {
	ctx := context.Background()
	st := openFixture(t)
	ix, err := access.Build(ctx, st, access.Amber)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, ix.View(st, access.Green)); len(got) != 0 {
		t.Errorf("GREEN view with unmarked=AMBER = %v, want nothing", got)
	}
	if got := names(t, ix.View(st, access.Amber)); len(got) != 9 {
		t.Errorf("AMBER view with unmarked=AMBER = %v, want 9 objects", got)
	}
}
