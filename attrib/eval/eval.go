// Package eval measures the attribution engine on public data with a
// protocol anyone can reproduce (docs/evaluation.md):
//
//   - Reports: a report is an external reference (by URL, else source name
//     and description) cited by the uses relationships of active
//     intrusion-sets. A report is evaluated when it is cited for exactly one
//     group and gives at least MinItems distinct techniques and software.
//   - Leave one report out: the report's citation is removed from every
//     relationship of the knowledge, and a relationship is dropped when no
//     citation is left; the report's items (ATT&CK ids only, never names or
//     text) are attributed, and the rank of the true group is recorded.
//   - Open world: a seeded HoldOut fraction of the groups is removed from
//     the knowledge entirely (with every relationship to them); their
//     reports should come back as the unknown actor.
//   - Splits: the evaluated reports are split, seeded, into a development
//     half (used to fit Params, see Fit) and a test half.
//   - Figures: top-1, top-5 and MRR of the true group's rank among known
//     actors (reports of known groups); expected calibration error (10
//     equal-width bins) and Brier score of the top probability, where the top
//     hypothesis may be the unknown actor (all reports); AUROC of the
//     unknown probability, held-out groups' reports against known ones.
//     The same figures for a TF-IDF cosine baseline in the same run.
//
// Everything is deterministic for a seed.
package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Config is one evaluation run.
type Config struct {
	Seed     uint64
	HoldOut  float64 // fraction of groups held out entirely; 0 means 0.15
	MinItems int     // minimum items per report; 0 means 3
	// Split selects the reports evaluated: "test" (default), "dev" or "all".
	Split string
	// MaxReports, when positive, evaluates only the first MaxReports
	// reports of the split (in seeded order): a reduced configuration.
	MaxReports int
	Params     attrib.Params // zero means attrib.DefaultParams()
	Links      []attrib.Link
}

// Metrics are the figures of one scorer.
type Metrics struct {
	Known   int     `json:"known_reports"`
	HeldOut int     `json:"held_out_reports"`
	Top1    float64 `json:"top1"`
	Top5    float64 `json:"top5"`
	MRR     float64 `json:"mrr"`
	ECE     float64 `json:"ece"`
	Brier   float64 `json:"brier"`
	AUROC   float64 `json:"auroc_unknown"` // -1 when there are no held-out or no known reports
	NLL     float64 `json:"nll"`           // mean negative log probability of the truth (engine only)
}

// Report is the result of Run.
type Report struct {
	Seed     uint64  `json:"seed"`
	Split    string  `json:"split"`
	Groups   int     `json:"groups"`
	HeldOut  int     `json:"held_out_groups"`
	Reports  int     `json:"reports"` // qualifying reports, all splits
	Engine   Metrics `json:"engine"`
	Baseline Metrics `json:"baseline"`
}

// report is one qualifying report.
type report struct {
	key     string
	group   string   // intrusion-set id
	items   []string // ATT&CK ids (else STIX ids) of techniques and software
	rels    []int    // indices of the relationships citing it
	heldOut bool
}

// outcome is what a scorer said about one report.
type outcome struct {
	heldOut  bool
	rank     int     // rank of the true group among known actors (1-based; 0 for held out)
	pTop     float64 // probability of the top hypothesis
	correct  bool    // the top hypothesis is the truth (unknown for held out)
	pUnknown float64
	pTruth   float64
}

// dataset is the knowledge prepared for leave-one-report-out.
type dataset struct {
	objs    []*stix.Object // held-out groups removed
	reports []report
	groups  int
	held    int
}

func refKey(r stix.ExternalReference) string {
	if r.URL != "" {
		return r.URL
	}
	return r.SourceName + "|" + r.Description
}

