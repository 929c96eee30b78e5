package attrib

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/similarity"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/tlsh"
)

// Link says that two actor objects are probably the same: the knowledge
// base's same-as link (kb.SameAs), the one definition every consumer uses.
type Link = kb.SameAs

// Member is one actor object folded into a hypothesis.
type Member struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
}

// Campaign is a campaign attributed to one of a hypothesis' objects.
type Campaign struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Actor      string `json:"actor"`      // the member it is attributed to
	Confidence int    `json:"confidence"` // of the attributed-to relationship (50 when absent)
	Source     string `json:"source,omitempty"`
}

type campaignRef struct {
	actor  int
	conf   int
	name   string // the campaign's
	target string // name of the actor object it is attributed to
}

// Citation is one source that supports a relationship.
type Citation struct {
	Source string `json:"source"`
	URL    string `json:"url,omitempty"`
}

// Actor is one hypothesis: one or more actor objects folded together.
type Actor struct {
	ID         string     // STIX id of the primary object
	IDs        []string   // every folded id, primary first
	Name       string     // the primary object's name
	ExternalID string     // ATT&CK group id (G0032) of the primary, if any
	Aliases    []string   // every other name and alias, deduplicated
	Members    []Member   // the folded objects, primary first
	Campaigns  []Campaign // campaigns attributed to the folded objects
	Links      []Link     // the links that folded the objects together

	techs    map[int]float64 // technique index → weighted count
	direct   map[int]bool    // techniques used directly or through campaigns
	sw       map[int]float64 // software index → weighted count
	techN    float64
	swN      float64
	reports  float64               // distinct sources cited for the actor's behaviour (weighted by recency, see BehaviourOptions)
	nb       []neighbour           // most similar actors, most similar first
	cites    map[string][]Citation // "t:<idx>" / "s:<idx>" → citations
	sectors  map[string]bool
	country  map[string]bool
	hasVicts bool
}

// neighbour is a similar actor and its cosine similarity.
type neighbour struct {
	actor int
	sim   float64
}

type technique struct {
	id, extID, name string
	parent          int // index of the parent technique, -1 if none
}

type software struct {
	id, extID, name, typ string
	techs                []int
}

// KnowledgeOptions tunes how NewKnowledge folds actors.
type KnowledgeOptions struct {
	// LinkThreshold is the fold threshold of the actor clusters (see
	// kb.Clusters): the minimum confidence of a same-as link for it to
	// fold two actors into one hypothesis. Zero means kb.DefaultFold.
	LinkThreshold int
	// Behaviour weighs behaviour by its age (zero: no decay).
	Behaviour BehaviourOptions
	// Samples is the persisted index of the knowledge base's samples
	// (similarity.Load), searched instead of building one; nil builds it
	// from objs. Samples it holds that lead to no actor are ignored.
	Samples *similarity.Index
}

// DefaultLinkThreshold is the default fold threshold, the knowledge
// base's: an actor card and a hypothesis hold the same members.
const DefaultLinkThreshold = kb.DefaultFold

// Knowledge is an immutable index of what is known about actors, built
// once by NewKnowledge and safe for concurrent use by Attribute.
type Knowledge struct {
	actors  []*Actor
	actorBy map[string]int // folded STIX id → actor
	names   map[string][]int
	// campaignNames: normalised campaign name or alias → attributed actors
	campaignNames map[string][]campaignRef

	techs              []technique
	children           map[int][]int // technique index → its sub-techniques
	techBy             map[string]int
	sws                []software
	swBy               map[string]int
	techDF             []float64 // weighted number of actors using each technique
	swDF               []float64
	techDFn            float64
	swDFn              float64
	techNovel, swNovel int     // items that no actor uses
	meanTechN, meanSwN float64 // mean profile sizes over actors with any

	// indicators: normalised value → actor index → path description
	iocs map[string]map[int]string
	// samples: fuzzy hashes of known files with the actors they lead to,
	// searched through sampleIx (whose sample i is samples[i]).
	samples  []knownSample
	sampleIx *similarity.Index
	sampleAt map[string]int // file id -> index in samples

	sectorDF  map[string]int
	countryDF map[string]int
	victActs  int // actors with any victimology

	netCache netCache  // network view of the address indicators (network.go)
	items    itemCache // ratios of the techniques and software met (itemcache.go)
}

