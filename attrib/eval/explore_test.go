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
	p, _, err := Fit(t.Context(), objs, Config{Seed: 1}, 1, func(s Step) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", p)
}

func TestSignals(t *testing.T) {
	if os.Getenv("SIGNALS") == "" {
		t.Skip("SIGNALS not set")
	}
	objs := attacktest.Load(t, "enterprise-attack-18.1.json.gz")
	ds, _ := prepare(objs, 1, 0.15, 3)
	reps, _ := ds.split("dev", 200)
	sig := map[string][2][]float64{}
	add := func(name string, held bool, v float64) {
		s := sig[name]
		if held {
			s[0] = append(s[0], v)
		} else {
			s[1] = append(s[1], v)
		}
		sig[name] = s
	}
	for _, r := range reps {
		k := attrib.NewKnowledge(ds.without(r), nil, attrib.KnowledgeOptions{})
		known := map[string]int{}
		bestCov := 0.0
		for _, a := range k.Actors() {
			c := 0
			for _, u := range k.Uses(a) {
				known[u]++
				for _, it := range r.items {
					if it == u {
						c++
					}
				}
			}
			bestCov = max(bestCov, float64(c)/float64(len(r.items)))
		}
		novel := 0
		for _, it := range r.items {
			if known[it] == 0 {
				novel++
			}
		}
		res, _ := k.Attribute(reportCase(r), attrib.Options{Params: attrib.DefaultParams(), Explain: -1, Next: -1})
		add("p_unknown", r.heldOut, res.Unknown)
		add("novel_frac", r.heldOut, float64(novel)/float64(len(r.items)))
		add("neg_best_cov", r.heldOut, -bestCov)
		add("neg_top_score", r.heldOut, -res.Hypotheses[0].Score)
		add("neg_top_score_per_item", r.heldOut, -res.Hypotheses[0].Score/float64(len(r.items)))
		add("n_items", r.heldOut, float64(len(r.items)))
	}
	for n, s := range sig {
		t.Logf("%-25s AUROC %.3f", n, auroc(s[0], s[1]))
	}
}
