package kb

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// ActorName is one name of an actor card with where it comes from.
type ActorName struct {
	Name    string   `json:"name"`
	Kind    NameKind `json:"kind"`
	Objects []string `json:"objects"` // ids of the card's members that carry it
	Sources []string `json:"sources"` // names of the sources that supplied those members
}

// Member is one object folded into an actor card.
type Member struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Name       string   `json:"name"`
	ExternalID string   `json:"external_id,omitempty"` // mitre-attack id, e.g. G0032
	Sources    []string `json:"sources"`
	// Confidence and Reason of the link through which the member joined
	// the cluster (Via, the member it links to, is on the path to the
	// primary); 100 and "" for the primary itself.
	Confidence int    `json:"confidence"`
	Reason     string `json:"reason,omitempty"`
	Via        string `json:"via,omitempty"`
}

// Possible is a link from a member of a card to an actor object outside
// it that did not fold.
type Possible struct {
	Unfolded
	Member     string `json:"member"` // the card's member the link starts from
	Other      string `json:"other"`  // the object outside the card
	OtherName  string `json:"other_name"`
	ExternalID string `json:"other_external_id,omitempty"`
}

// Related is an object related to an actor: a technique, a piece of
// software or a campaign.
type Related struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id,omitempty"`
	Via        string `json:"via"` // the member whose relationship gives it
}

// Card is what the knowledge base knows of one actor: the members of its
// cluster (see Clusters), with everything they say, and the links that
// did not fold.
type Card struct {
	Primary    *stix.Object             `json:"-"`
	ID         string                   `json:"id"`
	Name       string                   `json:"name"`
	ExternalID string                   `json:"external_id,omitempty"`
	Members    []Member                 `json:"members"`
	Names      []ActorName              `json:"names"`
	Countries  []string                 `json:"countries,omitempty"`
	Sponsors   []string                 `json:"suspected_sponsors,omitempty"`
	Techniques []Related                `json:"techniques"`
	Software   []Related                `json:"software"`
	Campaigns  []Related                `json:"campaigns"`
	References []stix.ExternalReference `json:"references"`
	Links      []SameAs                 `json:"same_as"` // every link of a member, folded or not
	// Possible are the links of members that did not fold: "possibly the
	// same as", with why not.
	Possible []Possible `json:"possibly_same_as"`
	// Ambiguous are the names of members that other clusters carry too.
	Ambiguous []AmbiguousName `json:"ambiguous_names"`
	Fold      int             `json:"fold"` // the fold threshold of the clusters
	Matches   []NameMatch     `json:"matches,omitempty"`
	Inactive  bool            `json:"inactive,omitempty"`
}

// Reader is the part of a Store that cards and listings read.
type Reader interface {
	Object(ctx context.Context, id string) (*stix.Object, error)
	Objects(ctx context.Context, q ObjectQuery, fn func(*stix.Object) error) error
	Relationships(ctx context.Context, q RelationshipQuery, fn func(*stix.Object) error) error
	LookupName(ctx context.Context, name string) ([]NameMatch, error)
	SameAs(ctx context.Context) ([]SameAs, error)
	Provenance(ctx context.Context, id string) ([]Provenance, error)
}

// ObjectsByID is a Reader that reads many objects at once (sqlite,
// postgres, access.View): a card's techniques and software are then one
// query instead of one round trip each, which under load is most of a
// card's time. The objects are brief (stix.ParseBrief: what names them
// and their markings, not their descriptions, which were most of the rest
// of a card's time). The map holds the objects found; an id it lacks is
// one Object would not find.
type ObjectsByID interface {
	ObjectsByID(ctx context.Context, ids []string) (map[string]*stix.Object, error)
}

// FindActors returns the actor cards for a query (a name, alias, external id
// or STIX id): the cluster of each actor object the query matches, folded
// at the fold threshold (fold <= 0 means DefaultFold). Matches in one
// cluster share one card. An empty result means no actor matches.
func FindActors(ctx context.Context, r Reader, query string, fold int) ([]*Card, error) {
	matches, err := r.LookupName(ctx, query)
	if err != nil {
		return nil, err
	}
	hasActor := false
	for _, m := range matches {
		hasActor = hasActor || IsActor(m.Type)
	}
	if !hasActor {
		return nil, nil // no clusters to build
	}
	cs, err := LoadClusters(ctx, r, fold)
	if err != nil {
		return nil, err
	}
	return cards(ctx, r, cs, matches)
}