type knownSample struct {
	id, name   string
	tlsh       *tlsh.Digest
	ssdeep     *ssdeep.Digest
	family     string // malware name
	actors     []int
	familyPath string
}

// Actors returns the hypotheses, in a stable order (by name).
func (k *Knowledge) Actors() []*Actor { return k.actors }

// Actor returns the hypothesis that holds the STIX id, or nil.
func (k *Knowledge) Actor(id string) *Actor {
	if i, ok := k.actorBy[id]; ok {
		return k.actors[i]
	}
	return nil
}

// TechniqueCount and SoftwareCount report the size of the vocabularies.
func (k *Knowledge) TechniqueCount() int { return len(k.techs) }

// SoftwareCount reports the number of malware and tool objects known.
func (k *Knowledge) SoftwareCount() int { return len(k.sws) }

func isActorType(t string) bool { return t == "intrusion-set" || t == "threat-actor" }

func active(o *stix.Object) bool { return !o.Revoked && !o.Deprecated }

func citations(o *stix.Object) []Citation {
	var cs []Citation
	for _, r := range o.ExternalReferences {
		if r.SourceName == "mitre-attack" || r.SourceName == "" {
			continue
		}
		cs = append(cs, Citation{Source: r.SourceName, URL: r.URL})
	}
	return cs
}

// NewKnowledge indexes objs (any mix of STIX types; unknown ones are
// ignored) and the same-as links. Objects are used as given: callers that
// hold several versions of an object pass the current one only.
func NewKnowledge(objs []*stix.Object, links []Link, opt KnowledgeOptions) *Knowledge {
	if opt.LinkThreshold <= 0 {
		opt.LinkThreshold = DefaultLinkThreshold
	}
	k := &Knowledge{
		actorBy:       map[string]int{},
		names:         map[string][]int{},
		campaignNames: map[string][]campaignRef{},
		techBy:        map[string]int{},
		swBy:          map[string]int{},
		iocs:          map[string]map[int]string{},
		sectorDF:      map[string]int{},
		countryDF:     map[string]int{},
	}
	byID := make(map[string]*stix.Object, len(objs))
	var rels []*stix.Object
	for _, o := range objs {
		if o == nil || o.ID == "" {
			continue
		}
		if o.Type == "relationship" {
			if active(o) {
				rels = append(rels, o)
			}
			continue
		}
		byID[o.ID] = o
	}
	// Stable order: sort ids once.
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	sort.SliceStable(rels, func(i, j int) bool { return rels[i].ID < rels[j].ID })

	k.indexTechniques(ids, byID, rels)
	k.indexSoftware(ids, byID)
	k.foldActors(ids, byID, links, opt.LinkThreshold)
	k.indexBehaviour(byID, rels, opt.Behaviour)
	k.indexNeighbours()
	k.indexVictims(ids, byID, rels)
	k.indexIndicators(ids, byID, rels)
	k.indexSamples(opt.Samples)
	return k
}

func (k *Knowledge) indexTechniques(ids []string, byID map[string]*stix.Object, rels []*stix.Object) {
	for _, id := range ids {
		o := byID[id]
		if o.Type != "attack-pattern" || !active(o) {
			continue
		}
		t := technique{id: id, extID: o.ExternalID("mitre-attack"), name: o.Name, parent: -1}
		i := len(k.techs)
		k.techs = append(k.techs, t)
		k.techBy[id] = i
		if t.extID != "" {
			k.techBy[strings.ToUpper(t.extID)] = i
		}
		if n := kb.Normalize(o.Name); n != "" {
			if _, dup := k.techBy["n:"+n]; !dup {
				k.techBy["n:"+n] = i
			}
		}
	}
	k.children = map[int][]int{}
	for i := range k.techs {
		ext := k.techs[i].extID
		if dot := strings.IndexByte(ext, '.'); dot > 0 {
			if p, ok := k.techBy[strings.ToUpper(ext[:dot])]; ok {
				k.techs[i].parent = p
				k.children[p] = append(k.children[p], i)
			}
		}
	}
	// Revoked techniques resolve to their replacement.
	for _, r := range rels {
		if r.RelationshipType != "revoked-by" {
			continue
		}
		old, ok := byID[r.SourceRef]
		if !ok || old.Type != "attack-pattern" {
			continue
		}
		to, ok := k.techBy[r.TargetRef]
		if !ok {
			continue
		}
		k.techBy[old.ID] = to
		if ext := old.ExternalID("mitre-attack"); ext != "" {
			if _, taken := k.techBy[strings.ToUpper(ext)]; !taken {
				k.techBy[strings.ToUpper(ext)] = to
			}
		}
	}
}