func prepare(objs []*stix.Object, links []kb.SameAs, seed uint64, holdOut float64, minItems int) (*dataset, error) {
	byID := make(map[string]*stix.Object, len(objs))
	for _, o := range objs {
		if o != nil {
			byID[o.ID] = o
		}
	}
	// The groups are the intrusion-sets with behaviour of the evaluated
	// catalogue (ATT&CK's): objects converted from a MISP galaxy only name
	// groups, and those folded into a group are part of its hypothesis.
	behaves := map[string]bool{}
	for _, o := range objs {
		if o != nil && o.Type == "relationship" && o.RelationshipType == "uses" && !o.Revoked && !o.Deprecated {
			behaves[o.SourceRef] = true
		}
	}
	for _, o := range objs {
		if o != nil && strings.HasPrefix(kb.Catalogue(o), "misp-galaxy:") {
			behaves[o.ID] = false
		}
	}
	// A group is a cluster: one that holds several behaving objects (a
	// galaxy's copy with relationships of its own) is one group, named by
	// its primary.
	clusters := kb.NewClusters(objs, links, 0)
	var groups []string
	seenGroup := map[string]bool{}
	for _, o := range objs {
		if o != nil && o.Type == "intrusion-set" && !o.Revoked && !o.Deprecated && behaves[o.ID] {
			g := o.ID
			if c := clusters.Of(o.ID); c != nil && c.Primary().Type == "intrusion-set" {
				g = c.ID
			}
			if !seenGroup[g] {
				seenGroup[g] = true
				groups = append(groups, g)
			}
		}
	}
	if len(groups) < 2 {
		return nil, errors.New("evaluate: the knowledge has fewer than two active intrusion-sets")
	}
	sort.Strings(groups)
	rng := rand.New(rand.NewPCG(seed, 0x6375_6c70_7269_74)) // "culprit"
	perm := append([]string(nil), groups...)
	rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	nHeld := int(math.Round(holdOut * float64(len(groups))))
	// Holding a group out removes its whole cluster: a galaxy's copy of a
	// held-out group must not stay behind as a known actor.
	held := map[string]bool{}
	for _, g := range perm[:nHeld] {
		held[g] = true
		if c := clusters.Of(g); c != nil {
			for _, m := range c.Members {
				held[m.ID] = true
			}
		}
	}
	groupOf := map[string]string{} // member of a group's cluster -> the group
	for _, g := range groups {
		groupOf[g] = g
		if c := clusters.Of(g); c != nil {
			for _, m := range c.Members {
				groupOf[m.ID] = g
			}
		}
	}
	itemID := func(id string) string {
		o := byID[id]
		if o == nil || o.Revoked || o.Deprecated {
			return ""
		}
		switch o.Type {
		case "attack-pattern", "malware", "tool":
			if x := o.ExternalID("mitre-attack"); x != "" {
				return x
			}
			return o.ID
		}
		return ""
	}
	// Knowledge without the held-out groups.
	ds := &dataset{groups: len(groups), held: nHeld}
	for _, o := range objs {
		if o == nil {
			continue
		}
		if held[o.ID] || (o.Type == "relationship" && (held[o.SourceRef] || held[o.TargetRef])) {
			continue
		}
		ds.objs = append(ds.objs, o)
	}
	index := map[string]int{} // object id → position in ds.objs
	for i, o := range ds.objs {
		index[o.ID] = i
	}
	type acc struct {
		groups map[string]bool
		items  map[string]bool
	}
	reps := map[string]*acc{}
	var order []string
	for _, o := range objs {
		if o == nil || o.Type != "relationship" || o.RelationshipType != "uses" || o.Revoked || o.Deprecated || groupOf[o.SourceRef] == "" {
			continue
		}
		it := itemID(o.TargetRef)
		if it == "" {
			continue
		}
		for _, r := range o.ExternalReferences {
			if r.SourceName == "mitre-attack" {
				continue
			}
			k := refKey(r)
			a := reps[k]
			if a == nil {
				a = &acc{groups: map[string]bool{}, items: map[string]bool{}}
				reps[k] = a
				order = append(order, k)
			}
			a.groups[groupOf[o.SourceRef]] = true
			a.items[it] = true
		}
	}
	sort.Strings(order)
	citing := map[string][]int{}
	for i, o := range ds.objs {
		if o.Type != "relationship" {
			continue
		}
		for _, r := range o.ExternalReferences {
			k := refKey(r)
			if a := reps[k]; a != nil && len(a.groups) == 1 && len(a.items) >= minItems {
				citing[k] = append(citing[k], i)
			}
		}
	}
	for _, k := range order {
		a := reps[k]
		if len(a.groups) != 1 || len(a.items) < minItems {
			continue
		}
		var g string
		for g = range a.groups {
		}
		items := make([]string, 0, len(a.items))
		for it := range a.items {
			items = append(items, it)
		}
		sort.Strings(items)
		ds.reports = append(ds.reports, report{key: k, group: g, items: items, rels: dedupInts(citing[k]), heldOut: held[g]})
	}
	_ = index
	// Seeded order, then split in halves: even positions dev, odd test.
	rng.Shuffle(len(ds.reports), func(i, j int) { ds.reports[i], ds.reports[j] = ds.reports[j], ds.reports[i] })
	return ds, nil
}

