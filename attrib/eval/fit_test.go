package eval

import (
	"math"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
)

// descend keeps, axis by axis, the value of least NLL, always counts the
// current value as a candidate, and stops at the first round that
// changes nothing.
func TestDescend(t *testing.T) {
	axes := []Axis{
		{Name: "mu", Values: []float64{5, 10, 20},
			Get: func(p attrib.Params) float64 { return p.Mu }, Set: func(p *attrib.Params, v float64) { p.Mu = v }},
		{Name: "gamma", Values: []float64{0.5, 2},
			Get: func(p attrib.Params) float64 { return p.Gamma }, Set: func(p *attrib.Params, v float64) { p.Gamma = v }},
	}
	// The objective: (mu-10)^2 + (gamma-1)^2, as the NLL of one report
	// whose truth gets exp(-objective).
	calls := 0
	eval := func(ps []attrib.Params) ([][]outcome, error) {
		calls++
		out := make([][]outcome, len(ps))
		for i, p := range ps {
			obj := (p.Mu-10)*(p.Mu-10) + (p.Gamma-1)*(p.Gamma-1)
			out[i] = []outcome{{rank: 1, pTruth: math.Exp(-obj)}}
		}
		return out, nil
	}
	start := attrib.Params{Mu: 20, Gamma: 1} // gamma 1 is not a listed value
	got, steps, err := descend(start, axes, 5, nil, eval)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mu != 10 || got.Gamma != 1 {
		t.Errorf("descend = mu %v, gamma %v; want 10 and the current 1 (better than any listed value)", got.Mu, got.Gamma)
	}
	// Round 1 moves mu; round 2 changes nothing and stops.
	if len(steps) != 4 || calls != 4 {
		t.Errorf("%d steps in %d evaluations, want 4 (two rounds of two axes)", len(steps), calls)
	}
	if math.Abs(steps[len(steps)-1].NLL) > 1e-9 {
		t.Errorf("last step NLL %v, want 0", steps[len(steps)-1].NLL)
	}
}