func (k *Knowledge) indexSoftware(ids []string, byID map[string]*stix.Object) {
	for _, id := range ids {
		o := byID[id]
		if (o.Type != "malware" && o.Type != "tool") || !active(o) {
			continue
		}
		s := software{id: id, extID: o.ExternalID("mitre-attack"), name: o.Name, typ: o.Type}
		i := len(k.sws)
		k.sws = append(k.sws, s)
		k.swBy[id] = i
		if s.extID != "" {
			k.swBy[strings.ToUpper(s.extID)] = i
		}
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if n := kb.Normalize(n); n != "" {
				if _, dup := k.swBy["n:"+n]; !dup {
					k.swBy["n:"+n] = i
				}
			}
		}
	}
}

// foldActors builds one hypothesis per actor cluster of the knowledge
// base (kb.Clusters owns the fold rule).
func (k *Knowledge) foldActors(ids []string, byID map[string]*stix.Object, links []Link, threshold int) {
	var actorObjs []*stix.Object
	for _, id := range ids {
		if o := byID[id]; isActorType(o.Type) && active(o) {
			actorObjs = append(actorObjs, o)
		}
	}
	for _, cl := range kb.NewClusters(actorObjs, links, threshold).All() {
		p := cl.Primary()
		a := &Actor{ID: p.ID, Name: p.Name, ExternalID: p.ExternalID("mitre-attack"),
			techs: map[int]float64{}, direct: map[int]bool{}, sw: map[int]float64{}, cites: map[string][]Citation{},
			sectors: map[string]bool{}, country: map[string]bool{}}
		seen := map[string]bool{kb.Normalize(p.Name): true}
		for i, o := range cl.Members {
			a.IDs = append(a.IDs, o.ID)
			a.Members = append(a.Members, Member{ID: o.ID, Type: o.Type, Name: o.Name})
			for _, n := range append([]string{o.Name}, o.Aliases...) {
				if nn := kb.Normalize(n); nn != "" && !seen[nn] {
					seen[nn] = true
					a.Aliases = append(a.Aliases, n)
				}
			}
			if i > 0 {
				a.Links = append(a.Links, cl.Joined[i])
			}
		}
		k.actors = append(k.actors, a)
	}
	sort.SliceStable(k.actors, func(i, j int) bool {
		if k.actors[i].Name != k.actors[j].Name {
			return k.actors[i].Name < k.actors[j].Name
		}
		return k.actors[i].ID < k.actors[j].ID
	})
	for i, a := range k.actors {
		for _, id := range a.IDs {
			k.actorBy[id] = i
		}
		k.addName(a.Name, i)
		for _, n := range a.Aliases {
			k.addName(n, i)
		}
	}
}

func (k *Knowledge) addName(n string, i int) {
	nn := kb.Normalize(n)
	if nn == "" {
		return
	}
	for _, j := range k.names[nn] {
		if j == i {
			return
		}
	}
	k.names[nn] = append(k.names[nn], i)
}

// Weights of indirect behaviour; they are structural, not fitted.
const (
	softwareTechniqueWeight = 0.07 // technique used by software the actor uses
	// citationExponent: a relationship cited by n sources counts n^citationExponent.
	citationExponent = 0.5
)

