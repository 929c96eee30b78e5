package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/stix"
)

// TemporalConfig is one run of the temporal protocol: the knowledge is an
// earlier release (Old), the queries are the reports first cited in a later
// one (Later), in the order they were published.
type TemporalConfig struct {
	// Learn confirms each report with its true group once it has been
	// attributed (prequential evaluation): it becomes an incident
	// attributed to the group, with uses relationships to its items, in
	// the knowledge the later reports are attributed with; a group unknown
	// to the knowledge is created as a new intrusion-set.
	Learn bool
	// Batch is the number of reports attributed between two rebuilds of
	// the knowledge when learning; 0 means 1 (rebuild after every report).
	Batch int
	// LearnSmall, when learning, also confirms the reports of one group
	// with fewer than MinItems items (not queries), in publication order.
	LearnSmall bool
	// Confidence of a confirmation's attributed-to relationship; 0 means 90.
	Confidence int
	MinItems   int // minimum items per report; 0 means 3
	// MaxReports, when positive, evaluates only the first MaxReports
	// reports in publication order: a reduced configuration.
	MaxReports int
	Params     attrib.Params           // zero means attrib.DefaultParams()
	Knowledge  attrib.KnowledgeOptions // how the knowledge is built
}

// TemporalReport holds the figures of a temporal run.
type TemporalReport struct {
	Protocol string `json:"protocol"` // "temporal"
	Learn    bool   `json:"learn"`
	// Candidates are the references cited by intrusion-set uses
	// relationships of the later knowledge and by no relationship of the
	// earlier one.
	Candidates int `json:"candidates"`
	// Duplicates counts, by rule, the candidates that are an earlier
	// document under a new reference (dropped).
	Duplicates map[string]int `json:"duplicates"`
	Ambiguous  int            `json:"ambiguous"`  // cited for more than one group (dropped)
	TooSmall   int            `json:"too_small"`  // fewer than MinItems items (dropped)
	Reports    int            `json:"reports"`    // evaluated
	Undated    int            `json:"undated"`    // ordered by the date ATT&CK cited them first
	NewGroups  int            `json:"new_groups"` // groups of the reports absent from the earlier knowledge
	First      string         `json:"first"`      // publication dates of the first and last report
	Last       string         `json:"last"`
	Rebuilds   int            `json:"rebuilds"` // knowledge builds
	// LearnedSmall counts the reports too small to be queries that were
	// confirmed (LearnSmall).
	LearnedSmall int           `json:"learned_small,omitempty"`
	Engine       Metrics       `json:"engine"`
	Baseline     Metrics       `json:"baseline"`
	Coverage     []CoverageBin `json:"coverage"`
}

// CoverageBin counts the reports whose items the true group's profile (in
// the knowledge they were attributed with) covers to a given share, with
// each scorer's top-1 and top-5 hits, so that a change can be seen where it
// helps.
type CoverageBin struct {
	Bin          string `json:"bin"`
	Reports      int    `json:"reports"`
	EngineTop1   int    `json:"engine_top1"`
	EngineTop5   int    `json:"engine_top5"`
	BaselineTop1 int    `json:"baseline_top1"`
	BaselineTop5 int    `json:"baseline_top5"`
}

var coverageBins = []string{"none", "under 1/3", "1/3 to 2/3", "2/3 or more"}

// query is one later report: its items and the group it is about.
type query struct {
	report
	date     time.Time
	newGroup *stix.Object // the later knowledge's intrusion-set
	oldGroup string       // the earlier knowledge's id of the group, "" when absent
}

