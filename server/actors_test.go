package server

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/token"
)

// TestCachedCardsEqualDirect checks that the cards and listings the
// server builds from its snapshot caches are those kb builds reading the
// view directly, at each level.
func TestCachedCardsEqualDirect(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	sn := f.srv.snap.Load()
	for _, l := range []access.Level{access.Green, access.Amber, access.Red} {
		c := &call{snap: sn, tok: token.Token{TLP: l}, view: sn.access.View(f.store, l)}
		rd, cs, err := f.srv.actorsOf(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"Open Bear", "Grizzly", "Amber Kitten", "Red Panda", openBear} {
			want, err := kb.FindActors(ctx, c.view, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := kb.FindActorsWith(ctx, rd, cs, q)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := json.Marshal(want)
			g, _ := json.Marshal(got)
			if diff := cmp.Diff(string(w), string(g)); diff != "" {
				t.Errorf("%v: cards for %q differ (-direct +cached):\n%s", l, q, diff)
			}
		}
		want, _ := kb.ListActors(ctx, c.view, "")
		got, _ := f.srv.listAll(ctx, rd)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: listings differ (-direct +cached):\n%s", l, diff)
		}
	}
}
