package attrib

import (
	"errors"
	"fmt"
	"github.com/culprit-cti/culprit/kb"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/casefile"
)

// Params are the free parameters of the scoring model. DefaultParams holds
// the values fitted on the development split (docs/evaluation.md).
type Params struct {
	Mu           float64 // Dirichlet smoothing strength for techniques
	MuSoftware   float64 // Dirichlet smoothing strength for software
	Gamma        float64 // additive smoothing of the background rates
	ParentWeight float64 // credit a sub-technique gets from the actor's count of its parent
	// SiblingWeight credits a sub-technique with the actor's count of its
	// most used sibling (another sub-technique of the same parent), and
	// ChildWeight a technique with the count of its most used
	// sub-technique: reports map the same behaviour to ATT&CK at different
	// depths.
	SiblingWeight float64
	ChildWeight   float64
	// Neighbours is the share of the smoothing mass that goes to the
	// profiles of the actor's most similar actors (cosine over technique
	// and software counts) instead of the base rate: a hierarchical prior,
	// since an actor's unreported habits are often its neighbours'.
	Neighbours float64
	// Floor mixes the background into every actor's model,
	// P(x|a) = (1-Floor) P_dir(x|a) + Floor P_bg(x), so that one item an
	// actor was never seen with costs it at most log(1/Floor).
	Floor float64
	// SizeExponent s tempers the size of an actor's profile in the
	// smoothing denominator: N_a is replaced by N_a^s * mean(N)^(1-s), so
	// that actors with large profiles are not penalised as much for every
	// item they were not seen with (reports are partial). 1 is the plain
	// multinomial.
	SizeExponent float64
	Alpha        float64 // damping exponent: a kind's LLR sum is scaled by n^-Alpha

	TechniqueWeight float64
	SoftwareWeight  float64
	IndicatorLLR    float64 // log LR of an exact indicator match for one actor
	SampleLLR       float64 // log LR of a sample at TLSH distance 0 to an actor's family
	ClaimLLR        float64 // log LR of an A1-rated third-party claim
	VictimLLR       float64 // log LR of a victim sector/country the actor targeted

	UnknownPrior float64 // prior probability of an actor not in the knowledge base
	// NovelTechnique and NovelSoftware are the probabilities that an item
	// of an actor not in the knowledge base is one that no known actor is
	// known to use: the unknown actor's likelihood of such an item is
	// Novel/(number of such items), of any other item (1-Novel) times its
	// base rate, renormalised. 0 makes the unknown actor the plain
	// background model.
	NovelTechnique float64
	NovelSoftware  float64
	// ActivityPrior is the exponent b of the prior over known actors,
	// proportional to (1 + number of sources cited for the actor)^b: an
	// actor reported often is more likely behind a new report. 0 is uniform.
	ActivityPrior float64
	Temperature   float64 // the evidence is divided by it (calibration)
}

// DefaultParams returns the fitted parameters.
func DefaultParams() Params {
	return Params{
		Mu: 10, MuSoftware: 4, Gamma: 0.5, ParentWeight: 0, SizeExponent: 1, Alpha: 0.35, ActivityPrior: 1,
		Neighbours: 0.2, Floor: 0.2,
		NovelTechnique: 0.1, NovelSoftware: 0.1,
		TechniqueWeight: 1, SoftwareWeight: 1,
		IndicatorLLR: 5, SampleLLR: 6, ClaimLLR: 3, VictimLLR: 0.4,
		UnknownPrior: 0.1, Temperature: 1,
	}
}

// Options configure one call of Attribute.
type Options struct {
	Params  Params
	Explain int     // hypotheses that get their evidence listed; 0 means 3
	Next    int     // suggestions; 0 means 5, negative none
	Shared  *Shared // shared infrastructure; nil means the built-in list
	// Network is the offline network data (*netenrich.DB): addresses in
	// an actor's networks are weak evidence (network.go); nil: none.
	Network Network
	// Table fills Result.Table for this many leading hypotheses; 0 none.
	Table int
	// Overrides replace the engine's ratios of some items (analysts'
	// ratings); those naming no item of the case are warnings.
	Overrides []Override
}

// indicatorAlpha is the damping exponent of indicators and samples.
const indicatorAlpha = 0.8

// Limits on a case, so that a hostile case cannot exhaust memory or time.
const (
	MaxItems = 10000 // techniques, software, indicators, samples and claims each
)

// ErrEmptyCase is returned for a case with no evidence at all.
var ErrEmptyCase = errors.New("case has no evidence (no techniques, software, indicators, samples, claims or victim)")

