package eval

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/stix"
)

// Axis is one free parameter and the values Fit tries for it.
type Axis struct {
	Name   string
	Values []float64
	Set    func(p *attrib.Params, v float64)
	Get    func(p attrib.Params) float64
}

// Axes returns the parameters Fit searches and their candidate values.
func Axes() []Axis {
	return []Axis{
		{"mu", []float64{2, 5, 10, 20, 40, 80, 160}, func(p *attrib.Params, v float64) { p.Mu = v }, func(p attrib.Params) float64 { return p.Mu }},
		{"mu_software", []float64{0.25, 0.5, 1, 2, 4, 8, 16}, func(p *attrib.Params, v float64) { p.MuSoftware = v }, func(p attrib.Params) float64 { return p.MuSoftware }},
		{"gamma", []float64{0.05, 0.1, 0.25, 0.5, 1, 2}, func(p *attrib.Params, v float64) { p.Gamma = v }, func(p attrib.Params) float64 { return p.Gamma }},
		{"parent_weight", []float64{0, 0.1, 0.2, 0.3, 0.5, 0.8}, func(p *attrib.Params, v float64) { p.ParentWeight = v }, func(p attrib.Params) float64 { return p.ParentWeight }},
		{"sibling_weight", []float64{0, 0.05, 0.1, 0.2, 0.4}, func(p *attrib.Params, v float64) { p.SiblingWeight = v }, func(p attrib.Params) float64 { return p.SiblingWeight }},
		{"child_weight", []float64{0, 0.05, 0.1, 0.2, 0.4}, func(p *attrib.Params, v float64) { p.ChildWeight = v }, func(p attrib.Params) float64 { return p.ChildWeight }},
		{"neighbours", []float64{0, 0.1, 0.2, 0.3, 0.5}, func(p *attrib.Params, v float64) { p.Neighbours = v }, func(p attrib.Params) float64 { return p.Neighbours }},
		{"floor", []float64{0, 0.02, 0.05, 0.1, 0.2}, func(p *attrib.Params, v float64) { p.Floor = v }, func(p attrib.Params) float64 { return p.Floor }},
		{"size_exponent", []float64{0.25, 0.5, 0.75, 1}, func(p *attrib.Params, v float64) { p.SizeExponent = v }, func(p attrib.Params) float64 { return p.SizeExponent }},
		{"alpha", []float64{0, 0.2, 0.35, 0.5, 0.65, 0.8, 1}, func(p *attrib.Params, v float64) { p.Alpha = v }, func(p attrib.Params) float64 { return p.Alpha }},
		{"software_weight", []float64{0.25, 0.5, 0.75, 1, 1.5, 2, 3}, func(p *attrib.Params, v float64) { p.SoftwareWeight = v }, func(p attrib.Params) float64 { return p.SoftwareWeight }},
		{"unknown_prior", []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5}, func(p *attrib.Params, v float64) { p.UnknownPrior = v }, func(p attrib.Params) float64 { return p.UnknownPrior }},
		{"activity_prior", []float64{0, 0.25, 0.5, 0.75, 1, 1.5}, func(p *attrib.Params, v float64) { p.ActivityPrior = v }, func(p attrib.Params) float64 { return p.ActivityPrior }},
		{"novel_technique", []float64{0, 0.02, 0.05, 0.1, 0.2}, func(p *attrib.Params, v float64) { p.NovelTechnique = v }, func(p attrib.Params) float64 { return p.NovelTechnique }},
		{"novel_software", []float64{0, 0.1, 0.2, 0.3, 0.5, 0.7}, func(p *attrib.Params, v float64) { p.NovelSoftware = v }, func(p attrib.Params) float64 { return p.NovelSoftware }},
		{"temperature", []float64{0.3, 0.5, 0.7, 0.85, 1, 1.2, 1.5, 2, 3}, func(p *attrib.Params, v float64) { p.Temperature = v }, func(p attrib.Params) float64 { return p.Temperature }},
	}
}

// Step is one accepted change of Fit.
type Step struct {
	Round int
	Axis  string
	Value float64
	NLL   float64 // mean negative log probability of the truth on the dev split
	Top1  float64
}

// Fit searches the parameters by coordinate descent on the development
// split, minimising the mean negative log probability of the true
// hypothesis (a proper scoring rule, so it rewards ranking and calibration
// at once), starting from cfg.Params. Each round visits every axis in turn;
// the knowledge of each report is rebuilt once per axis.
func Fit(ctx context.Context, objs []*stix.Object, cfg Config, rounds int, progress func(Step)) (attrib.Params, []Step, error) {
	cfg = defaults(cfg)
	ds, err := prepare(objs, cfg.Links, cfg.Seed, cfg.HoldOut, cfg.MinItems)
	if err != nil {
		return attrib.Params{}, nil, err
	}
	reps, err := ds.split("dev", cfg.MaxReports)
	if err != nil {
		return attrib.Params{}, nil, err
	}
	return descend(cfg.Params, Axes(), rounds, progress, func(ps []attrib.Params) ([][]outcome, error) {
		return evalMany(ctx, ds, reps, cfg.Links, ps)
	})
}

// descend is the coordinate descent of Fit and FitTemporal: from start,
// each round visits every axis in turn, evaluates all its values at once
// with eval (one outcome list per parameter set, in order) and keeps the
// value of least NLL, until a round changes nothing or rounds are done.
func descend(start attrib.Params, axes []Axis, rounds int, progress func(Step), eval func([]attrib.Params) ([][]outcome, error)) (attrib.Params, []Step, error) {
	cur := start
	var steps []Step
	for round := 1; round <= rounds; round++ {
		changed := false
		for _, ax := range axes {
			// The current value is always a candidate, so a step never worsens
			// the objective.
			if v := ax.Get(cur); !slices.Contains(ax.Values, v) {
				ax.Values = append(slices.Clone(ax.Values), v)
			}
			ps := make([]attrib.Params, len(ax.Values))
			for i, v := range ax.Values {
				ps[i] = cur
				ax.Set(&ps[i], v)
			}
			outs, err := eval(ps)
			if err != nil {
				return cur, steps, err
			}
			best, bestNLL, bestTop1 := -1, math.Inf(1), 0.0
			for i := range ax.Values {
				m := metrics(outs[i])
				if m.NLL < bestNLL-1e-9 {
					best, bestNLL, bestTop1 = i, m.NLL, m.Top1
				}
			}
			before := cur
			ax.Set(&cur, ax.Values[best])
			if before != cur {
				changed = true
			}
			s := Step{Round: round, Axis: ax.Name, Value: ax.Values[best], NLL: bestNLL, Top1: bestTop1}
			steps = append(steps, s)
			if progress != nil {
				progress(s)
			}
		}
		if !changed {
			break
		}
	}
	return cur, steps, nil
}

// String formats a step for logs.
func (s Step) String() string {
	return fmt.Sprintf("round %d %s=%g nll=%.4f top1=%.3f", s.Round, s.Axis, s.Value, s.NLL, s.Top1)
}

// evalMany attributes every report with each parameter set, building each
// report's knowledge once.
func evalMany(ctx context.Context, ds *dataset, reps []report, links []attrib.Link, ps []attrib.Params) ([][]outcome, error) {
	outs := make([][]outcome, len(ps))
	for _, r := range reps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := attrib.NewKnowledge(ds.without(r), links, attrib.KnowledgeOptions{})
		for i, p := range ps {
			o, err := engineOutcome(k, r, p)
			if err != nil {
				return nil, err
			}
			outs[i] = append(outs[i], o)
		}
	}
	return outs, nil
}
