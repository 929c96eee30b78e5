package server

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/web"
)

// TestUICardsAreTheAPIs checks that the UI's cards and actor layers,
// which come from the API's answers cached per snapshot and level, are
// what kb and the API build at the user's level, on a first request
// (built) and a second (cached), and that the cache keeps levels apart.
func TestUICardsAreTheAPIs(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	sn := f.srv.snap.Load()
	for round := 0; round < 2; round++ {
		for _, l := range []access.Level{access.Green, access.Red, access.Green} {
			k, err := uiBackend{f.srv}.Open(ctx, web.User{TokenID: "ui-test", Name: "ui-test", TLP: l})
			if err != nil {
				t.Fatal(err)
			}
			view := sn.access.View(f.store, l)
			for _, q := range []string{openBear, "Open Bear", "Red Panda"} {
				cards, err := kb.FindActors(ctx, view, q, 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := k.Card(ctx, q)
				if len(cards) != 1 {
					if err == nil {
						t.Errorf("round %d, %v: %q is %d actors, the UI found %s", round, l, q, len(cards), got.ID)
					}
					continue
				}
				if err != nil {
					t.Fatalf("round %d, %v: the card of %q: %v", round, l, q, err)
				}
				want := cards[0]
				want.Matches = nil // how the query matched: a search's, not a card page's
				if got.Primary == nil || got.Primary.ID != want.Primary.ID {
					t.Errorf("round %d, %v, %q: primary %v, want %s", round, l, q, got.Primary, want.Primary.ID)
				}
				if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Primary" }, cmp.Ignore())); diff != "" {
					t.Errorf("round %d, %v: the UI's card of %q differs (-kb +ui):\n%s", round, l, q, diff)
				}
				layer, err := k.ActorLayer(ctx, got.ID)
				if err != nil {
					t.Fatal(err)
				}
				who := "reader-green"
				if l == access.Red {
					who = "reader-red"
				}
				code, api := f.get(who, "/api/actors/"+got.ID+"/navigator")
				if code != 200 || string(api) != string(layer) {
					t.Errorf("round %d, %v: the UI's layer of %s is not the API's (%d):\n got %s\nwant %s", round, l, got.ID, code, layer, api)
				}
			}
		}
	}
}
