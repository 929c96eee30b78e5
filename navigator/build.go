package navigator

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Tech is one Enterprise ATT&CK technique of the knowledge base.
type Tech struct {
	ID      string   `json:"id"` // ATT&CK id, T1059.001
	STIXID  string   `json:"stix_id"`
	Name    string   `json:"name"`
	Tactics []string `json:"tactics"` // phase names, e.g. "lateral-movement"
}

// Catalogue is the Enterprise ATT&CK techniques of a knowledge base, the
// only techniques a layer may name.
type Catalogue struct {
	byID   map[string]*Tech // ATT&CK id
	byRef  map[string]*Tech // STIX id, normalised name
	sorted []*Tech
}

// LoadCatalogue reads the active attack-patterns of r that carry an ATT&CK
// id and an Enterprise ATT&CK tactic.
func LoadCatalogue(ctx context.Context, r kb.Reader) (*Catalogue, error) {
	c := &Catalogue{byID: map[string]*Tech{}, byRef: map[string]*Tech{}}
	err := r.Objects(ctx, kb.ObjectQuery{Types: []string{"attack-pattern"}}, func(o *stix.Object) error {
		id := o.ExternalID("mitre-attack")
		if id == "" {
			return nil
		}
		t := &Tech{ID: id, STIXID: o.ID, Name: o.Name}
		for _, p := range o.KillChainPhases {
			if p.KillChainName == "mitre-attack" && !slices.Contains(t.Tactics, p.PhaseName) {
				t.Tactics = append(t.Tactics, p.PhaseName)
			}
		}
		if len(t.Tactics) == 0 {
			return nil // mobile or ICS ATT&CK, or no tactic: not in the enterprise matrix
		}
		c.byID[id] = t
		c.byRef[o.ID] = t
		if n := kb.Normalize(o.Name); n != "" {
			if _, taken := c.byRef[n]; !taken {
				c.byRef[n] = t
			}
		}
		c.sorted = append(c.sorted, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the ATT&CK techniques: %w", err)
	}
	sort.Slice(c.sorted, func(i, j int) bool { return c.sorted[i].ID < c.sorted[j].ID })
	return c, nil
}

// Len is the number of techniques.
func (c *Catalogue) Len() int { return len(c.sorted) }

// Techniques lists the techniques by ATT&CK id.
func (c *Catalogue) Techniques() []*Tech { return c.sorted }

// Resolve finds a technique by ATT&CK id (any case), STIX id or name, as a
// case file names it.
func (c *Catalogue) Resolve(ref string) (*Tech, bool) {
	ref = strings.TrimSpace(ref)
	if t, ok := c.byID[strings.ToUpper(ref)]; ok {
		return t, true
	}
	if t, ok := c.byRef[ref]; ok {
		return t, true
	}
	t, ok := c.byRef[kb.Normalize(ref)]
	return t, ok
}

// Use is a technique an actor uses, with what says so: the names of the
// actor's objects (one per source) and of the confirmed incidents
// attributed to it whose uses relationships name the technique.
type Use struct {
	Tech *Tech    `json:"technique"`
	Via  []string `json:"via"`
}

// Uses returns the techniques the actor of card uses: through uses
// relationships of the card's members, and of incidents and campaigns
// attributed to them, read through r, by ATT&CK id.
func Uses(ctx context.Context, r kb.Reader, cat *Catalogue, card *kb.Card) (map[string]*Use, error) {
	names := map[string]string{}
	var ids []string
	for _, m := range card.Members {
		ids = append(ids, m.ID)
		names[m.ID] = m.Name
	}
	// Incidents (confirmed cases) and campaigns attributed to the actor
	// carry its behaviour too.
	err := r.Relationships(ctx, kb.RelationshipQuery{Types: []string{"attributed-to"}, TargetRefs: ids}, func(rel *stix.Object) error {
		if strings.HasPrefix(rel.SourceRef, "incident--") || strings.HasPrefix(rel.SourceRef, "campaign--") {
			if _, ok := names[rel.SourceRef]; !ok {
				names[rel.SourceRef] = ""
				ids = append(ids, rel.SourceRef)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("actor %s: %w", card.Name, err)
	}
	out := map[string]*Use{}
	err = r.Relationships(ctx, kb.RelationshipQuery{Types: []string{"uses"}, SourceRefs: ids}, func(rel *stix.Object) error {
		t, ok := cat.byRef[rel.TargetRef]
		if !ok || !strings.HasPrefix(rel.TargetRef, "attack-pattern--") {
			return nil
		}
		u := out[t.ID]
		if u == nil {
			u = &Use{Tech: t}
			out[t.ID] = u
		}
		u.Via = append(u.Via, rel.SourceRef)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("actor %s: %w", card.Name, err)
	}
	for _, u := range out {
		for i, id := range u.Via {
			if names[id] == "" {
				if o, err := r.Object(ctx, id); err == nil {
					names[id] = firstNonEmpty(o.Name, id)
				} else {
					names[id] = id
				}
			}
			u.Via[i] = names[id]
		}
		slices.Sort(u.Via)
		u.Via = slices.Compact(u.Via)
	}
	return out, nil
}

// Actor is the layer of one actor: each technique it uses, scored by the
// number of its sources (member objects, campaigns, confirmed incidents)
// that report it.
func Actor(ctx context.Context, r kb.Reader, cat *Catalogue, card *kb.Card) (*Layer, error) {
	uses, err := Uses(ctx, r, cat, card)
	if err != nil {
		return nil, err
	}
	l := newLayer(actorName(card), fmt.Sprintf("Techniques of %s in the knowledge base, scored by the number of its sources (objects, campaigns, confirmed incidents) that report each.", actorName(card)), "")
	maxScore := 1.0
	for _, id := range sortedKeys(uses) {
		u := uses[id]
		s := float64(len(u.Via))
		maxScore = max(maxScore, s)
		l.Techniques = append(l.Techniques, Technique{TechniqueID: id, Score: s, Enabled: true,
			Comment: "reported by " + strings.Join(u.Via, ", ")})
	}
	l.Gradient = Gradient{Colors: []string{"#ffe5e5", "#ff6666"}, MinValue: 0, MaxValue: maxScore}
	l.Legend = []LegendItem{{Label: "reported by one source", Color: "#ffe5e5"}, {Label: fmt.Sprintf("reported by %.0f sources", maxScore), Color: "#ff6666"}}
	l.Metadata = append(l.Metadata, actorMeta(card)...)
	return l, nil
}

// maskColors are the colours of a comparison by which of the compared
// actors use a technique (bit i: actor i): one per actor, one per pair,
// red for all three.
var maskColors = [8]string{1: "#66b3ff", 2: "#ffb366", 4: "#8ec843", 3: "#c266ff", 5: "#33cccc", 6: "#b38f00", 7: "#ff6666"}

// MaxCompare is the most actors one comparison layer shows.
const MaxCompare = 3

// Compare is the layer of two or three actors on one matrix: a technique
// is scored by how many of them use it, coloured by which (one colour per
// actor, one per pair, red for all three), with a legend
// and, per technique, which actors use it.
func Compare(ctx context.Context, r kb.Reader, cat *Catalogue, cards []*kb.Card) (*Layer, error) {
	if len(cards) < 2 || len(cards) > MaxCompare {
		return nil, errs.E(errs.Invalid, "compare two or three actors, not %d", len(cards))
	}
	var names []string
	all := map[string][]int{}
	for i, c := range cards {
		for j := range i {
			if cards[j].ID == c.ID {
				return nil, errs.E(errs.Invalid, "%s is compared with itself (%s)", actorName(c), c.ID)
			}
		}
		uses, err := Uses(ctx, r, cat, c)
		if err != nil {
			return nil, err
		}
		for id := range uses {
			all[id] = append(all[id], i)
		}
		names = append(names, actorName(c))
	}
	l := newLayer(strings.Join(names, " vs "), "Techniques of "+strings.Join(names, ", ")+
		" in the knowledge base: the score is how many of them use each technique, the colour says which.", "")
	used := map[string]string{} // legend label -> colour, for the combinations present
	for _, id := range sortedKeys(all) {
		who := all[id]
		var ws []string
		for _, i := range who {
			ws = append(ws, names[i])
		}
		mask := 0
		for _, i := range who {
			mask |= 1 << i
		}
		color := maskColors[mask]
		label := "only " + ws[0]
		if len(who) > 1 {
			label = strings.Join(ws, " and ")
		}
		used[label] = color
		t := Technique{TechniqueID: id, Score: float64(len(who)), Color: color, Enabled: true, Comment: "used by " + strings.Join(ws, ", ")}
		for i, n := range names {
			v := "no"
			if slices.Contains(who, i) {
				v = "yes"
			}
			t.Metadata = append(t.Metadata, Metadata{Name: n, Value: v})
		}
		l.Techniques = append(l.Techniques, t)
	}
	for _, label := range sortedKeys(used) {
		l.Legend = append(l.Legend, LegendItem{Label: label, Color: used[label]})
	}
	l.Gradient = Gradient{Colors: []string{"#ffffff", "#ff6666"}, MinValue: 0, MaxValue: float64(len(cards))}
	for _, c := range cards {
		l.Metadata = append(l.Metadata, actorMeta(c)...)
	}
	return l, nil
}

// Case scores of a case layer.
const (
	scoreBoth = 3 // in the case, used by the leading hypothesis
	scoreCase = 2 // in the case, not known of the leading hypothesis
	scoreTop  = 1 // of the leading hypothesis, not seen in the case: what to look for
)

// Case is the layer of a case: its techniques, and those of the leading
// hypothesis (top, nil when the unknown actor leads) with its uses (from
// Uses), scored 3 for both, 2 for the case's only and 1 for the actor's
// only (what to look for next). It returns the case's techniques that
// are not in the catalogue as warnings.
func Case(cat *Catalogue, name string, techniques []string, top *kb.Card, topUses map[string]*Use) (*Layer, []string) {
	var warns []string
	inCase := map[string]bool{}
	for _, ref := range techniques {
		t, ok := cat.Resolve(ref)
		if !ok {
			warns = append(warns, fmt.Sprintf("technique %q is not an Enterprise ATT&CK technique of the knowledge base: left out of the layer", ref))
			continue
		}
		inCase[t.ID] = true
	}
	topName := "the leading hypothesis"
	if top != nil {
		topName = actorName(top)
	}
	desc := "Techniques of the case " + name
	if top != nil {
		desc += " and of its leading hypothesis, " + topName
	}
	l := newLayer(name, desc+".", "")
	ids := map[string]bool{}
	for id := range inCase {
		ids[id] = true
	}
	for id := range topUses {
		ids[id] = true
	}
	const (
		cBoth, cCase, cTop = "#ff6666", "#ffb366", "#fff2b3"
	)
	for _, id := range sortedKeys(ids) {
		u := topUses[id]
		t := Technique{TechniqueID: id, Enabled: true}
		switch {
		case inCase[id] && u != nil:
			t.Score, t.Color, t.Comment = scoreBoth, cBoth, "in the case; used by "+topName+" (reported by "+strings.Join(u.Via, ", ")+")"
		case inCase[id]:
			t.Score, t.Color, t.Comment = scoreCase, cCase, "in the case; not known of "+topName
		default:
			t.Score, t.Color, t.Comment = scoreTop, cTop, "used by "+topName+", not seen in the case (reported by "+strings.Join(u.Via, ", ")+")"
		}
		l.Techniques = append(l.Techniques, t)
	}
	l.Gradient = Gradient{Colors: []string{"#ffffff", "#ff6666"}, MinValue: 0, MaxValue: scoreBoth}
	l.Legend = []LegendItem{{Label: "in the case, used by " + topName, Color: cBoth}, {Label: "in the case only", Color: cCase}}
	if top != nil {
		l.Legend = append(l.Legend, LegendItem{Label: "used by " + topName + ", not seen in the case", Color: cTop})
		l.Metadata = append(l.Metadata, actorMeta(top)...)
	}
	l.Metadata = append(l.Metadata, Metadata{Name: "case", Value: name})
	return l, warns
}

func actorName(c *kb.Card) string {
	if c.ExternalID != "" {
		return c.Name + " (" + c.ExternalID + ")"
	}
	return c.Name
}

func actorMeta(c *kb.Card) []Metadata {
	return []Metadata{{Name: "actor", Value: actorName(c)}, {Name: "actor id", Value: c.ID}}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
