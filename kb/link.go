package kb

import (
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// Reasons for a same-as link, strongest first.
const (
	ReasonExternalID = "shared external id"
	ReasonRelation   = "explicit relation"
	ReasonName       = "shared name"
	ReasonAlias      = "shared alias"
	// ReasonAttributed: one actor is attributed-to the other (a persona
	// to the unit behind it, an intrusion-set to a threat-actor).
	ReasonAttributed = "attributed-to"
)

// Link confidences (0-100, as STIX confidence) by reason.
const (
	ConfidenceExternalID = 95 // both carry the same external id (mitre-attack G0032)
	ConfidenceRelation   = 80 // a same-as relationship without its own confidence
	ConfidenceName       = 85 // the same primary name
	ConfidenceNameAlias  = 70 // the name (or external id) of one is an alias of the other
	ConfidenceAliasAlias = 50 // they share only an alias
	ConfidenceAttributed = 50 // an attributed-to relationship between actors without its own confidence
)

// SameAs says that two actor objects, supplied under different ids, probably
// describe the same actor. It is a claim with a confidence, never a merge.
type SameAs struct {
	A          string `json:"a"` // STIX ids, A < B
	B          string `json:"b"`
	Confidence int    `json:"confidence"` // 0-100
	Reason     string `json:"reason"`     // one of the Reason constants
	// Source is the evidence for the link: the shared external id as
	// "source_name:external_id", the shared name or alias as written in A,
	// or the id of the relationship.
	Source string `json:"source,omitempty"`
}

// Other returns the end of the link that is not id.
func (l SameAs) Other(id string) string {
	if l.A == id {
		return l.B
	}
	return l.A
}

// nameRef is one holder of a name in Link.
type nameRef struct {
	actor int
	kind  NameKind
	name  string
}

// RelationTypes are the relationship_type values that state that two actors
// are the same: STIX has none, so these are the conventional custom ones and
// MISP's "similar".
var relationTypes = map[string]bool{"same-as": true, "duplicate-of": true, "similar": true}

// IsSameAsRelation reports whether a relationship_type states that its ends
// are the same actor ("same-as", "duplicate-of", MISP "similar").
func IsSameAsRelation(relType string) bool { return relationTypes[relType] }

// Link computes the same-as links between the active actor objects
// (intrusion-set, threat-actor) of objs, from their names and external ids
// and from relationships among objs: same-as relationships (see
// IsSameAsRelation) and attributed-to between two actors. Objects of other
// types serve only as relationships; revoked and deprecated objects are
// ignored. Each pair of ids gets at most one link, with its strongest
// reason: a shared external id (ConfidenceExternalID), an explicit
// relation (its confidence, else ConfidenceRelation or
// ConfidenceAttributed), a shared primary name (ConfidenceName), the name
// or external id of one equal to an alias of the other
// (ConfidenceNameAlias), aliases only (ConfidenceAliasAlias).
//
// A name links objects of different catalogues (see Catalogue) only, and
// only through each catalogue's owner of the name: the object that has it
// as its name or external id, else the one object that has it as an
// alias. A name that a catalogue gives as an alias of several of its
// objects and as the name of none (an umbrella such as "Grizzly Steppe")
// is ambiguous there and links nothing of that catalogue; a name that a
// catalogue gives to one object and lists as an alias of others (MISP
// lists APT38 among Lazarus Group's synonyms and has its own APT38
// cluster) links only its owner.
//
// Link is pure and deterministic: the result is sorted by A, then B.
func Link(objs []*stix.Object) []SameAs {
	var actors []*stix.Object
	index := make(map[string]int)
	for _, o := range objs {
		if o == nil || !IsActor(o.Type) || o.Revoked || o.Deprecated {
			continue
		}
		if _, dup := index[o.ID]; dup {
			continue
		}
		index[o.ID] = len(actors)
		actors = append(actors, o)
	}
	best := make(map[[2]string]SameAs)
	propose := func(a, b *stix.Object, conf int, reason, source string) {
		if a.ID == b.ID {
			return
		}
		if b.ID < a.ID {
			a, b = b, a
		}
		k := [2]string{a.ID, b.ID}
		l := SameAs{A: a.ID, B: b.ID, Confidence: conf, Reason: reason, Source: source}
		if cur, ok := best[k]; ok && !stronger(l, cur) {
			return
		}
		best[k] = l
	}

	names := make(map[string][]nameRef)  // Normalize(name) -> names
	extIDs := make(map[string][]nameRef) // source_name:Normalize(external_id) -> holders
	for i, a := range actors {
		for _, n := range NamesOf(a) {
			names[n.Norm] = append(names[n.Norm], nameRef{i, n.Kind, n.Name})
		}
		for _, r := range a.ExternalReferences {
			if r.ExternalID == "" {
				continue
			}
			k := strings.ToLower(r.SourceName) + ":" + Normalize(r.ExternalID)
			extIDs[k] = append(extIDs[k], nameRef{i, KindExternalID, r.SourceName + ":" + r.ExternalID})
		}
	}
	for _, refs := range extIDs {
		for i := range refs {
			for j := i + 1; j < len(refs); j++ {
				propose(actors[refs[i].actor], actors[refs[j].actor], ConfidenceExternalID, ReasonExternalID, refs[i].name)
			}
		}
	}
	for _, refs := range names {
		refs = nameOwners(refs, actors)
		for i := range refs {
			for j := i + 1; j < len(refs); j++ {
				x, y := refs[i], refs[j]
				if x.actor == y.actor {
					continue
				}
				var conf int
				var reason string
				switch {
				case x.kind == KindPrimary && y.kind == KindPrimary:
					conf, reason = ConfidenceName, ReasonName
				case x.kind == KindAlias && y.kind == KindAlias:
					conf, reason = ConfidenceAliasAlias, ReasonAlias
				case x.kind == KindAlias || y.kind == KindAlias:
					conf, reason = ConfidenceNameAlias, ReasonAlias
				default:
					// A name of one equal to an external id of the other,
					// or external ids of different catalogues: as strong
					// as a name shared with an alias.
					conf, reason = ConfidenceNameAlias, ReasonAlias
				}
				a, b := actors[x.actor], actors[y.actor]
				src := x.name
				if b.ID < a.ID {
					src = y.name
				}
				propose(a, b, conf, reason, src)
			}
		}
	}
	for _, o := range objs {
		if o == nil || o.Type != "relationship" || o.Revoked || o.Deprecated {
			continue
		}
		conf, reason := ConfidenceRelation, ReasonRelation
		switch {
		case IsSameAsRelation(o.RelationshipType):
		case o.RelationshipType == "attributed-to":
			conf, reason = ConfidenceAttributed, ReasonAttributed
		default:
			continue
		}
		i, ok1 := index[o.SourceRef]
		j, ok2 := index[o.TargetRef]
		if !ok1 || !ok2 {
			continue
		}
		if o.Confidence != nil && *o.Confidence >= 0 && *o.Confidence <= 100 {
			conf = *o.Confidence
		}
		propose(actors[i], actors[j], conf, reason, o.ID)
	}

	out := make([]SameAs, 0, len(best))
	for _, l := range best {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].A != out[j].A {
			return out[i].A < out[j].A
		}
		return out[i].B < out[j].B
	})
	return out
}

