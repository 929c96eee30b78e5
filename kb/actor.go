package kb

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// DefaultFold is the least same-as confidence at which a linked object is
// folded into an actor card: a shared external id, a shared primary name or
// an explicit relation without a stated confidence. A name of one actor
// listed as an alias of another (ConfidenceNameAlias) is not enough by
// default: MISP lists related groups (APT38, Andariel) among Lazarus
// Group's synonyms, and folding them would merge disputed aliases. Weaker
// links are listed on the card but not folded.
const DefaultFold = ConfidenceRelation

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
	// Confidence and Reason of the link to the card's primary object, or
	// where there is none, to the object the card was built from (links
	// are not chained); 100 and "" for the primary itself.
	Confidence int    `json:"confidence"`
	Reason     string `json:"reason,omitempty"`
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

// Card is what the knowledge base knows of one actor: its primary object
// and the objects linked to it by same-as links of at least the fold
// confidence, with everything they say.
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
	Matches    []NameMatch              `json:"matches,omitempty"`
	Inactive   bool                     `json:"inactive,omitempty"`
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

// primaryRank orders the members of a cluster to choose the card's primary
// object: an ATT&CK group first (it has a mitre-attack id and is not from a
// MISP galaxy), then any object with a mitre-attack id, then
// intrusion-sets, then by id.
func primaryRank(o *stix.Object) int {
	r := 3
	if o.ExternalID("mitre-attack") != "" {
		r = 1
		if !strings.Contains(string(o.Raw), `"x_misp_galaxy"`) {
			r = 0
		}
	} else if o.Type == "intrusion-set" {
		r = 2
	}
	if o.Revoked || o.Deprecated {
		r += 10
	}
	return r
}

// FindActors returns the actor cards for a query (a name, alias, external id
// or STIX id): each actor object the query matches, folded with the objects
// linked to it at confidence fold or more (fold <= 0 means DefaultFold).
// Matches linked to each other share one card. An empty result means no
// actor matches.
func FindActors(ctx context.Context, r Reader, query string, fold int) ([]*Card, error) {
	matches, err := r.LookupName(ctx, query)
	if err != nil {
		return nil, err
	}
	var actors []NameMatch
	for _, m := range matches {
		if IsActor(m.Type) {
			actors = append(actors, m)
		}
	}
	if len(actors) == 0 {
		return nil, nil
	}
	links, err := r.SameAs(ctx)
	if err != nil {
		return nil, err
	}
	if fold <= 0 {
		fold = DefaultFold
	}
	byID := linksByID(links)
	var cards []*Card
	done := make(map[string]*Card)
	for _, m := range actors {
		if c, ok := done[m.ID]; ok {
			c.Matches = append(c.Matches, m)
			continue
		}
		c, err := buildCard(ctx, r, m.ID, byID, fold)
		if err != nil {
			return nil, err
		}
		for _, mem := range c.Members {
			if _, ok := done[mem.ID]; !ok {
				done[mem.ID] = c
			}
		}
		c.Matches = append(c.Matches, m)
		cards = append(cards, c)
	}
	return cards, nil
}

// ActorCard returns the card of the actor object with this id, or an error
// wrapping ErrNotFound.
func ActorCard(ctx context.Context, r Reader, id string, fold int) (*Card, error) {
	links, err := r.SameAs(ctx)
	if err != nil {
		return nil, err
	}
	if fold <= 0 {
		fold = DefaultFold
	}
	return buildCard(ctx, r, id, linksByID(links), fold)
}

func linksByID(links []SameAs) map[string][]SameAs {
	m := make(map[string][]SameAs)
	for _, l := range links {
		m[l.A] = append(m[l.A], l)
		m[l.B] = append(m[l.B], l)
	}
	return m
}

// buildCard folds the object id with its direct links of at least fold
// confidence (links are not followed transitively: a chain of aliases is
// not evidence of identity), picks the primary, and assembles the card.
func buildCard(ctx context.Context, r Reader, id string, byID map[string][]SameAs, fold int) (*Card, error) {
	start, err := r.Object(ctx, id)
	if err != nil {
		return nil, err
	}
	objs := []*stix.Object{start}
	for _, l := range byID[id] {
		if l.Confidence < fold {
			continue
		}
		o, err := r.Object(ctx, l.Other(id))
		if err != nil {
			return nil, fmt.Errorf("same-as link %s: %w", l.Other(id), err)
		}
		objs = append(objs, o)
	}
	// The primary is the member most strongly linked to the object the
	// card starts from (itself counting 100), an ATT&CK object first among
	// equals: "Unit 121" (a MISP synonym) gives ATT&CK's Lazarus Group.
	strength := func(o *stix.Object) int {
		if o.ID == id {
			return 100
		}
		for _, l := range byID[id] {
			if l.Other(id) == o.ID {
				return l.Confidence
			}
		}
		return 0
	}
	sort.SliceStable(objs, func(i, j int) bool {
		// Members linked by a shared name or stronger rank with the
		// start itself; below, the stronger link wins.
		si, sj := min(strength(objs[i]), ConfidenceName), min(strength(objs[j]), ConfidenceName)
		if si != sj {
			return si > sj
		}
		ri, rj := primaryRank(objs[i]), primaryRank(objs[j])
		if ri != rj {
			return ri < rj
		}
		return objs[i].ID < objs[j].ID
	})
	p := objs[0]
	c := &Card{Primary: p, ID: p.ID, Name: p.Name, ExternalID: p.ExternalID("mitre-attack"),
		Inactive:   p.Revoked || p.Deprecated,
		Techniques: []Related{}, Software: []Related{}, Campaigns: []Related{}, References: []stix.ExternalReference{}}

	// Confidence of each member to the primary: direct link if any, else
	// through the object the query started from.
	conf := func(o *stix.Object) (int, string) {
		if o.ID == p.ID {
			return 100, ""
		}
		for _, l := range byID[p.ID] {
			if l.Other(p.ID) == o.ID {
				return l.Confidence, l.Reason
			}
		}
		for _, l := range byID[start.ID] {
			if l.Other(start.ID) == o.ID {
				return l.Confidence, l.Reason
			}
		}
		return 0, ""
	}

	names := make(map[string]*ActorName)
	var nameOrder []string
	seenLink := make(map[[2]string]bool)
	seenRef := make(map[string]bool)
	countries := make(map[string]bool)
	sponsors := make(map[string]bool)
	for _, o := range objs {
		prov, err := r.Provenance(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		var sources []string
		for _, pv := range prov {
			sources = appendUnique(sources, pv.Source.Name)
		}
		cf, reason := conf(o)
		c.Members = append(c.Members, Member{ID: o.ID, Type: o.Type, Name: o.Name,
			ExternalID: o.ExternalID("mitre-attack"), Sources: sources, Confidence: cf, Reason: reason})
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
		for _, l := range byID[o.ID] {
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
	add := func(id string) error {
		if have[id] {
			return nil
		}
		t, err := r.Object(ctx, id)
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
	err := r.Relationships(ctx, RelationshipQuery{Types: []string{"uses"}, SourceRefs: []string{o.ID}}, func(rel *stix.Object) error {
		targets = append(targets, rel.TargetRef)
		return nil
	})
	if err != nil {
		return err
	}
	err = r.Relationships(ctx, RelationshipQuery{Types: []string{"attributed-to"}, TargetRefs: []string{o.ID}}, func(rel *stix.Object) error {
		if strings.HasPrefix(rel.SourceRef, "campaign--") {
			sources = append(sources, rel.SourceRef)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range append(targets, sources...) {
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