// indexBehaviour builds each actor's profile from its uses relationships
// and from those of the incidents and campaigns attributed to it (see
// behaviour.go for their weights).
func (k *Knowledge) indexBehaviour(byID map[string]*stix.Object, rels []*stix.Object, bo BehaviourOptions) {
	// The knowledge's date, from which behaviour ages: its newest
	// relationship or attributed behaviour.
	var asOf time.Time
	if bo.HalfLife > 0 || bo.UsesHalfLife > 0 || bo.ActivityHalfLife > 0 {
		for _, r := range rels {
			if r.Modified.After(asOf) {
				asOf = r.Modified
			}
			if r.RelationshipType == "attributed-to" {
				if c := byID[r.SourceRef]; c != nil && (c.Type == "campaign" || c.Type == "incident") && active(c) {
					if d := behaviourDate(c); d.After(asOf) {
						asOf = d
					}
				}
			}
		}
	}
	// Campaigns and incidents attributed to actors.
	attributed := map[string][]attribution{}
	for _, r := range rels {
		if r.RelationshipType != "attributed-to" {
			continue
		}
		c := byID[r.SourceRef]
		if c == nil || (c.Type != "campaign" && c.Type != "incident") || !active(c) {
			continue
		}
		if ai, ok := k.actorBy[r.TargetRef]; ok {
			attributed[r.SourceRef] = append(attributed[r.SourceRef], attribution{ai, attributedWeight(r.Confidence, behaviourDate(c), asOf, bo.HalfLife)})
			if c.Type != "campaign" {
				continue
			}
			conf := 50
			if r.Confidence != nil {
				conf = *r.Confidence
			}
			src := ""
			if cs := citations(r); len(cs) > 0 {
				src = cs[0].Source
			}
			a := k.actors[ai]
			a.Campaigns = append(a.Campaigns, Campaign{ID: c.ID, Name: c.Name, Actor: r.TargetRef, Confidence: conf, Source: src})
			target := r.TargetRef
			if o := byID[target]; o != nil {
				target = o.Name
			}
			ref := campaignRef{actor: ai, conf: conf, name: c.Name, target: target}
			for _, n := range append([]string{c.Name}, c.Aliases...) {
				if nn := kb.Normalize(n); nn != "" && !slices.Contains(k.campaignNames[nn], ref) {
					k.campaignNames[nn] = append(k.campaignNames[nn], ref)
				}
			}
		}
	}
	type use struct {
		actor int
		w     float64
	}
	swUsers := map[int][]use{}
	reportSeen := map[int]map[string]time.Time{} // actor → source → its newest date
	var incMass map[massKey]float64
	for _, r := range rels {
		if r.RelationshipType != "uses" {
			continue
		}
		var users []use
		if ai, ok := k.actorBy[r.SourceRef]; ok {
			w := 1.0
			if bo.UsesHalfLife > 0 {
				w = recency(usesDate(r), asOf, bo.UsesHalfLife)
			}
			users = []use{{ai, w}}
		} else if as, ok := attributed[r.SourceRef]; ok {
			for _, at := range as {
				users = append(users, use(at))
			}
		} else if si, ok := k.swBy[r.SourceRef]; ok {
			if ti, ok := k.techBy[r.TargetRef]; ok && strings.HasPrefix(r.TargetRef, "attack-pattern--") {
				k.sws[si].techs = append(k.sws[si].techs, ti)
			}
			continue
		}
		if len(users) == 0 {
			continue
		}
		cs := citations(r)
		for _, u := range users {
			m := reportSeen[u.actor]
			if m == nil {
				m = map[string]time.Time{}
				reportSeen[u.actor] = m
			}
			for _, ref := range r.ExternalReferences {
				if ref.SourceName == "mitre-attack" || ref.SourceName == "" {
					continue
				}
				key := firstNonEmpty(ref.URL, ref.SourceName)
				// Dating sources parses their descriptions: only when they age.
				var d time.Time
				if bo.ActivityHalfLife > 0 {
					d = citationDate(ref, r)
				}
				if prev, ok := m[key]; !ok || d.After(prev) {
					m[key] = d
				}
			}
		}
		// A relationship weighs more the more sources cite it: what several
		// reports say about an actor is its habit, and likely in the next.
		cw := math.Pow(float64(max(1, len(cs))), citationExponent)
		_, own := k.actorBy[r.SourceRef]
		if ti, ok := k.techBy[r.TargetRef]; ok && strings.HasPrefix(r.TargetRef, "attack-pattern--") {
			for _, u := range users {
				a := k.actors[u.actor]
				if own {
					a.techs[ti] = max(a.techs[ti], u.w*cw)
				} else {
					attributedMass(&incMass, u.actor, "t", ti, u.w*u.w*float64(max(1, len(cs))))
				}
				a.direct[ti] = true
				key := "t:" + itoa(ti)
				a.cites[key] = appendCites(a.cites[key], cs)
			}
		} else if si, ok := k.swBy[r.TargetRef]; ok {
			for _, u := range users {
				a := k.actors[u.actor]
				if own {
					a.sw[si] = max(a.sw[si], u.w*cw)
				} else {
					attributedMass(&incMass, u.actor, "s", si, u.w*u.w*float64(max(1, len(cs))))
				}
				key := "s:" + itoa(si)
				a.cites[key] = appendCites(a.cites[key], cs)
				swUsers[si] = append(swUsers[si], u)
			}
		}
	}
	// Incidents and campaigns add to the actor's own behaviour as further
	// sources would. An actor's own relationship cited by n sources counts
	// n^citationExponent, so its "mass" is n; an attributed relationship
	// of weight w cited by n sources adds w²n, and the count is
	// (own² + Σ w²n)^citationExponent. With one source of weight 1 and no
	// own relationship this is the weight of an own relationship.
	for key, m := range incMass {
		a := k.actors[key.actor]
		counts := a.techs
		if key.kind == "s" {
			counts = a.sw
		}
		own := counts[key.item]
		counts[key.item] = math.Pow(own*own+m, citationExponent)
	}
	// Techniques implied by software, and parents of sub-techniques.
	stw := softwareTechniqueWeight
	if bo.SoftwareTechniques > 0 {
		stw = bo.SoftwareTechniques
	}
	for _, a := range k.actors {
		for si, w := range a.sw {
			for _, ti := range k.sws[si].techs {
				if v := w * stw; a.techs[ti] < v {
					a.techs[ti] = v
				}
			}
		}
	}
	defer func() {
		var nt, ns int
		for _, a := range k.actors {
			if a.techN > 0 {
				k.meanTechN += a.techN
				nt++
			}
			if a.swN > 0 {
				k.meanSwN += a.swN
				ns++
			}
		}
		k.meanTechN /= float64(max(nt, 1))
		k.meanSwN /= float64(max(ns, 1))
		for _, df := range k.techDF {
			if df == 0 {
				k.techNovel++
			}
		}
		for _, df := range k.swDF {
			if df == 0 {
				k.swNovel++
			}
		}
	}()
	for ai, m := range reportSeen {
		k.actors[ai].reports = activity(m, asOf, bo.ActivityHalfLife)
	}
	k.techDF = make([]float64, len(k.techs))
	k.swDF = make([]float64, len(k.sws))
	// Sums run in index order, so that results are bit-for-bit reproducible.
	for _, a := range k.actors {
		for _, ti := range sortedKeys(a.techs) {
			w := a.techs[ti]
			a.techN += w
			k.techDF[ti] += w
			k.techDFn += w
		}
		for _, si := range sortedKeys(a.sw) {
			w := a.sw[si]
			a.swN += w
			k.swDF[si] += w
			k.swDFn += w
		}
	}
}