// FindActorsWith is FindActors over clusters already built from r (by
// LoadClusters or NewClusters over r's actors and links), for a server
// that answers many lookups from one state of the knowledge base: the
// clusters are the costly part of a lookup.
func FindActorsWith(ctx context.Context, r Reader, cs *Clusters, query string) ([]*Card, error) {
	matches, err := r.LookupName(ctx, query)
	if err != nil {
		return nil, err
	}
	return cards(ctx, r, cs, matches)
}

// cards builds one card per cluster of the actors among matches, each
// with the matches it holds, in the order of their first match.
func cards(ctx context.Context, r Reader, cs *Clusters, matches []NameMatch) ([]*Card, error) {
	var out []*Card
	done := make(map[string]*Card)
	for _, m := range matches {
		if !IsActor(m.Type) {
			continue
		}
		cl := cs.Of(m.ID)
		key := m.ID
		if cl != nil {
			key = cl.ID
		}
		if c, ok := done[key]; ok {
			c.Matches = append(c.Matches, m)
			continue
		}
		c, err := buildCard(ctx, r, cs, cl, m.ID)
		if err != nil {
			return nil, err
		}
		done[key] = c
		c.Matches = append(c.Matches, m)
		out = append(out, c)
	}
	return out, nil
}

// ActorCard returns the card of the cluster that holds the actor object
// with this id, or an error wrapping ErrNotFound.
func ActorCard(ctx context.Context, r Reader, id string, fold int) (*Card, error) {
	cs, err := LoadClusters(ctx, r, fold)
	if err != nil {
		return nil, err
	}
	return buildCard(ctx, r, cs, cs.Of(id), id)
}

// ActorCardWith is ActorCard over clusters already built from r. The
// card's same-as links are those cs was built from (Clusters.Links), as
// its folds are.
func ActorCardWith(ctx context.Context, r Reader, cs *Clusters, id string) (*Card, error) {
	return buildCard(ctx, r, cs, cs.Of(id), id)
}

func linksByID(links []SameAs) map[string][]SameAs {
	m := make(map[string][]SameAs)
	for _, l := range links {
		m[l.A] = append(m[l.A], l)
		m[l.B] = append(m[l.B], l)
	}
	return m
}