// stronger reports whether l should replace cur as the link of a pair: a
// higher confidence, then a stronger reason, then the smaller evidence (so
// the result does not depend on map order).
func stronger(l, cur SameAs) bool {
	if l.Confidence != cur.Confidence {
		return l.Confidence > cur.Confidence
	}
	if ra, rb := reasonRank(l.Reason), reasonRank(cur.Reason); ra != rb {
		return ra < rb
	}
	return l.Source < cur.Source
}

func reasonRank(r string) int {
	switch r {
	case ReasonExternalID:
		return 0
	case ReasonRelation:
		return 1
	case ReasonAttributed:
		return 2
	case ReasonName:
		return 3
	default:
		return 4
	}
}

// nameOwners keeps, of the holders of one name, those through which the
// name may link (see Link): per catalogue, the holders that have it as a
// name or external id, else the only holder that has it as an alias;
// holders of no catalogue are kept.
func nameOwners(refs []nameRef, actors []*stix.Object) []nameRef {
	if len(refs) < 2 {
		return refs
	}
	byCat := map[string][]nameRef{}
	var cats []string
	var out []nameRef
	for _, r := range refs {
		c := Catalogue(actors[r.actor])
		if c == "" {
			out = append(out, r)
			continue
		}
		if _, ok := byCat[c]; !ok {
			cats = append(cats, c)
		}
		byCat[c] = append(byCat[c], r)
	}
	for _, c := range cats {
		rs := byCat[c]
		var strong []nameRef
		holders := map[int]bool{}
		for _, r := range rs {
			holders[r.actor] = true
			if r.kind != KindAlias {
				strong = append(strong, r)
			}
		}
		switch {
		case len(strong) > 0:
			out = append(out, strong...)
		case len(holders) == 1:
			out = append(out, rs...)
		}
	}
	return out
}