// temporalQueries selects the reports of later that are new to old: the
// queries, and the reports of one group with too few items to be queries
// (which learning may confirm all the same), each in publication order.
func temporalQueries(old, later []*stix.Object, minItems int, rep *TemporalReport) (qs, small []query, err error) {
	oldByID := map[string]*stix.Object{}
	oldByExt := map[string]string{}
	for _, o := range old {
		if o == nil || o.Type == "relationship" {
			continue
		}
		oldByID[o.ID] = o
		if o.Type == "intrusion-set" && active(o) {
			if x := o.ExternalID("mitre-attack"); x != "" {
				oldByExt[x] = o.ID
			}
		}
	}
	newByID := map[string]*stix.Object{}
	for _, o := range later {
		if o != nil && o.Type != "relationship" {
			newByID[o.ID] = o
		}
	}
	itemID := func(id string) string {
		o := newByID[id]
		if o == nil || !active(o) {
			return ""
		}
		switch o.Type {
		case "attack-pattern", "malware", "tool":
			return o.ExternalID("mitre-attack") // ids only: no ATT&CK id, no item
		}
		return ""
	}
	olds := newOldRefs(old)
	type acc struct {
		ref    stix.ExternalReference
		groups map[string]bool
		items  map[string]bool
		first  time.Time // earliest created of the relationships citing it
	}
	cands := map[string]*acc{}
	var order []string
	rule := map[string]string{}
	for _, o := range later {
		if o == nil || o.Type != "relationship" || o.RelationshipType != "uses" || !active(o) {
			continue
		}
		g := newByID[o.SourceRef]
		if g == nil || g.Type != "intrusion-set" || !active(g) {
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
			if _, seen := rule[k]; !seen {
				rule[k] = olds.match(r)
			}
			if rule[k] != "" {
				continue
			}
			a := cands[k]
			if a == nil {
				a = &acc{ref: r, groups: map[string]bool{}, items: map[string]bool{}}
				cands[k] = a
				order = append(order, k)
			}
			a.groups[g.ID] = true
			a.items[it] = true
			if a.first.IsZero() || o.Created.Before(a.first) {
				a.first = o.Created
			}
		}
	}
	rep.Duplicates = map[string]int{}
	for k, r := range rule {
		if r != "" && r != "same" {
			rep.Duplicates[r]++
			_ = k
		}
	}
	for _, r := range rule {
		if r != "same" {
			rep.Candidates++
		}
	}
	sort.Strings(order)

	for _, k := range order {
		a := cands[k]
		if len(a.groups) != 1 {
			rep.Ambiguous++
			continue
		}
		var gid string
		for gid = range a.groups {
		}
		g := newByID[gid]
		q := query{newGroup: g}
		if o := oldByID[gid]; o != nil && o.Type == "intrusion-set" && active(o) {
			q.oldGroup = gid
		} else if id := oldByExt[g.ExternalID("mitre-attack")]; id != "" && g.ExternalID("mitre-attack") != "" {
			q.oldGroup = id
		}
		q.date = attrib.ParseReference(a.ref.Description).When()
		undated := q.date.IsZero()
		if undated {
			q.date = a.first.UTC().Truncate(24 * time.Hour)
		}
		items := make([]string, 0, len(a.items))
		for it := range a.items {
			items = append(items, it)
		}
		sort.Strings(items)
		q.key, q.items = k, items
		if len(a.items) < minItems {
			rep.TooSmall++
			small = append(small, q)
			continue
		}
		if undated {
			rep.Undated++
		}
		qs = append(qs, q)
	}
	for _, l := range [][]query{qs, small} {
		sort.SliceStable(l, func(i, j int) bool {
			if !l[i].date.Equal(l[j].date) {
				return l[i].date.Before(l[j].date)
			}
			return l[i].key < l[j].key
		})
	}
	if len(qs) == 0 {
		return nil, nil, errors.New("temporal evaluation: no report of the later knowledge is new to the earlier one")
	}
	return qs, small, nil
}

func active(o *stix.Object) bool { return !o.Revoked && !o.Deprecated }

// RunTemporal evaluates the engine and the baseline on the reports of later
// that old does not know, in publication order (docs/evaluation.md,
// "Temporal protocol"). It stops with ctx's error when ctx is cancelled.
func RunTemporal(ctx context.Context, old, later []*stix.Object, cfg TemporalConfig) (*TemporalReport, error) {
	cfg = temporalDefaults(cfg)
	rep, _, err := runTemporal(ctx, old, later, cfg, []attrib.Params{cfg.Params})
	return rep, err
}

func temporalDefaults(cfg TemporalConfig) TemporalConfig {
	if cfg.MinItems == 0 {
		cfg.MinItems = 3
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1
	}
	if cfg.Confidence <= 0 {
		cfg.Confidence = 90
	}
	if cfg.Params.Temperature <= 0 {
		cfg.Params = attrib.DefaultParams()
	}
	return cfg
}

