package kb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// DefaultFold is the least same-as confidence at which two actor objects
// are folded into one cluster: the name of one listed as an alias of the
// other (ConfidenceNameAlias) or anything stronger. Aliases shared by two
// actors (ConfidenceAliasAlias) are not enough: vendors reuse each other's
// names loosely, and those links stay "possibly the same as".
const DefaultFold = ConfidenceNameAlias

// Catalogue returns the catalogue that lists o, with o's type: two actor
// objects of one catalogue are distinct by that catalogue's own account
// (two ATT&CK intrusion-sets, two clusters of one MISP galaxy), so no chain
// of links may fold them together. A catalogue is the MISP galaxy an
// object was converted from, else its creator (created_by_ref), else
// "mitre-attack" for an object with an ATT&CK id. An intrusion-set and a
// threat-actor of one source are of different catalogues: STIX models the
// persona and the organisation behind it as two objects that may be one
// hypothesis. Catalogue returns "" when nothing says who listed o; such an
// object constrains nothing.
func Catalogue(o *stix.Object) string {
	if g := mispGalaxy(o); g != "" {
		return "misp-galaxy:" + g + "/" + o.Type
	}
	if o.CreatedBy != "" {
		return o.CreatedBy + "/" + o.Type
	}
	if o.ExternalID("mitre-attack") != "" {
		return "mitre-attack/" + o.Type
	}
	return ""
}

// mispGalaxy returns the x_misp_galaxy property of o, or "".
func mispGalaxy(o *stix.Object) string {
	if !bytes.Contains(o.Raw, []byte(`"x_misp_galaxy"`)) {
		return ""
	}
	var x struct {
		Galaxy string `json:"x_misp_galaxy"`
	}
	if err := json.Unmarshal(o.Raw, &x); err != nil {
		return ""
	}
	return x.Galaxy
}

// Cluster is one hypothesis about an actor: the actor objects that the
// same-as links fold together. Members are distinct objects, each kept as
// its source supplied it.
type Cluster struct {
	// ID is the id of the primary member: an ATT&CK group where there is
	// one (see primaryRank).
	ID string
	// Members are the folded objects, primary first, then in the order
	// they joined.
	Members []*stix.Object
	// Joined holds, for each member but the primary, the link through
	// which it joined the cluster (same index as Members; the zero value
	// for the primary).
	Joined []SameAs
}

// Primary returns the primary member.
func (c *Cluster) Primary() *stix.Object { return c.Members[0] }

// Has reports whether the object id is a member.
func (c *Cluster) Has(id string) bool {
	for _, m := range c.Members {
		if m.ID == id {
			return true
		}
	}
	return false
}

// Unfolded is a same-as link that did not fold its ends: the ends are
// "possibly the same", with the link's confidence and reason, and Why says
// what kept them apart.
type Unfolded struct {
	SameAs
	Why string
}

// Clusters is the one answer to "which actor objects are one hypothesis",
// used by every consumer: the engine, actor cards, export, the server. It
// is built by NewClusters from the active actor objects and their same-as
// links, and is immutable.
//
// The fold rule: links are applied strongest first (confidence, then
// reason, then ids); a link folds its ends when its confidence is at least
// the fold threshold and the union would not hold two objects of one
// catalogue (see Catalogue). Every other link of the actors is kept as
// Unfolded. Names carried by members of several clusters are ambiguous:
// Candidates lists those clusters and never joins them.
type Clusters struct {
	fold     int
	all      []*Cluster
	byID     map[string]*Cluster
	unfolded map[string][]Unfolded // object id -> its unfolded links
	links    map[string][]SameAs   // object id -> every link of it, as given
	names    map[string][]*Cluster // Normalize(name) -> clusters carrying it
}