func dedupInts(xs []int) []int {
	sort.Ints(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// split returns the reports of the named split.
func (ds *dataset) split(name string, maxReports int) ([]report, error) {
	var out []report
	for i, r := range ds.reports {
		switch name {
		case "", "test":
			if i%2 == 1 {
				out = append(out, r)
			}
		case "dev":
			if i%2 == 0 {
				out = append(out, r)
			}
		case "all":
			out = append(out, r)
		default:
			return nil, fmt.Errorf("evaluate: unknown split %q (want test, dev or all)", name)
		}
	}
	if maxReports > 0 && len(out) > maxReports {
		out = out[:maxReports]
	}
	return out, nil
}

// without returns the knowledge objects with the report's citation removed.
func (ds *dataset) without(r report) []*stix.Object {
	objs := make([]*stix.Object, len(ds.objs))
	copy(objs, ds.objs)
	for _, i := range r.rels {
		o := *objs[i]
		var keep []stix.ExternalReference
		cited := 0
		for _, ref := range o.ExternalReferences {
			if refKey(ref) == r.key {
				continue
			}
			keep = append(keep, ref)
			if ref.SourceName != "mitre-attack" {
				cited++
			}
		}
		if cited == 0 {
			objs[i] = nil
			continue
		}
		o.ExternalReferences = keep
		objs[i] = &o
	}
	return objs
}

// Run evaluates the engine and the baseline on objs (an ATT&CK bundle's
// objects). It stops early with ctx's error when ctx is cancelled.
func Run(ctx context.Context, objs []*stix.Object, cfg Config) (*Report, error) {
	cfg = defaults(cfg)
	ds, err := prepare(objs, cfg.Links, cfg.Seed, cfg.HoldOut, cfg.MinItems)
	if err != nil {
		return nil, err
	}
	reps, err := ds.split(cfg.Split, cfg.MaxReports)
	if err != nil {
		return nil, err
	}
	var eng, base []outcome
	for _, r := range reps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := attrib.NewKnowledge(ds.without(r), cfg.Links, attrib.KnowledgeOptions{})
		o, err := engineOutcome(k, r, cfg.Params)
		if err != nil {
			return nil, err
		}
		eng = append(eng, o)
		base = append(base, baselineOutcome(k, r))
	}
	rep := &Report{Seed: cfg.Seed, Split: firstNonEmpty(cfg.Split, "test"), Groups: ds.groups, HeldOut: ds.held,
		Reports: len(ds.reports), Engine: metrics(eng), Baseline: metrics(base)}
	rep.Baseline.NLL = 0
	return rep, nil
}

func defaults(cfg Config) Config {
	if cfg.HoldOut == 0 {
		cfg.HoldOut = 0.15
	}
	if cfg.MinItems == 0 {
		cfg.MinItems = 3
	}
	if cfg.Params.Temperature <= 0 {
		cfg.Params = attrib.DefaultParams()
	}
	return cfg
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func reportCase(r report) *casefile.Case {
	c := &casefile.Case{Name: r.key}
	for _, it := range r.items {
		if strings.HasPrefix(it, "T") || strings.HasPrefix(it, "attack-pattern--") {
			c.Techniques = append(c.Techniques, casefile.Item{Ref: it})
		} else {
			c.Software = append(c.Software, casefile.Item{Ref: it})
		}
	}
	return c
}

func engineOutcome(k *attrib.Knowledge, r report, p attrib.Params) (outcome, error) {
	res, err := k.Attribute(reportCase(r), attrib.Options{Params: p, Explain: -1, Next: -1})
	if err != nil {
		return outcome{}, fmt.Errorf("evaluate report %s: %w", r.key, err)
	}
	o := outcome{heldOut: r.heldOut, pUnknown: res.Unknown}
	truth := ""
	if !r.heldOut {
		if a := k.Actor(r.group); a != nil {
			truth = a.ID
		}
	}
	o.pTop = res.Unknown
	if len(res.Hypotheses) > 0 && res.Hypotheses[0].Probability > res.Unknown {
		o.pTop = res.Hypotheses[0].Probability
	}
	if r.heldOut {
		o.correct = res.Top == "unknown"
		o.pTruth = res.Unknown
		return o, nil
	}
	o.correct = res.Top == truth
	for i, h := range res.Hypotheses {
		if h.ID == truth {
			o.rank = i + 1
			o.pTruth = h.Probability
			break
		}
	}
	if o.rank == 0 {
		o.rank = len(res.Hypotheses) + 1
	}
	return o, nil
}

func metrics(os []outcome) Metrics {
	var m Metrics
	const bins = 10
	var binN [bins]int
	var binConf, binAcc [bins]float64
	var pos, neg []float64
	for _, o := range os {
		if o.heldOut {
			m.HeldOut++
			pos = append(pos, o.pUnknown)
		} else {
			m.Known++
			neg = append(neg, o.pUnknown)
			if o.rank == 1 {
				m.Top1++
			}
			if o.rank >= 1 && o.rank <= 5 {
				m.Top5++
			}
			if o.rank > 0 {
				m.MRR += 1 / float64(o.rank)
			}
		}
		c := 0.0
		if o.correct {
			c = 1
		}
		m.Brier += (o.pTop - c) * (o.pTop - c)
		b := min(int(o.pTop*bins), bins-1)
		binN[b]++
		binConf[b] += o.pTop
		binAcc[b] += c
		m.NLL -= math.Log(math.Max(o.pTruth, 1e-12))
	}
	if m.Known > 0 {
		m.Top1 /= float64(m.Known)
		m.Top5 /= float64(m.Known)
		m.MRR /= float64(m.Known)
	}
	if n := len(os); n > 0 {
		m.Brier /= float64(n)
		m.NLL /= float64(n)
		for b := range bins {
			if binN[b] > 0 {
				m.ECE += math.Abs(binConf[b]-binAcc[b]) / float64(n)
			}
		}
	}
	m.AUROC = auroc(pos, neg)
	return m
}

// auroc is the probability that a random positive scores above a random
// negative (ties count half), or -1 when either set is empty.
func auroc(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return -1
	}
	var s float64
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				s++
			case p == n:
				s += 0.5
			}
		}
	}
	return s / float64(len(pos)*len(neg))
}