// runTemporal attributes every query with each of ps against the same
// sequence of knowledge builds (learning confirms the truth, so it does not
// depend on the parameters). The report's figures are those of ps[0]; the
// outcomes of every parameter set are returned too.
func runTemporal(ctx context.Context, old, later []*stix.Object, cfg TemporalConfig, ps []attrib.Params) (*TemporalReport, [][]outcome, error) {
	rep := &TemporalReport{Protocol: "temporal", Learn: cfg.Learn}
	qs, small, err := temporalQueries(old, later, cfg.MinItems, rep)
	if err != nil {
		return nil, nil, err
	}
	if cfg.MaxReports > 0 && len(qs) > cfg.MaxReports {
		qs = qs[:cfg.MaxReports]
	}
	rep.Reports = len(qs)
	newGroups := map[string]bool{}
	for _, q := range qs {
		if q.oldGroup == "" {
			newGroups[q.newGroup.ID] = true
		}
	}
	rep.NewGroups = len(newGroups)
	rep.First, rep.Last = qs[0].date.Format("2006-01-02"), qs[len(qs)-1].date.Format("2006-01-02")

	l := newLearner(old, cfg.Confidence)
	k := attrib.NewKnowledge(old, nil, cfg.Knowledge)
	rep.Rebuilds = 1
	bins := make([]CoverageBin, len(coverageBins)+1)
	for i, b := range coverageBins {
		bins[i].Bin = b
	}
	bins[len(coverageBins)].Bin = "group unknown"
	outs := make([][]outcome, len(ps))
	var base []outcome
	pending, nextSmall := 0, 0
	for _, q := range qs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		// Reports too small to be queries, published before this one, are
		// confirmed too when asked: an analyst closes small cases as well.
		for cfg.Learn && cfg.LearnSmall && nextSmall < len(small) && small[nextSmall].date.Before(q.date) {
			if err := l.confirm(small[nextSmall]); err != nil {
				return nil, nil, err
			}
			nextSmall++
			pending++
			rep.LearnedSmall++
		}
		if cfg.Learn && pending >= cfg.Batch {
			k = attrib.NewKnowledge(l.objects(), nil, cfg.Knowledge)
			rep.Rebuilds++
			pending = 0
		}
		r := q.report
		r.group = l.truth(q)
		r.heldOut = r.group == "" || k.Actor(r.group) == nil
		for i, p := range ps {
			o, err := engineOutcome(k, r, p)
			if err != nil {
				return nil, nil, err
			}
			outs[i] = append(outs[i], o)
		}
		e := outs[0][len(outs[0])-1]
		b := baselineOutcome(k, r)
		base = append(base, b)
		bin := &bins[len(coverageBins)]
		if !r.heldOut {
			bin = &bins[coverageBin(k, r)]
		}
		bin.Reports++
		if e.rank == 1 {
			bin.EngineTop1++
		}
		if e.rank >= 1 && e.rank <= 5 {
			bin.EngineTop5++
		}
		if b.rank == 1 {
			bin.BaselineTop1++
		}
		if b.rank >= 1 && b.rank <= 5 {
			bin.BaselineTop5++
		}
		if cfg.Learn {
			if err := l.confirm(q); err != nil {
				return nil, nil, err
			}
			pending++
		}
	}
	rep.Engine, rep.Baseline = metrics(outs[0]), metrics(base)
	rep.Baseline.NLL = 0
	rep.Coverage = bins
	return rep, outs, nil
}

// FitTemporal searches the engine's parameters by coordinate descent on a
// temporal split (only ever the development split: 9.0 → 12.1),
// minimising the mean negative log probability of the truth, like Fit.
// Each axis costs one pass over the reports, all its values attributed
// against the same knowledge builds.
func FitTemporal(ctx context.Context, old, later []*stix.Object, cfg TemporalConfig, rounds int, progress func(Step)) (attrib.Params, []Step, error) {
	return fitTemporal(ctx, old, later, cfg, Axes(), rounds, progress)
}

func fitTemporal(ctx context.Context, old, later []*stix.Object, cfg TemporalConfig, axes []Axis, rounds int, progress func(Step)) (attrib.Params, []Step, error) {
	cfg = temporalDefaults(cfg)
	return descend(cfg.Params, axes, rounds, progress, func(ps []attrib.Params) ([][]outcome, error) {
		_, outs, err := runTemporal(ctx, old, later, cfg, ps)
		return outs, err
	})
}

// coverageBin is the bin of the share of r's items in the true group's
// profile.
func coverageBin(k *attrib.Knowledge, r report) int {
	a := k.Actor(r.group)
	if a == nil {
		return 0
	}
	uses := map[string]bool{}
	for _, u := range k.Uses(a) {
		uses[u] = true
	}
	n := 0
	for _, it := range r.items {
		if uses[it] {
			n++
		}
	}
	share := float64(n) / float64(len(r.items))
	switch {
	case n == 0:
		return 0
	case share < 1.0/3:
		return 1
	case share < 2.0/3:
		return 2
	}
	return 3
}

