package eval

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/attrib/internal/attacktest"
)

// TestExplore evaluates parameter sets given in $EXPLORE ("name=v,name=v;...")
func TestExplore(t *testing.T) {
	spec := os.Getenv("EXPLORE")
	if spec == "" {
		t.Skip("EXPLORE not set")
	}
	objs := attacktest.Load(t, "enterprise-attack-18.1.json.gz")
	ds, _ := prepare(objs, 1, 0.15, 3)
	n, _ := strconv.Atoi(os.Getenv("EXPLORE_N"))
	reps, _ := ds.split("dev", n)
	var ps []attrib.Params
	for _, set := range strings.Split(spec, ";") {
		p := attrib.DefaultParams()
		for _, kv := range strings.Split(set, ",") {
			name, v, _ := strings.Cut(kv, "=")
			f, _ := strconv.ParseFloat(v, 64)
			for _, ax := range Axes() {
				if ax.Name == name {
					ax.Set(&p, f)
				}
			}
		}
		ps = append(ps, p)
	}
	outs, err := evalMany(t.Context(), ds, reps, nil, ps)
	if err != nil {
		t.Fatal(err)
	}
	var base []outcome
	for _, r := range reps {
		base = append(base, baselineOutcome(attrib.NewKnowledge(ds.without(r), nil, attrib.KnowledgeOptions{}), r))
	}
	t.Logf("baseline %+v", metrics(base))
	for i, o := range outs {
		t.Logf("%s: %+v", strings.Split(spec, ";")[i], metrics(o))
	}
}

// TestFitExplore runs Fit when $FIT is set (slow; for tuning).
func TestFitExplore(t *testing.T) {
	if os.Getenv("FIT") == "" {
		t.Skip("FIT not set")
	}
	objs := attacktest.Load(t, "enterprise-attack-18.1.json.gz")
	p, _, err := Fit(t.Context(), objs, Config{Seed: 1}, 2, func(s Step) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", p)
}
