package web

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// matrixCell is one technique of a tactic column.
type matrixCell struct {
	Ext, Name, ID string
	Level         access.Level
	Heat          int      // 0 (unused) to 4
	Users         []string // the compared actors that use it (their letters)
	Subs          []string // used sub-techniques
	Title         string
}

type matrixColumn struct {
	Tactic tactic
	Cells  []matrixCell
	Used   int
}

// matrix lays out the parent techniques of the catalog by tactic, with the
// techniques each actor set uses: used[i] is the set of ATT&CK ids of the
// i-th actor (sub-techniques count for their parent).
func (c *catalog) matrix(used []map[string]bool, letters []string, onlyUsed bool) []matrixColumn {
	var cols []matrixColumn
	for _, ta := range c.tactics {
		col := matrixColumn{Tactic: ta}
		for _, t := range c.techniques {
			if t.Parent != "" || !hasString(t.Tactics, ta.Short) {
				continue
			}
			cell := matrixCell{Ext: t.Ext, Name: t.Name, ID: t.ID, Level: t.Level}
			score := 0
			for i, set := range used {
				uses := set[t.Ext]
				for ext := range set {
					if strings.HasPrefix(ext, t.Ext+".") {
						uses = true
						if len(used) == 1 {
							cell.Subs = append(cell.Subs, ext)
						}
					}
				}
				if uses {
					cell.Users = append(cell.Users, letters[i])
					score++
				}
			}
			sort.Strings(cell.Subs)
			switch {
			case score == 0:
			case len(used) == 1:
				cell.Heat = min(4, 1+len(cell.Subs))
			default:
				cell.Heat = min(4, (4*score+len(used)-1)/len(used))
			}
			if score > 0 {
				col.Used++
			} else if onlyUsed {
				continue
			}
			cell.Title = t.Ext + " " + t.Name
			if len(cell.Subs) > 0 {
				cell.Title += " (" + strings.Join(cell.Subs, ", ") + ")"
			}
			col.Cells = append(col.Cells, cell)
		}
		cols = append(cols, col)
	}
	return cols
}

func hasString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// techniqueSet is the set of ATT&CK ids of a card's techniques.
func techniqueSet(card *kb.Card) map[string]bool {
	set := map[string]bool{}
	for _, t := range card.Techniques {
		if t.ExternalID != "" {
			set[t.ExternalID] = true
		}
	}
	return set
}

// relatedView is a related object with its level.
type relatedView struct {
	kb.Related
	Level access.Level
	URL   string
}

type indicatorView struct {
	ID, Name, Pattern string
	Level             access.Level
}

type confirmedCase struct {
	ID, Name string
	At       string
	Level    access.Level
}

type actorView struct {
	Card       *kb.Card
	Level      access.Level
	Software   []relatedView
	Campaigns  []relatedView
	Matrix     []matrixColumn
	Indicators []indicatorView
	MoreInd    int
	Incidents  []relatedView
	Cases      []confirmedCase
	Actors     []entry
	// Levels are the catalog's levels by STIX id: of the objects folded
	// into the actor and those it is possibly the same as.
	Levels map[string]access.Level
}

const maxIndicators = 200

