package eval

import (
	"context"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/attrib/internal/attacktest"
)

func TestExplore(t *testing.T) {
	objs := attacktest.Load(t, "enterprise-attack-18.1.json.gz")
	start := time.Now()
	rep, err := Run(context.Background(), objs, Config{Seed: 1, Split: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v %+v", time.Since(start), *rep)
}