// learner holds the earlier knowledge and what confirmations added to it.
type learner struct {
	old     []*stix.Object
	added   []*stix.Object
	conf    int
	byExt   map[string]string // ATT&CK id of a technique or software → STIX id in old
	created map[string]string // later group id → intrusion-set created for it
}

func newLearner(old []*stix.Object, conf int) *learner {
	l := &learner{old: old, conf: conf, byExt: map[string]string{}, created: map[string]string{}}
	for _, o := range old {
		if o == nil || !active(o) {
			continue
		}
		switch o.Type {
		case "attack-pattern", "malware", "tool":
			if x := o.ExternalID("mitre-attack"); x != "" {
				l.byExt[x] = o.ID
			}
		}
	}
	return l
}

func (l *learner) objects() []*stix.Object {
	objs := make([]*stix.Object, 0, len(l.old)+len(l.added))
	return append(append(objs, l.old...), l.added...)
}

// truth is the id of q's group in the knowledge: the earlier knowledge's,
// else the intrusion-set a confirmation created, else "".
func (l *learner) truth(q query) string {
	if q.oldGroup != "" {
		return q.oldGroup
	}
	return l.created[q.newGroup.ID]
}

// confirm adds q to the knowledge as an analyst's confirmed incident (see
// Incident).
func (l *learner) confirm(q query) error {
	actor := l.truth(q)
	var objs []*stix.Object
	if actor == "" {
		actor = stix.DeterministicID("intrusion-set", "culprit-eval-learned|"+q.newGroup.ID)
		l.created[q.newGroup.ID] = actor
		is, err := newObject(map[string]any{
			"type": "intrusion-set", "id": actor, "name": q.newGroup.Name,
			"created": q.date, "modified": q.date,
			"description": "Created when report " + q.key + " was confirmed: a group not in the knowledge base.",
		})
		if err != nil {
			return err
		}
		objs = append(objs, is)
	}
	var refs []string
	for _, it := range q.items {
		if id := l.byExt[it]; id != "" {
			refs = append(refs, id)
		}
	}
	inc, err := Incident(q.key, q.date, actor, l.conf, refs)
	if err != nil {
		return err
	}
	l.added = append(append(l.added, objs...), inc...)
	return nil
}

// Incident returns the STIX 2.1 objects of a confirmed report: an incident
// (named after the report), an attributed-to relationship to actor with
// the given confidence, and a uses relationship to each of items (STIX ids
// of techniques and software), all dated at, citing the report. Ids are
// deterministic in the report and the targets.
func Incident(reportKey string, at time.Time, actor string, confidence int, items []string) ([]*stix.Object, error) {
	inc := stix.DeterministicID("incident", reportKey)
	ref := []map[string]any{{"source_name": "confirmed report", "url": reportKey}}
	if !strings.Contains(reportKey, "://") {
		ref[0] = map[string]any{"source_name": "confirmed report", "description": reportKey, "url": "urn:culprit:report:" + inc}
	}
	o, err := newObject(map[string]any{"type": "incident", "id": inc, "name": "Report " + reportKey, "created": at, "modified": at, "external_references": ref})
	if err != nil {
		return nil, err
	}
	out := []*stix.Object{o}
	rel := func(typ, target string, conf int) error {
		m := map[string]any{"type": "relationship", "id": stix.DeterministicID("relationship", typ+"|"+inc+"|"+target),
			"relationship_type": typ, "source_ref": inc, "target_ref": target, "created": at, "modified": at, "external_references": ref}
		if conf > 0 {
			m["confidence"] = conf
		}
		r, err := newObject(m)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}
	if err := rel("attributed-to", actor, confidence); err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := rel("uses", it, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func newObject(m map[string]any) (*stix.Object, error) {
	m["spec_version"] = "2.1"
	for _, f := range []string{"created", "modified"} {
		if t, ok := m[f].(time.Time); ok {
			m[f] = t.UTC().Format("2006-01-02T15:04:05.000Z")
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %v: %w", m["type"], err)
	}
	o, err := stix.ParseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("build %v: %w", m["type"], err)
	}
	return o, nil
}