func (u *UI) actorPage(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	card, err := q.know.Card(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	cat, err := u.catalogOf(ctx, q.know)
	if err != nil {
		return err
	}
	v := &actorView{Card: card, Level: cat.levels[card.ID], Actors: cat.actors, Levels: cat.levels}
	for _, s := range card.Software {
		v.Software = append(v.Software, relatedView{Related: s, Level: cat.levels[s.ID], URL: objectURL("software", s.ID)})
	}
	for _, c := range card.Campaigns {
		v.Campaigns = append(v.Campaigns, relatedView{Related: c, Level: cat.levels[c.ID], URL: objectURL("campaign", c.ID)})
	}
	v.Matrix = cat.matrix([]map[string]bool{techniqueSet(card)}, []string{""}, false)
	members := map[string]bool{}
	for _, m := range card.Members {
		members[m.ID] = true
		err := q.know.Relationships(ctx, kb.RelationshipQuery{TargetRefs: []string{m.ID}}, func(rel *stix.Object) error {
			switch {
			case rel.RelationshipType == "indicates" && strings.HasPrefix(rel.SourceRef, "indicator--"):
				if len(v.Indicators) >= maxIndicators {
					v.MoreInd++
					return nil
				}
				o, err := q.know.Object(ctx, rel.SourceRef)
				if err != nil {
					return nil // not visible
				}
				in := indicatorView{ID: o.ID, Name: o.Name, Level: q.know.Level(o)}
				if e, ok := cat.entry(o.ID); ok {
					in.Pattern = e.Detail
				}
				v.Indicators = append(v.Indicators, in)
			case rel.RelationshipType == "attributed-to" && strings.HasPrefix(rel.SourceRef, "incident--"):
				o, err := q.know.Object(ctx, rel.SourceRef)
				if err != nil {
					return nil
				}
				v.Incidents = append(v.Incidents, relatedView{Related: kb.Related{ID: o.ID, Type: o.Type, Name: o.Name, Via: m.ID},
					Level: q.know.Level(o), URL: objectURL("incident", o.ID)})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	cases, err := q.know.Cases(ctx)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if c.Confirmation != nil && members[c.Confirmation.Actor] {
			v.Cases = append(v.Cases, confirmedCase{ID: c.ID, Name: c.Name, At: c.Confirmation.At.Format("2006-01-02"), Level: access.CaseLevel(c.TLP)})
		}
	}
	sort.Slice(v.Cases, func(i, j int) bool { return v.Cases[i].At < v.Cases[j].At })
	return u.render(w, http.StatusOK, "actor", q, card.Name, v)
}

// compareView is two or three actors on one matrix.
type compareView struct {
	Actors []compareActor
	Matrix []matrixColumn
	Both   int
}

type compareActor struct {
	Letter string
	Card   *kb.Card
	Level  access.Level
	Count  int
}

func (u *UI) comparePage(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	cat, err := u.catalogOf(ctx, q.know)
	if err != nil {
		return err
	}
	v := &compareView{}
	var sets []map[string]bool
	var letters []string
	for i, ref := range r.URL.Query()["a"] {
		ref = strings.TrimSpace(ref)
		if ref == "" {
			continue
		}
		if i >= 3 {
			return errs.E(errs.Invalid, "compare two or three actors, not more")
		}
		card, err := q.know.Card(ctx, ref)
		if err != nil {
			return err
		}
		l := string(rune('A' + len(v.Actors)))
		set := techniqueSet(card)
		v.Actors = append(v.Actors, compareActor{Letter: l, Card: card, Level: cat.levels[card.ID], Count: len(set)})
		sets, letters = append(sets, set), append(letters, l)
	}
	if len(sets) > 0 {
		v.Matrix = cat.matrix(sets, letters, true)
		for _, col := range v.Matrix {
			for _, c := range col.Cells {
				if len(c.Users) == len(sets) && len(sets) > 1 {
					v.Both++
				}
			}
		}
	}
	return u.render(w, http.StatusOK, "compare", q, "Compare actors", v)
}

// objectView is the page of any object.
type objectView struct {
	Object  *stix.Object
	Level   access.Level
	Kind    string
	Pattern string
	Rels    []relView
	More    int
}

type relView struct {
	Type, Dir string
	Other     string
	OtherName string
	OtherType string
	URL       string
	Level     access.Level
}

const maxRels = 300

func (u *UI) objectPage(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	o, err := q.know.Object(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	cat, err := u.catalogOf(ctx, q.know)
	if err != nil {
		return err
	}
	v := &objectView{Object: o, Level: q.know.Level(o), Kind: searchTypes[o.Type]}
	if e, ok := cat.entry(o.ID); ok && e.Kind == "indicator" {
		v.Pattern = e.Detail
	}
	if err := u.neighbours(ctx, q.know, o.ID, func(rel *stix.Object, other *stix.Object, out bool) bool {
		if len(v.Rels) >= maxRels {
			v.More++
			return true
		}
		dir := "→"
		if !out {
			dir = "←"
		}
		v.Rels = append(v.Rels, relView{Type: rel.RelationshipType, Dir: dir, Other: other.ID, OtherName: displayName(other),
			OtherType: other.Type, URL: objectURL(searchTypes[other.Type], other.ID), Level: q.know.Level(other)})
		return true
	}); err != nil {
		return err
	}
	return u.render(w, http.StatusOK, "object", q, displayName(o), v)
}

func displayName(o *stix.Object) string {
	if o.Name != "" {
		return o.Name
	}
	if o.Value != "" {
		return o.Value
	}
	return o.ID
}

// neighbours calls fn with every visible relationship of id and the
// visible object at its other end (out: id is the source).
func (u *UI) neighbours(ctx context.Context, k Knowledge, id string, fn func(rel, other *stix.Object, out bool) bool) error {
	stop := errs.E(errs.Internal, "stop")
	for _, out := range []bool{true, false} {
		q := kb.RelationshipQuery{SourceRefs: []string{id}}
		if !out {
			q = kb.RelationshipQuery{TargetRefs: []string{id}}
		}
		err := k.Relationships(ctx, q, func(rel *stix.Object) error {
			end := rel.TargetRef
			if !out {
				end = rel.SourceRef
			}
			other, err := k.Object(ctx, end)
			if err != nil {
				return nil // the other end is not visible: neither is the relationship
			}
			if !fn(rel, other, out) {
				return stop
			}
			return nil
		})
		if err == stop {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