type kind int

const (
	kTech kind = iota
	kSoft
	kIOC
	kSample
	kClaim
	kVictim
	nKinds
)

var kindNames = [nKinds]string{"technique", "software", "indicator", "sample", "claim", "victim"}

// item is one resolved piece of evidence with its LLR per actor. llr holds
// a value for every actor when dense, else only the listed actors, with
// rest for all others.
type item struct {
	kind    kind
	text    string
	matched string
	cost    string
	detail  string
	dense   []float64
	// ownDense tells that dense belongs to this item alone; otherwise it
	// is the knowledge's cached slice (itemcache.go), never written.
	ownDense bool
	sparse   map[int]float64
	details  map[int]string  // per-actor detail (paths)
	key      string          // see Row.Key
	engine   map[int]float64 // the engine's ratios of overridden actors (-1: unknown)
	rest     float64
	unknown  float64 // LLR for the unknown actor (claims naming an actor not known)
	tech     int     // technique index, -1
	sw       int     // software index, -1
}

func (it *item) llr(a int) float64 {
	if it.dense != nil {
		return it.dense[a]
	}
	if v, ok := it.sparse[a]; ok {
		return v
	}
	return it.rest
}

// Attribute scores the case against the knowledge. It returns ErrEmptyCase
// (wrapped) when the case holds no evidence, and an error when it exceeds
// MaxItems in some kind. Unresolvable names, shared infrastructure and
// contradictory claims are reported in Result.Warnings.
func (k *Knowledge) Attribute(c *casefile.Case, opt Options) (*Result, error) {
	if c == nil {
		return nil, errors.New("attribute: nil case")
	}
	for _, n := range []struct {
		what string
		n    int
	}{{"techniques", len(c.Techniques)}, {"software", len(c.Software)}, {"indicators", len(c.Indicators)},
		{"samples", len(c.Samples)}, {"claims", len(c.Claims)}} {
		if n.n > MaxItems {
			return nil, fmt.Errorf("attribute %s: %d %s, more than the limit of %d", c.Name, n.n, n.what, MaxItems)
		}
	}
	p := opt.Params
	if p.Temperature <= 0 {
		p = DefaultParams()
	}
	// Shares outside [0, 1] would make likelihoods negative.
	p.Floor = math.Min(math.Max(p.Floor, 0), 1)
	p.Neighbours = math.Min(math.Max(p.Neighbours, 0), 1)
	if opt.Explain == 0 {
		opt.Explain = 3
	}
	if opt.Next == 0 {
		opt.Next = 5
	}
	shared := opt.Shared
	if shared == nil {
		shared = builtinShared()
	}
	res := &Result{Case: c.Name}
	var items []*item
	seenT, seenS := map[int]bool{}, map[int]bool{}
	for _, t := range c.Techniques {
		ti, ok := k.resolveTechnique(t.Ref)
		if !ok {
			res.Warnings = append(res.Warnings, fmt.Sprintf("technique %q is not in the knowledge base", clip(t.Ref)))
			continue
		}
		if seenT[ti] {
			continue
		}
		seenT[ti] = true
		items = append(items, k.techItem(t.Ref, ti, p))
	}
	for _, s := range c.Software {
		si, ok := k.resolveSoftware(s.Ref)
		if !ok {
			res.Warnings = append(res.Warnings, fmt.Sprintf("software %q is not in the knowledge base", clip(s.Ref)))
			continue
		}
		if seenS[si] {
			continue
		}
		seenS[si] = true
		items = append(items, k.swItem(s.Ref, si, p))
	}
	for _, ind := range c.Indicators {
		if it := k.iocItem(ind.Type, ind.Value, p, shared, &res.Warnings); it != nil {
			items = append(items, it)
		}
	}
	items = append(items, k.networkItems(c.Indicators, opt.Network, shared, &res.Warnings)...)
	for _, s := range c.Samples {
		if s.SHA256 != "" {
			if it := k.iocItem("file:hashes.SHA-256", s.SHA256, p, shared, &res.Warnings); it != nil {
				items = append(items, it)
			}
		}
		if it := k.sampleItem(s, p); it != nil {
			items = append(items, it)
		}
	}
	items = append(items, k.claimItems(c.Claims, p, &res.Warnings)...)
	items = append(items, k.victimItems(c.Victim, p)...)

	if len(c.Techniques)+len(c.Software)+len(c.Indicators)+len(c.Samples)+len(c.Claims) == 0 &&
		strings.TrimSpace(c.Victim.Sector+c.Victim.Country) == "" {
		return nil, fmt.Errorf("attribute %s: %w", c.Name, ErrEmptyCase)
	}
	keyItems(items)
	res.Warnings = append(res.Warnings, k.applyOverrides(items, opt.Overrides)...)
	k.score(res, items, p, opt)
	return res, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func (k *Knowledge) resolveTechnique(ref string) (int, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 512 {
		return 0, false
	}
	if i, ok := k.techBy[ref]; ok {
		return i, true
	}
	if i, ok := k.techBy[strings.ToUpper(ref)]; ok {
		return i, true
	}
	i, ok := k.techBy["n:"+kb.Normalize(ref)]
	return i, ok
}

func (k *Knowledge) resolveSoftware(ref string) (int, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 512 {
		return 0, false
	}
	if i, ok := k.swBy[ref]; ok {
		return i, true
	}
	if i, ok := k.swBy[strings.ToUpper(ref)]; ok {
		return i, true
	}
	i, ok := k.swBy["n:"+kb.Normalize(ref)]
	return i, ok
}

// techCount is the actor's effective count of technique ti: its own, plus
// ParentWeight times the parent's (for a sub-technique), SiblingWeight times
// the most used sibling's and ChildWeight times the most used child's.
func (k *Knowledge) techCount(a *Actor, ti int, p Params) float64 {
	c := a.techs[ti]
	par := k.techs[ti].parent
	if par >= 0 {
		c += p.ParentWeight * a.techs[par]
		if p.SiblingWeight > 0 {
			var m float64
			for _, s := range k.children[par] {
				if s != ti {
					m = max(m, a.techs[s])
				}
			}
			c += p.SiblingWeight * m
		}
	}
	if p.ChildWeight > 0 {
		var m float64
		for _, s := range k.children[ti] {
			m = max(m, a.techs[s])
		}
		c += p.ChildWeight * m
	}
	return c
}

// techBG is the background rate of technique ti.
func (k *Knowledge) techBG(ti int, p Params) float64 {
	var df float64
	if p.SiblingWeight > 0 || p.ChildWeight > 0 {
		for _, a := range k.actors {
			df += k.techCount(a, ti, p)
		}
	} else {
		df = k.techDF[ti]
		if par := k.techs[ti].parent; par >= 0 {
			df += p.ParentWeight * k.techDF[par]
		}
	}
	return (df + p.Gamma) / (k.techDFn + p.Gamma*float64(len(k.techs)))
}

func (k *Knowledge) swBG(si int, p Params) float64 {
	return (k.swDF[si] + p.Gamma) / (k.swDFn + p.Gamma*float64(len(k.sws)))
}

// size is an actor's effective profile size (see Params.SizeExponent).
func size(n, mean float64, p Params) float64 {
	if p.SizeExponent == 1 || n == 0 || mean == 0 {
		return n
	}
	return math.Pow(n, p.SizeExponent) * math.Pow(mean, 1-p.SizeExponent)
}

// prior is the smoothing distribution of actor a for an item with
// background rate bg: the background, or a mix with the neighbours' rate
// of the item (Params.Neighbours), rates[b] for neighbour b (NaN for an
// actor with no items of the kind).
func (k *Knowledge) prior(a *Actor, bg float64, p Params, rates []float64) float64 {
	if p.Neighbours <= 0 || len(a.nb) == 0 || rates == nil {
		return bg
	}
	var s, w float64
	for _, n := range a.nb {
		if r := rates[n.actor]; !math.IsNaN(r) {
			s += n.sim * r
			w += n.sim
		}
	}
	if w == 0 {
		return bg
	}
	return (1-p.Neighbours)*bg + p.Neighbours*s/w
}

// techRates returns every actor's rate of technique ti (count over
// profile size; NaN for an actor with no techniques), or nil when
// Params.Neighbours does not use them.
func (k *Knowledge) techRates(ti int, p Params) []float64 {
	if p.Neighbours <= 0 {
		return nil
	}
	r := make([]float64, len(k.actors))
	for i, b := range k.actors {
		r[i] = math.NaN()
		if b.techN > 0 {
			r[i] = k.techCount(b, ti, p) / b.techN
		}
	}
	return r
}

// swRates is techRates for software si.
func (k *Knowledge) swRates(si int, p Params) []float64 {
	if p.Neighbours <= 0 {
		return nil
	}
	r := make([]float64, len(k.actors))
	for i, b := range k.actors {
		r[i] = math.NaN()
		if b.swN > 0 {
			r[i] = b.sw[si] / b.swN
		}
	}
	return r
}

func (k *Knowledge) techLLR(a *Actor, ti int, bg float64, p Params, rates []float64) float64 {
	pa := (k.techCount(a, ti, p) + p.Mu*k.prior(a, bg, p, rates)) / (size(a.techN, k.meanTechN, p) + p.Mu)
	return math.Log((1-p.Floor)*pa+p.Floor*bg) - math.Log(bg)
}

func (k *Knowledge) swLLR(a *Actor, si int, bg float64, p Params, rates []float64) float64 {
	if a.swN == 0 {
		return 0
	}
	pa := (a.sw[si] + p.MuSoftware*k.prior(a, bg, p, rates)) / (size(a.swN, k.meanSwN, p) + p.MuSoftware)
	return math.Log((1-p.Floor)*pa+p.Floor*bg) - math.Log(bg)
}

// fillDense sets dense[i] to llr of actor i. The actors known only by name
// (no technique, no software, so no neighbours) share one profile, so
// their value is computed once: with a galaxy's thousand names imported,
// that is most of the actors and most of the work.
func (k *Knowledge) fillDense(dense []float64, llr func(a *Actor) float64) {
	shared, have := 0.0, false
	for ai, a := range k.actors {
		if a.techN == 0 && a.swN == 0 && len(a.nb) == 0 {
			if !have {
				shared, have = llr(a), true
			}
			dense[ai] = shared
			continue
		}
		dense[ai] = llr(a)
	}
}

func (k *Knowledge) techItem(ref string, ti int, p Params) *item {
	t := k.techs[ti]
	v := k.techLLRs(ti, p, true)
	return &item{kind: kTech, text: ref, matched: strings.TrimSpace(t.extID + " " + t.name), cost: "moderate",
		dense: v.dense, unknown: v.unknown, detail: v.detail, tech: ti, sw: -1}
}

// techLLRs returns the ratios of technique ti under p, from the cache
// (see itemCache.get for reset).
func (k *Knowledge) techLLRs(ti int, p Params, reset bool) *itemLLR {
	return k.items.get(kTech, ti, p, reset, func() *itemLLR {
		v := &itemLLR{dense: make([]float64, len(k.actors)), bg: k.techBG(ti, p)}
		rates := k.techRates(ti, p)
		k.fillDense(v.dense, func(a *Actor) float64 { return k.techLLR(a, ti, v.bg, p, rates) })
		v.unknown = novelty(k.techDF[ti] == 0, k.techNovel, len(k.techs), v.bg, p.Gamma/(k.techDFn+p.Gamma*float64(len(k.techs))), p.NovelTechnique)
		if k.techDF[ti] == 0 {
			v.detail = "used by no known actor"
		} else {
			v.detail = fmt.Sprintf("used by %.0f of %d actors", math.Ceil(k.techDF[ti]), len(k.actors))
		}
		return v
	})
}

func (k *Knowledge) swItem(ref string, si int, p Params) *item {
	s := k.sws[si]
	cost := "costly"
	if s.typ == "tool" {
		cost = "moderate" // public tools are shared; reused custom code is not
	}
	v := k.swLLRs(si, p, true)
	return &item{kind: kSoft, text: ref, matched: strings.TrimSpace(s.extID + " " + s.name), cost: cost,
		dense: v.dense, unknown: v.unknown, detail: v.detail, tech: -1, sw: si}
}

// swLLRs is techLLRs for software si.
func (k *Knowledge) swLLRs(si int, p Params, reset bool) *itemLLR {
	return k.items.get(kSoft, si, p, reset, func() *itemLLR {
		s := k.sws[si]
		v := &itemLLR{dense: make([]float64, len(k.actors)), bg: k.swBG(si, p)}
		rates := k.swRates(si, p)
		k.fillDense(v.dense, func(a *Actor) float64 { return k.swLLR(a, si, v.bg, p, rates) })
		v.unknown = novelty(k.swDF[si] == 0, k.swNovel, len(k.sws), v.bg, p.Gamma/(k.swDFn+p.Gamma*float64(len(k.sws))), p.NovelSoftware)
		n := 0
		for _, a := range k.actors {
			if a.sw[si] > 0 {
				n++
			}
		}
		v.detail = fmt.Sprintf("%s used by %d %s", s.typ, n, plural(n, "actor"))
		return v
	})
}

// novelty is the unknown actor's log likelihood ratio against the
// background for an item: novel tells whether no known actor uses it, n0 of
// the n items are novel, bg is the item's background rate and bg0 that of a
// novel item.
func novelty(novel bool, n0, n int, bg, bg0, nu float64) float64 {
	if nu <= 0 || n0 == 0 || n0 == n {
		return 0
	}
	b0 := float64(n0) * bg0 // background mass of the novel items
	if novel {
		return math.Log(nu/float64(n0)) - math.Log(bg)
	}
	return math.Log(1-nu) - math.Log(1-b0)
}

func (k *Knowledge) iocItem(typ, value string, p Params, shared *Shared, warn *[]string) *item {
	if len(value) > 4096 {
		*warn = append(*warn, fmt.Sprintf("indicator %q is too long and was ignored", clip(value)))
		return nil
	}
	acts := k.iocs[iocKey(typ, value)]
	if len(acts) == 0 {
		return nil
	}
	llr := p.IndicatorLLR - math.Log(float64(len(acts)))
	cost := "costly"
	detail := fmt.Sprintf("exact match, linked to %d %s", len(acts), plural(len(acts), "actor"))
	if why := shared.Match(typ, value); why != "" {
		llr *= 0.1
		cost = "cheap"
		detail += "; shared infrastructure (" + why + "), weakened"
		*warn = append(*warn, fmt.Sprintf("indicator %s is shared infrastructure (%s): weakened", clip(value), why))
	}
	llr = math.Max(llr, 0.1)
	it := &item{kind: kIOC, text: typ + " " + value, cost: cost, detail: detail,
		sparse: map[int]float64{}, details: map[int]string{}, tech: -1, sw: -1}
	for ai, path := range acts {
		it.sparse[ai] = llr
		it.details[ai] = path
	}
	return it
}

// admiralty turns an Admiralty rating into a factor in [0, 1].
func admiralty(rel string, cred int) float64 {
	r := map[string]float64{"A": 1, "B": 0.8, "C": 0.55, "D": 0.35, "E": 0.15, "F": 0.2}[strings.ToUpper(strings.TrimSpace(rel))]
	if r == 0 {
		r = 0.2 // unrated: as F, cannot be judged
	}
	cf := map[int]float64{1: 1, 2: 0.8, 3: 0.55, 4: 0.3, 5: 0.1, 6: 0.2}[cred]
	if cf == 0 {
		cf = 0.2
	}
	return r * cf
}

func (k *Knowledge) claimItems(claims []casefile.Claim, p Params, warn *[]string) []*item {
	var out []*item
	named := map[int]bool{}
	for _, c := range claims {
		ref := strings.TrimSpace(c.Actor)
		f := admiralty(c.Reliability, c.Credibility)
		cost := "moderate"
		if c.SelfClaim {
			f *= 0.1
			cost = "cheap"
		} else if strings.TrimSpace(c.Source) == "" {
			f *= 0.3
			cost = "cheap"
		}
		llr := p.ClaimLLR * f
		rating := strings.ToUpper(strings.TrimSpace(c.Reliability))
		if rating == "" {
			rating = "unrated "
		}
		detail := fmt.Sprintf("Admiralty %s%d", rating, c.Credibility)
		if c.SelfClaim {
			detail += ", self-claim"
		}
		if c.Source != "" {
			detail += ", " + clip(c.Source)
		}
		it := &item{kind: kClaim, text: "attributed to " + clip(ref), cost: cost, detail: detail,
			sparse: map[int]float64{}, tech: -1, sw: -1}
		var hits []int
		if ai, ok := k.actorBy[ref]; ok {
			hits = []int{ai}
		} else {
			hits = k.names[kb.Normalize(ref)]
		}
		if len(hits) == 0 {
			if cs := k.campaignNames[kb.Normalize(ref)]; len(cs) > 0 {
				// A campaign: the claim goes to the actors it is attributed
				// to, weighted by the attribution's confidence.
				it.details = map[int]string{}
				var via []string
				for _, c := range cs {
					w := llr * float64(c.conf) / 100
					if w > it.sparse[c.actor] {
						it.sparse[c.actor] = w
						it.details[c.actor] = fmt.Sprintf("campaign %s attributed to %s (confidence %d)", c.name, c.target, c.conf)
					}
					named[c.actor] = true
					via = append(via, fmt.Sprintf("%s %d", c.target, c.conf))
				}
				it.matched = "campaign " + cs[0].name + " → " + strings.Join(via, ", ")
				out = append(out, it)
				continue
			}
			*warn = append(*warn, fmt.Sprintf("claimed actor %q is not in the knowledge base: counted for an unknown actor", clip(ref)))
			it.unknown = llr
		} else {
			for _, ai := range hits {
				it.sparse[ai] = llr / float64(len(hits))
			}
			it.matched = k.actors[hits[0]].Name
			if len(hits) > 1 {
				// An ambiguous name (an umbrella such as Grizzly Steppe)
				// is shared among its candidates; it contradicts nothing.
				var ns []string
				for _, ai := range hits {
					ns = append(ns, k.actors[ai].Name)
				}
				sort.Strings(ns)
				it.matched = "ambiguous: " + strings.Join(ns, ", ")
				*warn = append(*warn, fmt.Sprintf("claimed actor %q is a name of %d actors (%s): the claim is shared among them", clip(ref), len(hits), strings.Join(ns, ", ")))
			} else {
				named[hits[0]] = true
			}
		}
		out = append(out, it)
	}
	if len(named) > 1 {
		var ns []string
		for ai := range named {
			ns = append(ns, k.actors[ai].Name)
		}
		sort.Strings(ns)
		*warn = append(*warn, "contradictory claims: the case is attributed to "+strings.Join(ns, ", "))
	}
	return out
}

func (k *Knowledge) victimItems(v casefile.Victim, p Params) []*item {
	if k.victActs == 0 {
		return nil
	}
	var out []*item
	mk := func(text, key string, df int, has func(a *Actor) bool) {
		if key == "" {
			return
		}
		hit := p.VictimLLR * math.Min(1, math.Log(float64(k.victActs+1)/float64(df+1)))
		it := &item{kind: kVictim, text: text, cost: "cheap", sparse: map[int]float64{}, tech: -1, sw: -1,
			detail: fmt.Sprintf("targeted before by %d of %d actors with known victims", df, k.victActs)}
		for ai, a := range k.actors {
			switch {
			case !a.hasVicts:
			case has(a):
				it.sparse[ai] = hit
			default:
				it.sparse[ai] = -p.VictimLLR / 2
			}
		}
		out = append(out, it)
	}
	if s := kb.Normalize(v.Sector); s != "" {
		mk("sector "+v.Sector, s, k.sectorDF[s], func(a *Actor) bool { return a.sectors[s] })
	}
	if c := countryCode(v.Country); c != "" {
		mk("country "+v.Country, c, k.countryDF[c], func(a *Actor) bool { return a.country[c] })
	}
	return out
}

// score combines the items into posteriors and fills res.
func (k *Knowledge) score(res *Result, items []*item, p Params, opt Options) {
	nA := len(k.actors)
	var perKind [nKinds]int
	for _, it := range items {
		perKind[it.kind]++
	}
	var scale [nKinds]float64
	kw := [nKinds]float64{p.TechniqueWeight, p.SoftwareWeight, 1, 1, 1, 1}
	// Indicators and samples of one incident are strongly dependent (the
	// addresses in one configuration, the files of one toolkit): they are
	// damped harder than behaviour.
	alpha := [nKinds]float64{p.Alpha, p.Alpha, indicatorAlpha, indicatorAlpha, p.Alpha, p.Alpha}
	for kd := range scale {
		if perKind[kd] > 0 {
			scale[kd] = kw[kd] * math.Pow(float64(perKind[kd]), -alpha[kd]) / p.Temperature
		}
	}
	logit := make([]float64, nA+1) // last = unknown
	for ai := range nA {
		var s float64
		for _, it := range items {
			s += scale[it.kind] * it.llr(ai)
		}
		logit[ai] = s
	}
	for _, it := range items {
		logit[nA] += scale[it.kind] * it.unknown
	}
	// An actor the knowledge base knows only by name (a galaxy cluster with
	// no recorded technique or software) has no model of its own: for the
	// behaviour a case shows it is indistinguishable from an actor not in
	// the knowledge base, and a thousand such names would otherwise share
	// the unknown actor's prior between them. It is a hypothesis only when
	// a claim, indicator or sample of the case is about it.
	ranked := make([]bool, nA)
	for ai, a := range k.actors {
		ranked[ai] = a.techN > 0 || a.swN > 0
	}
	for _, it := range items {
		if it.kind == kClaim || it.kind == kIOC || it.kind == kSample {
			for ai := range it.sparse {
				ranked[ai] = true
			}
		}
	}
	// Priors: the unknown actor gets UnknownPrior, the known share the rest.
	up := math.Min(math.Max(p.UnknownPrior, 1e-6), 1-1e-6)
	prior := make([]float64, nA)
	var z float64
	for ai, a := range k.actors {
		prior[ai] = p.ActivityPrior * math.Log1p(float64(a.reports))
		if ranked[ai] {
			z += math.Exp(prior[ai])
		}
	}
	order := make([]int, 0, nA)
	for ai := range nA {
		if !ranked[ai] {
			logit[ai] = math.Inf(-1)
			res.NameOnly++
			continue
		}
		logit[ai] += math.Log(1-up) + prior[ai] - math.Log(z)
		order = append(order, ai)
	}
	logit[nA] += math.Log(up)
	post := softmax(logit)

	sort.SliceStable(order, func(i, j int) bool { return post[order[i]] > post[order[j]] })

	res.Unknown = post[nA]
	res.UnknownEstimate = Estimate(res.Unknown)
	res.Hypotheses = make([]Hypothesis, 0, len(order))
	for rank, ai := range order {
		a := k.actors[ai]
		h := Hypothesis{ID: a.ID, IDs: a.IDs, Name: a.Name, ExternalID: a.ExternalID, Aliases: a.Aliases,
			Members: a.Members, Campaigns: a.Campaigns, Links: a.Links, Probability: post[ai], Estimate: Estimate(post[ai]),
			Score: logit[ai] - logit[nA]}
		if rank < opt.Explain {
			h.Evidence = k.explain(ai, items, scale)
		}
		res.Hypotheses = append(res.Hypotheses, h)
	}
	res.Top = "unknown"
	if len(order) > 0 && post[order[0]] > res.Unknown {
		res.Top = k.actors[order[0]].ID
	}
	res.Coverage = k.coverage(items, order)
	// Confidence: amount, diversity and cost to fake of what supports the top.
	res.Basis.Items = len(items)
	if len(order) > 0 {
		top := order[0]
		kinds := map[kind]bool{}
		for _, it := range items {
			if w := scale[it.kind] * it.llr(top); w > 0.05 {
				kinds[it.kind] = true
				if it.cost == "costly" {
					res.Basis.Costly++
				}
			}
		}
		res.Basis.Kinds = len(kinds)
	}
	switch b := res.Basis; {
	case b.Items >= 8 && b.Kinds >= 2 && b.Costly >= 2:
		res.Confidence = "high"
	case b.Items >= 3 && (b.Kinds >= 2 || b.Costly >= 1):
		res.Confidence = "moderate"
	default:
		res.Confidence = "low"
	}
	if opt.Next > 0 && len(order) >= 2 {
		res.Next = k.next(order[0], order[1], items, p, opt.Next)
	}
	if opt.Table > 0 {
		res.Table = k.table(items, order, scale, opt.Table)
	}
}

func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	out := make([]float64, len(x))
	var z float64
	for i, v := range x {
		out[i] = math.Exp(v - m)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

func (k *Knowledge) explain(ai int, items []*item, scale [nKinds]float64) []Evidence {
	a := k.actors[ai]
	var ev []Evidence
	for _, it := range items {
		w := scale[it.kind] * it.llr(ai)
		if math.Abs(w) < 0.005 {
			if _, about := it.sparse[ai]; it.kind != kClaim || !about {
				continue
			}
		}
		e := Evidence{Kind: kindNames[it.kind], Item: it.text, Matched: it.matched, Weight: round(w), Cost: it.cost, Detail: it.detail}
		if d, ok := it.details[ai]; ok {
			e.Detail += "; via " + d
		}
		switch {
		case it.tech >= 0:
			e.Sources = a.cites["t:"+itoa(it.tech)]
		case it.sw >= 0:
			e.Sources = a.cites["s:"+itoa(it.sw)]
		}
		ev = append(ev, e)
	}
	sort.SliceStable(ev, func(i, j int) bool { return math.Abs(ev[i].Weight) > math.Abs(ev[j].Weight) })
	return ev
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

// next lists unobserved techniques and software that best separate the
// hypotheses h1 and h2.
func (k *Knowledge) next(h1, h2 int, items []*item, p Params, n int) []Suggestion {
	a1, a2 := k.actors[h1], k.actors[h2]
	// The neighbours' rates, filled in for each candidate item: only the
	// two hypotheses' neighbours are read.
	var rates []float64
	var nbs []int
	if p.Neighbours > 0 {
		rates = make([]float64, len(k.actors))
		for _, n := range append(slices.Clone(a1.nb), a2.nb...) {
			nbs = append(nbs, n.actor)
		}
	}
	seenT, seenS := map[int]bool{}, map[int]bool{}
	for _, it := range items {
		if it.tech >= 0 {
			seenT[it.tech] = true
		}
		if it.sw >= 0 {
			seenS[it.sw] = true
		}
	}
	var out []Suggestion
	consider := func(kindName string, id, name string, l1, l2, p1, p2 float64) {
		w := math.Abs(l1-l2) * (p1 + p2) / 2
		fav := a1.Name
		if l2 > l1 {
			fav = a2.Name
		}
		out = append(out, Suggestion{Kind: kindName, ID: id, Name: name, Favours: fav, Weight: w})
	}
	cand := map[int]bool{}
	for ti := range a1.techs {
		cand[ti] = true
	}
	for ti := range a2.techs {
		cand[ti] = true
	}
	for ti := range cand {
		if seenT[ti] {
			continue
		}
		var bg, l1, l2 float64
		if v := k.techLLRs(ti, p, false); v != nil {
			bg, l1, l2 = v.bg, v.dense[h1], v.dense[h2]
		} else {
			bg = k.techBG(ti, p)
			if rates != nil {
				for _, b := range nbs {
					rates[b] = math.NaN()
					if ba := k.actors[b]; ba.techN > 0 {
						rates[b] = k.techCount(ba, ti, p) / ba.techN
					}
				}
			}
			l1, l2 = k.techLLR(a1, ti, bg, p, rates), k.techLLR(a2, ti, bg, p, rates)
		}
		consider("technique", firstNonEmpty(k.techs[ti].extID, k.techs[ti].id), k.techs[ti].name, l1, l2,
			math.Exp(l1)*bg, math.Exp(l2)*bg)
	}
	cand = map[int]bool{}
	for si := range a1.sw {
		cand[si] = true
	}
	for si := range a2.sw {
		cand[si] = true
	}
	for si := range cand {
		if seenS[si] {
			continue
		}
		var bg, l1, l2 float64
		if v := k.swLLRs(si, p, false); v != nil {
			bg, l1, l2 = v.bg, v.dense[h1], v.dense[h2]
		} else {
			bg = k.swBG(si, p)
			if rates != nil {
				for _, b := range nbs {
					rates[b] = math.NaN()
					if ba := k.actors[b]; ba.swN > 0 {
						rates[b] = ba.sw[si] / ba.swN
					}
				}
			}
			l1, l2 = k.swLLR(a1, si, bg, p, rates), k.swLLR(a2, si, bg, p, rates)
		}
		consider("software", firstNonEmpty(k.sws[si].extID, k.sws[si].id), k.sws[si].name, l1, l2,
			math.Exp(l1)*bg, math.Exp(l2)*bg)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > n {
		out = out[:n]
	}
	for i := range out {
		out[i].Weight = round(out[i].Weight)
	}
	return out
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// coverage says how much of the case's behaviour (its techniques and
// software that the knowledge has) any known actor uses, and how much the
// leading hypothesis' own profile holds, with plain words when that is
// little: the honest part of "an actor not in the knowledge base".
func (k *Knowledge) coverage(items []*item, order []int) Coverage {
	var c Coverage
	for _, it := range items {
		switch {
		case it.kind == kTech && it.tech >= 0:
			c.Items++
			if k.techDF[it.tech] > 0 {
				c.Known++
			}
			if len(order) > 0 && k.actors[order[0]].techs[it.tech] > 0 {
				c.Top++
			}
		case it.kind == kSoft && it.sw >= 0:
			c.Items++
			if k.swDF[it.sw] > 0 {
				c.Known++
			}
			if len(order) > 0 && k.actors[order[0]].sw[it.sw] > 0 {
				c.Top++
			}
		}
	}
	const minItems = 3
	switch {
	case c.Items < minItems:
	case 2*c.Known < c.Items:
		c.Verdict = fmt.Sprintf("%d of the %d techniques and software are used by no known actor: this looks like an actor not in the knowledge base, or a known one doing new things",
			c.Items-c.Known, c.Items)
	case len(order) > 0 && 2*c.Top < c.Items:
		c.Verdict = fmt.Sprintf("the leading hypothesis is known to use only %d of the %d techniques and software: a known actor doing new things, or an actor not in the knowledge base",
			c.Top, c.Items)
	}
	return c
}