func sortedKeys(m map[int]float64) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

func appendCites(have, add []Citation) []Citation {
	const maxCites = 8
	for _, c := range add {
		if len(have) >= maxCites {
			break
		}
		dup := false
		for _, h := range have {
			if h == c {
				dup = true
				break
			}
		}
		if !dup {
			have = append(have, c)
		}
	}
	return have
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// target records that the actor targeted t (an identity or a location).
func (k *Knowledge) target(a *Actor, t *stix.Object) {
	var props struct {
		Sectors []string `json:"sectors"`
		Country string   `json:"country"`
	}
	if len(t.Raw) > 0 {
		_ = json.Unmarshal(t.Raw, &props) // best effort: a malformed object adds nothing
	}
	switch t.Type {
	case "identity":
		for _, s := range props.Sectors {
			a.sectors[kb.Normalize(s)] = true
		}
	case "location":
		if props.Country != "" {
			a.country[countryCode(props.Country)] = true
		}
	}
}

func (k *Knowledge) indexVictims(ids []string, byID map[string]*stix.Object, rels []*stix.Object) {
	for _, r := range rels {
		if r.RelationshipType != "targets" {
			continue
		}
		var targeting []int
		if ai, ok := k.actorBy[r.SourceRef]; ok {
			targeting = []int{ai}
		} else if s := byID[r.SourceRef]; s != nil && s.Type == "campaign" {
			for _, a := range k.actors {
				for _, c := range a.Campaigns {
					if c.ID == s.ID {
						targeting = append(targeting, k.actorBy[a.ID])
					}
				}
			}
		}
		t := byID[r.TargetRef]
		if t == nil || len(targeting) == 0 {
			continue
		}
		for _, ai := range targeting {
			k.target(k.actors[ai], t)
		}
	}
	for _, id := range ids {
		o := byID[id]
		ai, ok := k.actorBy[id]
		if !ok || len(o.Raw) == 0 || !bytes.Contains(o.Raw, []byte("x_misp_")) {
			continue
		}
		var props struct {
			Victims []string `json:"x_misp_cfr_suspected_victims"`
			Targets []string `json:"x_misp_cfr_target_category"`
		}
		_ = json.Unmarshal(o.Raw, &props) // best effort
		a := k.actors[ai]
		for _, v := range props.Victims {
			if c := countryCode(v); c != "" {
				a.country[c] = true
			}
		}
		for _, s := range props.Targets {
			a.sectors[kb.Normalize(s)] = true
		}
	}
	for _, a := range k.actors {
		a.hasVicts = len(a.sectors)+len(a.country) > 0
		if a.hasVicts {
			k.victActs++
		}
		for s := range a.sectors {
			k.sectorDF[s]++
		}
		for c := range a.country {
			k.countryDF[c]++
		}
	}
}

// patternValue matches one comparison in a STIX pattern, e.g.
// [ipv4-addr:value = '198.51.100.7'] or [file:hashes.'SHA-256' = '...'].
var patternValue = regexp.MustCompile(`([a-z0-9-]+):([A-Za-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'`)

// PatternValues returns the (object type, value) pairs compared for
// equality in a STIX pattern. Other comparisons are ignored. At most 64
// pairs are returned, and patterns over 64 KiB are ignored.
func PatternValues(pattern string) [][2]string {
	if len(pattern) > 64<<10 {
		return nil
	}
	var out [][2]string
	for _, m := range patternValue.FindAllStringSubmatch(pattern, 64) {
		typ := m[1]
		if typ == "file" {
			typ = "file:" + strings.ReplaceAll(m[2], "'", "")
		}
		out = append(out, [2]string{typ, strings.ReplaceAll(m[3], `\'`, `'`)})
	}
	return out
}

// iocKey normalises an indicator value for exact matching.
func iocKey(typ, v string) string {
	// Hashes of every algorithm share one space: a pattern or a case may
	// give a bare value without saying which algorithm made it.
	if strings.HasPrefix(typ, "file") {
		return "h:" + strings.ToLower(strings.TrimSpace(v))
	}
	// Everything else in ioc's canonical form, the one the case parser
	// and the extractor give (IPv6 compressed, domains without the final
	// dot, URLs normalised).
	if n, err := ioc.Normalize(ioc.Type(typ), v); err == nil {
		return typ + "\x00" + n
	}
	return typ + "\x00" + strings.TrimSpace(v)
}

// relTypes are the relationships followed from an indicator or observable
// to an actor.
var relTypes = map[string]bool{
	"indicates": true, "uses": true, "attributed-to": true, "related-to": true,
	"consists-of": true, "communicates-with": true, "based-on": true, "derived-from": true,
	"controls": true, "hosts": true, "owns": true, "resolves-to": true, "beacons-to": true,
}

func (k *Knowledge) indexIndicators(ids []string, byID map[string]*stix.Object, rels []*stix.Object) {
	adj := map[string][]string{}
	relFor := func(a, b string) {
		adj[a] = append(adj[a], b)
		adj[b] = append(adj[b], a)
	}
	for _, r := range rels {
		if !relTypes[r.RelationshipType] {
			continue
		}
		// Do not walk through techniques: every actor uses them.
		if strings.HasPrefix(r.TargetRef, "attack-pattern--") || strings.HasPrefix(r.SourceRef, "attack-pattern--") {
			continue
		}
		relFor(r.SourceRef, r.TargetRef)
	}
	// reach returns the actors reachable from id within 3 steps, with the
	// path to each.
	reach := func(start string) map[int]string {
		out := map[int]string{}
		type node struct {
			id   string
			path string
		}
		seen := map[string]bool{start: true}
		frontier := []node{{start, name(byID, start)}}
		for depth := 0; depth < 4 && len(frontier) > 0; depth++ {
			var next []node
			for _, n := range frontier {
				if ai, ok := k.actorBy[n.id]; ok {
					if _, have := out[ai]; !have {
						out[ai] = n.path
					}
					continue // do not walk from one actor to others
				}
				for _, m := range adj[n.id] {
					if !seen[m] {
						seen[m] = true
						next = append(next, node{m, n.path + " → " + name(byID, m)})
					}
				}
			}
			frontier = next
		}
		return out
	}
	add := func(key, id string) {
		acts := reach(id)
		if len(acts) == 0 {
			return
		}
		m := k.iocs[key]
		if m == nil {
			m = map[int]string{}
			k.iocs[key] = m
		}
		for ai, p := range acts {
			if _, ok := m[ai]; !ok {
				m[ai] = p
			}
		}
	}
	sampleRefs := map[string][]string{} // file id → malware ids
	for _, id := range ids {
		o := byID[id]
		if o.Type == "malware" && len(o.Raw) > 0 && bytes.Contains(o.Raw, []byte("sample_refs")) {
			var p struct {
				SampleRefs []string `json:"sample_refs"`
			}
			_ = json.Unmarshal(o.Raw, &p) // best effort
			for _, f := range p.SampleRefs {
				sampleRefs[f] = append(sampleRefs[f], id)
				relFor(f, id)
			}
		}
	}
	for _, id := range ids {
		o := byID[id]
		switch o.Type {
		case "indicator":
			if !active(o) || len(o.Raw) == 0 {
				continue
			}
			var p struct {
				Pattern     string `json:"pattern"`
				PatternType string `json:"pattern_type"`
			}
			if json.Unmarshal(o.Raw, &p) != nil || (p.PatternType != "" && p.PatternType != "stix") {
				continue
			}
			for _, tv := range PatternValues(p.Pattern) {
				add(iocKey(tv[0], tv[1]), id)
			}
		case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr":
			var p struct {
				Value string `json:"value"`
			}
			if json.Unmarshal(o.Raw, &p) == nil && p.Value != "" {
				add(iocKey(o.Type, p.Value), id)
			}
		case "file":
			var p struct {
				Name   string            `json:"name"`
				Hashes map[string]string `json:"hashes"`
			}
			if json.Unmarshal(o.Raw, &p) != nil {
				continue
			}
			var ks knownSample
			for h, v := range p.Hashes {
				switch strings.ToUpper(strings.ReplaceAll(h, "-", "")) {
				case "TLSH":
					if d, err := tlsh.Parse(v); err == nil {
						ks.tlsh = &d
					}
				case "SSDEEP":
					if d, err := ssdeep.Parse(v); err == nil {
						ks.ssdeep = &d
					}
				default:
					add(iocKey("file", v), id)
				}
			}
			if ks.tlsh == nil && ks.ssdeep == nil {
				continue
			}
			acts := reach(id)
			if len(acts) == 0 {
				continue
			}
			ks.id, ks.name = id, p.Name
			for ai := range acts {
				ks.actors = append(ks.actors, ai)
			}
			sort.Ints(ks.actors)
			ks.familyPath = acts[ks.actors[0]]
			for _, m := range adj[id] {
				if mo := byID[m]; mo != nil && mo.Type == "malware" {
					ks.family = mo.Name
					break
				}
			}
			k.samples = append(k.samples, ks)
		}
	}
}

// indexSamples builds the similarity index of the known samples, so a
// case's sample is compared with its near neighbours only, not with every
// known file.
func (k *Knowledge) indexSamples(persisted *similarity.Index) {
	k.sampleAt = make(map[string]int, len(k.samples))
	for i, ks := range k.samples {
		k.sampleAt[ks.id] = i
	}
	if persisted != nil {
		k.sampleIx = persisted
		return
	}
	ss := make([]similarity.Sample, len(k.samples))
	for i, ks := range k.samples {
		ss[i] = similarity.Sample{ID: ks.id, Name: ks.name}
		if ks.tlsh != nil {
			ss[i].TLSH = ks.tlsh.String()
		}
		if ks.ssdeep != nil {
			ss[i].SSDEEP = ks.ssdeep.String()
		}
	}
	// The digests were parsed above, so New reports no error.
	k.sampleIx, _ = similarity.New(ss)
}

func name(byID map[string]*stix.Object, id string) string {
	o := byID[id]
	if o == nil {
		return id
	}
	if o.Name != "" {
		return o.Name
	}
	if len(o.Raw) > 0 && len(o.Raw) < 1<<16 {
		var p struct {
			Value string `json:"value"`
		}
		if json.Unmarshal(o.Raw, &p) == nil && p.Value != "" {
			return o.Type + " " + p.Value
		}
	}
	return o.Type
}

// Uses returns the ATT&CK ids (else STIX ids) of the techniques and
// software that the actor uses directly or through its campaigns, sorted.
// Techniques implied only by the actor's software are left out.
func (k *Knowledge) Uses(a *Actor) []string {
	var out []string
	for ti := range a.direct {
		out = append(out, firstNonEmpty(k.techs[ti].extID, k.techs[ti].id))
	}
	for si := range a.sw {
		out = append(out, firstNonEmpty(k.sws[si].extID, k.sws[si].id))
	}
	sort.Strings(out)
	return out
}

// maxNeighbours is the number of most similar actors kept per actor.
const maxNeighbours = 10

// indexNeighbours finds each actor's most similar actors by cosine over
// their technique and software counts (each kind normalised to unit length
// first, so that both weigh alike).
func (k *Knowledge) indexNeighbours() {
	type entry struct {
		key int // technique index, or len(techs)+software index
		w   float64
	}
	vecs := make([][]entry, len(k.actors))
	nt := len(k.techs)
	for ai, a := range k.actors {
		// Sums run in index order, so that results are bit-for-bit
		// reproducible.
		var v []entry
		var nT, nS float64
		tk, sk := sortedKeys(a.techs), sortedKeys(a.sw)
		for _, ti := range tk {
			nT += a.techs[ti] * a.techs[ti]
		}
		for _, si := range sk {
			nS += a.sw[si] * a.sw[si]
		}
		for _, ti := range tk {
			v = append(v, entry{ti, a.techs[ti] / math.Sqrt(nT)})
		}
		for _, si := range sk {
			v = append(v, entry{nt + si, a.sw[si] / math.Sqrt(nS)})
		}
		var n float64
		for _, e := range v {
			n += e.w * e.w
		}
		for i := range v {
			v[i].w /= math.Sqrt(n)
		}
		vecs[ai] = v
	}
	// Inverted index: item → (actor, weight), actors in index order.
	type posting struct {
		actor int
		w     float64
	}
	post := map[int][]posting{}
	for ai, v := range vecs {
		for _, e := range v {
			post[e.key] = append(post[e.key], posting{ai, e.w})
		}
	}
	dots := make([]float64, len(k.actors))
	for ai, a := range k.actors {
		if len(vecs[ai]) == 0 {
			continue
		}
		clear(dots)
		for _, e := range vecs[ai] {
			for _, q := range post[e.key] {
				dots[q.actor] += e.w * q.w
			}
		}
		var cand []neighbour
		for bi, dot := range dots {
			if bi != ai && dot > 0 {
				cand = append(cand, neighbour{bi, dot})
			}
		}
		sort.SliceStable(cand, func(i, j int) bool { return cand[i].sim > cand[j].sim })
		if len(cand) > maxNeighbours {
			cand = cand[:maxNeighbours]
		}
		a.nb = cand
	}
}