// buildCard assembles the card of cluster cl. A revoked or deprecated
// actor belongs to no cluster (cl is nil): its card holds it alone.
func buildCard(ctx context.Context, r Reader, cs *Clusters, cl *Cluster, id string) (*Card, error) {
	var objs []*stix.Object
	var joined []SameAs
	if cl != nil {
		objs, joined = cl.Members, cl.Joined
	} else {
		o, err := r.Object(ctx, id)
		if err != nil {
			return nil, err
		}
		objs, joined = []*stix.Object{o}, []SameAs{{}}
	}
	p := objs[0]
	c := &Card{Primary: p, ID: p.ID, Name: p.Name, ExternalID: p.ExternalID("mitre-attack"),
		Inactive:   p.Revoked || p.Deprecated,
		Techniques: []Related{}, Software: []Related{}, Campaigns: []Related{}, References: []stix.ExternalReference{},
		Links: []SameAs{}, Possible: []Possible{}, Ambiguous: []AmbiguousName{}, Fold: cs.Fold()}
	if cl != nil {
		c.Ambiguous = append(c.Ambiguous, cs.Ambiguous(cl)...)
	}

	names := make(map[string]*ActorName)
	var nameOrder []string
	seenLink := make(map[[2]string]bool)
	seenRef := make(map[string]bool)
	countries := make(map[string]bool)
	sponsors := make(map[string]bool)
	possibleAt := make(map[string]int) // other object -> index in c.Possible
	for k, o := range objs {
		prov, err := r.Provenance(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		var sources []string
		for _, pv := range prov {
			sources = appendUnique(sources, pv.Source.Name)
		}
		m := Member{ID: o.ID, Type: o.Type, Name: o.Name, ExternalID: o.ExternalID("mitre-attack"),
			Sources: sources, Confidence: 100}
		if k > 0 {
			j := joined[k]
			m.Confidence, m.Reason, m.Via = j.Confidence, j.Reason, j.Other(o.ID)
		}
		c.Members = append(c.Members, m)
		for _, u := range cs.Unfolded(o.ID) {
			// One row per object outside the card: its strongest link.
			other := u.Other(o.ID)
			if cl != nil && cl.Has(other) {
				continue
			}
			if i, ok := possibleAt[other]; ok {
				if strongerOrder(u.SameAs, c.Possible[i].SameAs) {
					c.Possible[i].Unfolded, c.Possible[i].Member = u, o.ID
				}
				continue
			}
			x, err := r.Object(ctx, other)
			if err != nil {
				return nil, fmt.Errorf("same-as link %s: %w", other, err)
			}
			possibleAt[other] = len(c.Possible)
			c.Possible = append(c.Possible, Possible{Unfolded: u, Member: o.ID, Other: other, OtherName: x.Name,
				ExternalID: x.ExternalID("mitre-attack")})
		}
		for _, n := range NamesOf(o) {
			if n.Kind == KindExternalID && isUUID(n.Name) {
				continue // a catalogue's record id (a MISP cluster uuid), not a name
			}
			key := n.Norm
			an, ok := names[key]
			if !ok {
				an = &ActorName{Name: n.Name, Kind: n.Kind}
				names[key] = an
				nameOrder = append(nameOrder, key)
			} else if kindRank(n.Kind) < kindRank(an.Kind) {
				an.Kind = n.Kind
			}
			an.Objects = appendUnique(an.Objects, o.ID)
			for _, s := range sources {
				an.Sources = appendUnique(an.Sources, s)
			}
		}
		for _, l := range cs.Links(o.ID) {
			k := [2]string{l.A, l.B}
			if !seenLink[k] {
				seenLink[k] = true
				c.Links = append(c.Links, l)
			}
		}
		for _, ref := range o.ExternalReferences {
			if ref.URL == "" && ref.ExternalID == "" {
				continue // ATT&CK alias citations: names, not references
			}
			k := ref.SourceName + "\x00" + ref.ExternalID + "\x00" + ref.URL
			if !seenRef[k] {
				seenRef[k] = true
				c.References = append(c.References, ref)
			}
		}
		var x struct {
			Country     string `json:"country"`
			MISPCountry string `json:"x_misp_country"`
			Sponsor     string `json:"x_misp_cfr_suspected_state_sponsor"`
		}
		if err := json.Unmarshal(o.Raw, &x); err == nil {
			for _, v := range []string{x.Country, x.MISPCountry} {
				if v != "" && !countries[v] {
					countries[v] = true
					c.Countries = append(c.Countries, v)
				}
			}
			if x.Sponsor != "" && !sponsors[x.Sponsor] {
				sponsors[x.Sponsor] = true
				c.Sponsors = append(c.Sponsors, x.Sponsor)
			}
		}
		if err := related(ctx, r, c, o); err != nil {
			return nil, err
		}
	}
	for _, k := range nameOrder {
		c.Names = append(c.Names, *names[k])
	}
	sort.SliceStable(c.Names, func(i, j int) bool { return kindRank(c.Names[i].Kind) < kindRank(c.Names[j].Kind) })
	sort.Slice(c.Links, func(i, j int) bool {
		if c.Links[i].Confidence != c.Links[j].Confidence {
			return c.Links[i].Confidence > c.Links[j].Confidence
		}
		if c.Links[i].A != c.Links[j].A {
			return c.Links[i].A < c.Links[j].A
		}
		return c.Links[i].B < c.Links[j].B
	})
	sort.SliceStable(c.Possible, func(i, j int) bool { return strongerOrder(c.Possible[i].SameAs, c.Possible[j].SameAs) })
	for _, l := range []*[]Related{&c.Techniques, &c.Software, &c.Campaigns} {
		s := *l
		sort.Slice(s, func(i, j int) bool {
			if s[i].ExternalID != s[j].ExternalID {
				return s[i].ExternalID < s[j].ExternalID
			}
			if s[i].Name != s[j].Name {
				return s[i].Name < s[j].Name
			}
			return s[i].ID < s[j].ID
		})
	}
	return c, nil
}

// related adds the techniques and software o uses and the campaigns
// attributed to it, skipping inactive ones and those already on the card.
func related(ctx context.Context, r Reader, c *Card, o *stix.Object) error {
	have := make(map[string]bool)
	for _, l := range [][]Related{c.Techniques, c.Software, c.Campaigns} {
		for _, x := range l {
			have[x.ID] = true
		}
	}
	fetch := func(id string) (*stix.Object, error) { return r.Object(ctx, id) }
	add := func(id string) error {
		if have[id] {
			return nil
		}
		t, err := fetch(id)
		if err != nil {
			return fmt.Errorf("relationship of %s: %w", o.ID, err)
		}
		if t.Revoked || t.Deprecated {
			return nil
		}
		have[id] = true
		x := Related{ID: t.ID, Type: t.Type, Name: t.Name, ExternalID: t.ExternalID("mitre-attack"), Via: o.ID}
		switch t.Type {
		case "attack-pattern":
			c.Techniques = append(c.Techniques, x)
		case "malware", "tool":
			c.Software = append(c.Software, x)
		case "campaign":
			c.Campaigns = append(c.Campaigns, x)
		}
		return nil
	}
	var targets, sources []string
	err := r.Relationships(ctx, RelationshipQuery{Types: []string{"uses"}, SourceRefs: []string{o.ID}, Brief: true}, func(rel *stix.Object) error {
		targets = append(targets, rel.TargetRef)
		return nil
	})
	if err != nil {
		return err
	}
	err = r.Relationships(ctx, RelationshipQuery{Types: []string{"attributed-to"}, TargetRefs: []string{o.ID}, Brief: true}, func(rel *stix.Object) error {
		if strings.HasPrefix(rel.SourceRef, "campaign--") {
			sources = append(sources, rel.SourceRef)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ids := append(targets, sources...)
	if b, ok := r.(ObjectsByID); ok && len(ids) > 1 {
		objs, err := b.ObjectsByID(ctx, ids)
		if err != nil {
			return fmt.Errorf("relationships of %s: %w", o.ID, err)
		}
		fetch = func(id string) (*stix.Object, error) {
			if t := objs[id]; t != nil {
				return t, nil
			}
			return r.Object(ctx, id) // its error, as without the batch
		}
	}
	for _, id := range ids {
		if err := add(id); err != nil {
			return err
		}
	}
	return nil
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// ActorSummary is one line of an actor listing.
type ActorSummary struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Name       string   `json:"name"`
	ExternalID string   `json:"external_id,omitempty"`
	Aliases    int      `json:"aliases"`
	Sources    []string `json:"sources"`
	Links      int      `json:"same_as"`
	Match      string   `json:"match,omitempty"` // the kind of name that matched the query
}

// ListActors lists the active actor objects, ordered by name then id, or
// with a non-empty query those the query matches (active or not), in
// lookup order.
func ListActors(ctx context.Context, r Reader, query string) ([]ActorSummary, error) {
	links, err := r.SameAs(ctx)
	if err != nil {
		return nil, err
	}
	byID := linksByID(links)
	var out []ActorSummary
	summarize := func(o *stix.Object, match NameKind) error {
		prov, err := r.Provenance(ctx, o.ID)
		if err != nil {
			return err
		}
		var sources []string
		for _, p := range prov {
			sources = appendUnique(sources, p.Source.Name)
		}
		aliases := 0
		for _, n := range NamesOf(o) {
			if n.Kind == KindAlias {
				aliases++
			}
		}
		out = append(out, ActorSummary{ID: o.ID, Type: o.Type, Name: o.Name, ExternalID: o.ExternalID("mitre-attack"),
			Aliases: aliases, Sources: sources, Links: len(byID[o.ID]), Match: string(match)})
		return nil
	}
	if query == "" {
		var objs []*stix.Object
		err := r.Objects(ctx, ObjectQuery{Types: []string{"intrusion-set", "threat-actor"}}, func(o *stix.Object) error {
			objs = append(objs, o)
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.SliceStable(objs, func(i, j int) bool {
			ni, nj := strings.ToLower(objs[i].Name), strings.ToLower(objs[j].Name)
			if ni != nj {
				return ni < nj
			}
			return objs[i].ID < objs[j].ID
		})
		for _, o := range objs {
			if err := summarize(o, ""); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	matches, err := r.LookupName(ctx, query)
	if err != nil {
		return nil, err
	}
	for _, m := range matches {
		if !IsActor(m.Type) {
			continue
		}
		o, err := r.Object(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if err := summarize(o, m.Kind); err != nil {
			return nil, err
		}
	}
	return out, nil
}
