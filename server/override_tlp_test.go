package server

import (
	"context"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/investigation"
)

// TestOverrideOfHiddenActorHidden: an override naming a RED actor, made
// on a GREEN case by the command line (which reads every level), never
// shows that actor to a GREEN token: not in the case, its history, its
// matrix or a result attributed at GREEN afterwards.
func TestOverrideOfHiddenActorHidden(t *testing.T) {
	f := analysisFixture(t)
	ctx := context.Background()
	id := f.newCase("analyst-green", "?tlp=green", analysisCase)
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/attribute", "", nil); code != 200 {
		t.Fatalf("attribute: %d %s", code, b)
	}
	know, err := assess.Load(ctx, f.store, "kb", 0)
	if err != nil {
		t.Fatal(err)
	}
	svc := &investigation.Service{Store: f.store}
	if _, err := svc.Override(ctx, id, know, investigation.Override{Item: "software: SecretLoader", Hypothesis: redPanda,
		Rating: "CC", Analyst: "cli-analyst", Reason: "Crimson reasons"}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if code, _, b := f.do("POST", "analyst-green", "/api/cases/"+id+"/attribute", "", nil); code != 200 {
		t.Fatalf("attribute again: %d %s", code, b)
	}
	for _, path := range []string{"/api/cases/" + id, "/api/cases/" + id + "/ach", "/api/cases/" + id + "/ach?format=csv"} {
		code, b := f.get("reader-green", path)
		if code != 200 {
			t.Fatalf("GET %s as GREEN: %d %s", path, code, b)
		}
		for _, h := range append([]string{redPanda, "Crimson reasons"}, hiddenFromGreen...) {
			if strings.Contains(string(b), h) {
				t.Errorf("GET %s as GREEN shows the hidden %q:\n%s", path, h, b)
			}
		}
	}
	if code, b := f.get("reader-red", "/api/cases/"+id); code != 200 || !strings.Contains(string(b), "Crimson reasons") {
		t.Errorf("GET as RED: %d, want the override listed:\n%s", code, b)
	}
}