// NewClusters folds the actor objects of objs (intrusion-sets and
// threat-actors; other objects, revoked and deprecated ones are ignored)
// with the links, at the fold threshold (fold <= 0 means DefaultFold).
func NewClusters(objs []*stix.Object, links []SameAs, fold int) *Clusters {
	if fold <= 0 {
		fold = DefaultFold
	}
	cs := &Clusters{fold: fold, byID: map[string]*Cluster{}, unfolded: map[string][]Unfolded{},
		names: map[string][]*Cluster{}, links: linksByID(links)}
	var actors []*stix.Object
	seen := map[string]bool{}
	for _, o := range objs {
		if o == nil || !IsActor(o.Type) || o.Revoked || o.Deprecated || seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		actors = append(actors, o)
	}
	sort.Slice(actors, func(i, j int) bool { return actors[i].ID < actors[j].ID })

	// Union-find over actors; each root holds its members, the links that
	// joined them (a spanning tree) and their catalogues.
	type set struct {
		members []int
		edges   []SameAs
		cats    map[string]int // catalogue -> member index
	}
	idx := make(map[string]int, len(actors))
	parent := make([]int, len(actors))
	sets := make([]*set, len(actors))
	for i, a := range actors {
		idx[a.ID] = i
		parent[i] = i
		s := &set{members: []int{i}, cats: map[string]int{}}
		if c := Catalogue(a); c != "" {
			s.cats[c] = i
		}
		sets[i] = s
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}

	ordered := make([]SameAs, 0, len(links))
	for _, l := range links {
		_, okA := idx[l.A]
		_, okB := idx[l.B]
		if okA && okB && l.A != l.B {
			ordered = append(ordered, l)
		}
	}
	sort.SliceStable(ordered, func(i, j int) bool { return strongerOrder(ordered[i], ordered[j]) })
	keep := func(l SameAs, why string) {
		u := Unfolded{SameAs: l, Why: why}
		cs.unfolded[l.A] = append(cs.unfolded[l.A], u)
		cs.unfolded[l.B] = append(cs.unfolded[l.B], u)
	}
	for _, l := range ordered {
		// Links are applied strongest first, so a weak link meets the
		// clusters as they end up.
		a, b := find(idx[l.A]), find(idx[l.B])
		if a == b {
			continue // already one cluster through stronger links
		}
		if l.Confidence < fold {
			keep(l, fmt.Sprintf("below the fold threshold %d", fold))
			continue
		}
		sa, sb := sets[a], sets[b]
		if clash := catalogueClash(sa.cats, sb.cats); clash != "" {
			x, y := actors[sa.cats[clash]], actors[sb.cats[clash]]
			if y.ID < x.ID {
				x, y = y, x
			}
			keep(l, fmt.Sprintf("would fold %s with %s, which %s lists as distinct", label(x), label(y), catalogueName(clash)))
			continue
		}
		if b < a {
			a, b = b, a
			sa, sb = sb, sa
		}
		parent[b] = a
		sa.members = append(sa.members, sb.members...)
		sa.edges = append(append(sa.edges, sb.edges...), l)
		for c, m := range sb.cats {
			sa.cats[c] = m
		}
		sets[b] = nil
	}

	for i := range actors {
		if find(i) != i {
			continue
		}
		s := sets[i]
		primary := s.members[0]
		for _, m := range s.members[1:] {
			if primaryLess(actors[m], actors[primary]) {
				primary = m
			}
		}
		// Members in breadth-first order from the primary along the
		// links that joined them, each with the link to its parent.
		adj := map[string][]SameAs{}
		for _, e := range s.edges {
			adj[e.A] = append(adj[e.A], e)
			adj[e.B] = append(adj[e.B], e)
		}
		c := &Cluster{ID: actors[primary].ID}
		c.Members = append(c.Members, actors[primary])
		c.Joined = append(c.Joined, SameAs{})
		visited := map[string]bool{actors[primary].ID: true}
		for q := 0; q < len(c.Members); q++ {
			id := c.Members[q].ID
			for _, e := range adj[id] {
				o := e.Other(id)
				if visited[o] {
					continue
				}
				visited[o] = true
				c.Members = append(c.Members, actors[idx[o]])
				c.Joined = append(c.Joined, e)
			}
		}
		cs.all = append(cs.all, c)
		for _, m := range c.Members {
			cs.byID[m.ID] = c
		}
	}
	sort.Slice(cs.all, func(i, j int) bool { return cs.all[i].ID < cs.all[j].ID })
	for _, c := range cs.all {
		for _, m := range c.Members {
			for _, n := range NamesOf(m) {
				if n.Kind == KindExternalID && isUUID(n.Name) {
					continue
				}
				have := cs.names[n.Norm]
				if len(have) == 0 || have[len(have)-1] != c {
					cs.names[n.Norm] = append(have, c)
				}
			}
		}
	}
	for id := range cs.unfolded {
		u := cs.unfolded[id]
		sort.SliceStable(u, func(i, j int) bool { return u[i].Confidence > u[j].Confidence })
	}
	return cs
}

// catalogueClash returns a catalogue present in both sets, or "".
func catalogueClash(a, b map[string]int) string {
	if len(b) < len(a) {
		a, b = b, a
	}
	var clash string
	for c := range a {
		if _, ok := b[c]; ok && (clash == "" || c < clash) {
			clash = c
		}
	}
	return clash
}

// label names an actor object for a message: its name and ATT&CK id.
func label(o *stix.Object) string {
	if ext := o.ExternalID("mitre-attack"); ext != "" {
		return fmt.Sprintf("%s (%s)", o.Name, ext)
	}
	return o.Name
}

