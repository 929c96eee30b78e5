package server

import (
	"context"
	"encoding/json"
	"net/url"
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

// TestCachedAnswersKeepLevels checks the encoded answers the actor routes
// cache: asked in turn by a GREEN and a RED reader, and again, each gets
// the answer of its own level (kb built through its view), never the
// other's.
func TestCachedAnswersKeepLevels(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	sn := f.srv.snap.Load()
	for round := 0; round < 2; round++ {
		for _, who := range []string{"reader-green", "reader-red", "reader-green"} {
			l := access.Green
			if who == "reader-red" {
				l = access.Red
			}
			view := sn.access.View(f.store, l)
			for _, q := range []string{"Red Panda", "Open Bear"} {
				cards, err := kb.FindActors(ctx, view, q, 0)
				if err != nil {
					t.Fatal(err)
				}
				if cards == nil {
					cards = []*kb.Card{}
				}
				want, _ := encodeJSON(map[string]any{"query": q, "cards": cards})
				code, got := f.get(who, "/api/actors/search?q="+url.QueryEscape(q))
				if code != 200 || string(got) != string(want) {
					t.Errorf("round %d, %s, %q: %d\n got %s\nwant %s", round, who, q, code, got, want)
				}
			}
		}
	}
}