// catalogueName says a catalogue key in words.
func catalogueName(c string) string {
	src, typ, _ := strings.Cut(c, "/")
	if g, ok := strings.CutPrefix(src, "misp-galaxy:"); ok {
		return "the MISP galaxy " + g
	}
	if src == "mitre-attack" || src == attackIdentity {
		return "MITRE ATT&CK (as " + typ + "s)"
	}
	return src + " (as " + typ + "s)"
}

// attackIdentity is the identity MITRE ATT&CK objects are created by.
const attackIdentity = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"

// primaryLess orders the members of a cluster to choose its primary: an
// ATT&CK group first (it has an ATT&CK id and is not from a MISP galaxy),
// then any object with an ATT&CK id, then intrusion-sets, then the higher
// confidence, then the older, then by id.
func primaryLess(a, b *stix.Object) bool {
	if ra, rb := primaryRank(a), primaryRank(b); ra != rb {
		return ra < rb
	}
	ac, bc := -1, -1
	if a.Confidence != nil {
		ac = *a.Confidence
	}
	if b.Confidence != nil {
		bc = *b.Confidence
	}
	if ac != bc {
		return ac > bc
	}
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.ID < b.ID
}

// primaryRank: 0 an ATT&CK group, 1 another object with an ATT&CK id, 2
// an intrusion-set, 3 anything else.
func primaryRank(o *stix.Object) int {
	switch {
	case o.ExternalID("mitre-attack") != "" && mispGalaxy(o) == "":
		return 0
	case o.ExternalID("mitre-attack") != "":
		return 1
	case o.Type == "intrusion-set":
		return 2
	}
	return 3
}

// Fold returns the fold threshold the clusters were built with.
func (cs *Clusters) Fold() int { return cs.fold }

// All returns every cluster, ordered by primary id.
func (cs *Clusters) All() []*Cluster { return cs.all }

// Of returns the cluster that holds the actor object id, or nil.
func (cs *Clusters) Of(id string) *Cluster { return cs.byID[id] }

// Links returns every link of the object id among those the clusters
// were built from, folded or not, whatever the object (an actor card
// lists them, a revoked actor's too): so that a card built over clusters
// kept by a server reads no links of its own.
func (cs *Clusters) Links(id string) []SameAs { return cs.links[id] }

// Unfolded returns the links of the object id that did not fold, strongest
// first.
func (cs *Clusters) Unfolded(id string) []Unfolded { return cs.unfolded[id] }

// Candidates returns the clusters whose members carry name (a name,
// alias or external id, compared after Normalize), ordered by primary id.
// More than one means the name is ambiguous.
func (cs *Clusters) Candidates(name string) []*Cluster { return cs.names[Normalize(name)] }

// Ambiguous returns the names of c's members that members of other
// clusters carry too, each with every cluster that carries it (c
// included), ordered by name.
func (cs *Clusters) Ambiguous(c *Cluster) []AmbiguousName {
	var out []AmbiguousName
	done := map[string]bool{}
	for _, m := range c.Members {
		for _, n := range NamesOf(m) {
			if done[n.Norm] {
				continue
			}
			done[n.Norm] = true
			cand := cs.names[n.Norm]
			if len(cand) < 2 {
				continue
			}
			a := AmbiguousName{Name: n.Name}
			for _, o := range cand {
				a.Candidates = append(a.Candidates, Candidate{ID: o.ID, Name: o.Primary().Name,
					ExternalID: o.Primary().ExternalID("mitre-attack")})
			}
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// AmbiguousName is a name that several clusters carry.
type AmbiguousName struct {
	Name       string      `json:"name"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one cluster a name may mean.
type Candidate struct {
	ID         string `json:"id"` // the cluster's primary id
	Name       string `json:"name"`
	ExternalID string `json:"external_id,omitempty"`
}

// LoadClusters builds the clusters of the actors in r at the fold
// threshold (fold <= 0 means DefaultFold).
func LoadClusters(ctx context.Context, r Reader, fold int) (*Clusters, error) {
	var actors []*stix.Object
	err := r.Objects(ctx, ObjectQuery{Types: []string{"intrusion-set", "threat-actor"}}, func(o *stix.Object) error {
		actors = append(actors, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read actors: %w", err)
	}
	links, err := r.SameAs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read same-as links: %w", err)
	}
	return NewClusters(actors, links, fold), nil
}

// strongerOrder is the order in which links are applied: higher
// confidence, then stronger reason, then by ids.
func strongerOrder(a, b SameAs) bool {
	if a.Confidence != b.Confidence {
		return a.Confidence > b.Confidence
	}
	if ra, rb := reasonRank(a.Reason), reasonRank(b.Reason); ra != rb {
		return ra < rb
	}
	if a.A != b.A {
		return a.A < b.A
	}
	return a.B < b.B
}
