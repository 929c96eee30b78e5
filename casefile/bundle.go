package casefile

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// parseBundle reads a STIX 2.0 or 2.1 bundle describing one incident. Every
// object in it is evidence about one unknown actor:
//
//   - attack-pattern: a technique, by its mitre-attack external id (T####)
//     or else its name;
//   - malware and tool: software, by mitre-attack external id (S####) or
//     else name;
//   - indicator: the simple equality comparisons of its STIX pattern, such as
//     [ipv4-addr:value = '198.51.100.1'] or [file:hashes.'SHA-256' = '…'];
//     TLSH and ssdeep hashes become samples;
//   - cyber observables (ipv4-addr, ipv6-addr, domain-name, url, email-addr,
//     file), top level or inside observed-data: indicators and samples;
//   - attributed-to relationships: claims, with the creator's identity (or
//     the first external reference) as source and the relationship's
//     confidence as information credibility (STIX 2.1 appendix A scale);
//   - targets relationships to identity and location objects: the victim;
//   - the first report: the case name and notes.
//
// Other objects are ignored; patterns and properties culprit cannot use are
// reported as warnings.
func parseBundle(name string, data []byte) (*Case, []Warning, error) {
	var env struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Type != "bundle" {
		return nil, nil, fmt.Errorf("JSON input is not a STIX bundle (type %q)", head.Type)
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, nil, fmt.Errorf("stix bundle: %w", err)
	}
	// Objects are parsed one by one with the rules of the stix decoder
	// (2.0 upgraded to 2.1), so that one invalid object in a bundle exported
	// from another platform costs a warning, not the whole case.
	var (
		objs  []*stix.Object
		warns []Warning
	)
	for i, raw := range env.Objects {
		o, err := stix.ParseObject(raw)
		if err != nil {
			if len(warns) < maxWarnings {
				warns = append(warns, Warning{Field: fmt.Sprintf("objects[%d]", i), Message: fmt.Sprintf("invalid STIX object ignored: %v", err)})
			}
			continue
		}
		objs = append(objs, o)
	}
	b := &bundleParser{name: name, byID: make(map[string]*stix.Object, len(objs)), locatedAt: map[string][]string{}, warns: warns}
	for _, o := range objs {
		b.byID[o.ID] = o
		if o.Type == "relationship" && o.RelationshipType == "located-at" {
			b.locatedAt[o.SourceRef] = append(b.locatedAt[o.SourceRef], o.TargetRef)
		}
	}
	for _, o := range objs {
		b.object(o)
	}
	b.warns = append(b.warns, contradictions(b.c.Claims)...)
	return &b.c, b.warns, nil
}

type bundleParser struct {
	name      string
	byID      map[string]*stix.Object
	locatedAt map[string][]string // located-at targets by source, in bundle order
	c         Case
	warns     []Warning

	seenItem map[string]bool
	seenInd  map[[2]string]bool
}

func (b *bundleParser) warn(field, format string, args ...any) {
	if len(b.warns) > maxWarnings {
		return
	}
	if len(b.warns) == maxWarnings {
		b.warns = append(b.warns, Warning{Message: "too many warnings; the rest are not shown"})
		return
	}
	b.warns = append(b.warns, Warning{Field: field, Message: fmt.Sprintf(format, args...)})
}

// source names who says what o says: its creator's identity, else the
// bundle.
func (b *bundleParser) source(o *stix.Object) string {
	if id, ok := b.byID[o.CreatedBy]; ok && id.Name != "" {
		return id.Name
	}
	if o.CreatedBy != "" {
		return o.CreatedBy
	}
	return baseName(b.name)
}

func (b *bundleParser) object(o *stix.Object) {
	switch o.Type {
	case "attack-pattern":
		b.item(&b.c.Techniques, o, "technique", techniqueIDRE)
	case "malware", "tool":
		b.item(&b.c.Software, o, "software", softwareIDRE)
	case "indicator":
		b.indicator(o)
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file":
		b.observable(o.ID, o.Raw, b.source(o))
	case "observed-data":
		b.observedData(o)
	case "relationship":
		b.relationship(o)
	case "report":
		if b.c.Name == "" {
			b.c.Name = o.Name
			b.c.Notes = o.Description
		}
	}
}

// item adds a technique or piece of software, by its ATT&CK id when it has
// one, else by name.
func (b *bundleParser) item(dst *[]Item, o *stix.Object, kind string, idRE *regexp.Regexp) {
	ref := o.ExternalID("mitre-attack")
	if ref != "" && !idRE.MatchString(ref) {
		b.warn(o.ID, "mitre-attack external id %q is not a %s id; using the name", ref, kind)
		ref = ""
	}
	if ref == "" {
		ref = strings.TrimSpace(o.Name)
	}
	if ref == "" {
		b.warn(o.ID, "%s has neither an ATT&CK id nor a name; ignored", kind)
		return
	}
	if b.seenItem == nil {
		b.seenItem = map[string]bool{}
	}
	key := kind + "\x00" + strings.ToLower(ref)
	if b.seenItem[key] {
		return
	}
	b.seenItem[key] = true
	*dst = append(*dst, Item{Ref: ref, Source: b.source(o), Note: o.ID})
}

// addIndicator normalizes and adds one indicator value, warning about
// malformed ones.
func (b *bundleParser) addIndicator(field, typ, value, source, note string) {
	canon, ok := canonicalType(typ)
	if !ok {
		b.warn(field, "indicator type %s is not used", typ)
		return
	}
	v, err := normalizeIndicator(canon, value)
	if err != nil {
		b.warn(field, "%v; ignored", err)
		return
	}
	if b.seenInd == nil {
		b.seenInd = map[[2]string]bool{}
	}
	key := [2]string{canon, v}
	if b.seenInd[key] {
		return
	}
	b.seenInd[key] = true
	b.c.Indicators = append(b.c.Indicators, Indicator{Type: canon, Value: v, Source: source, Note: note})
}

// comparisonRE matches one equality comparison of a STIX pattern:
// object-type:property.path = 'value'. Path components may be quoted
// ('SHA-256'); the value is a STIX string literal with \' and \\ escapes.
var comparisonRE = regexp.MustCompile(`([a-z0-9-]+):((?:[A-Za-z0-9_-]+|'[^']*')(?:\.(?:[A-Za-z0-9_-]+|'[^']*'))*)\s*(!?=|[<>]=?|LIKE|MATCHES|IN|ISSUBSET|ISSUPERSET)\s*('(?:[^'\\]|\\.)*'|\([^)]*\)|[^\s\]]+)`)

// maxPattern bounds the pattern text examined per indicator.
const maxPattern = 64 << 10

func (b *bundleParser) indicator(o *stix.Object) {
	var ind struct {
		Pattern     string `json:"pattern"`
		PatternType string `json:"pattern_type"`
	}
	if err := json.Unmarshal(o.Raw, &ind); err != nil {
		b.warn(o.ID, "unreadable indicator: %v", err)
		return
	}
	if ind.PatternType != "" && ind.PatternType != "stix" {
		b.warn(o.ID, "pattern type %q is not read; only STIX patterns are", ind.PatternType)
		return
	}
	if len(ind.Pattern) > maxPattern {
		b.warn(o.ID, "pattern longer than %d KiB is not read", maxPattern>>10)
		return
	}
	src := b.source(o)
	note := o.ID
	if o.Name != "" {
		note = o.Name + " (" + o.ID + ")"
	}
	var sample Sample
	used := 0
	for _, m := range comparisonRE.FindAllStringSubmatch(ind.Pattern, -1) {
		objType, path, op, lit := m[1], unquotePath(m[2]), m[3], m[4]
		if op != "=" || len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
			b.warn(o.ID, "comparison %s:%s %s is not an equality with a string; not used", objType, path, op)
			continue
		}
		val := unquoteLiteral(lit)
		switch {
		case objType == "file" && strings.HasPrefix(strings.ToLower(path), "hashes."):
			algo := normalizeAlgo(path[len("hashes."):])
			switch algo {
			case "TLSH", "SSDEEP":
				h, err := normalizeHash(strings.ToLower(algo), val)
				if err != nil {
					b.warn(o.ID, "%v; ignored", err)
					continue
				}
				if algo == "TLSH" {
					sample.TLSH = h
				} else {
					sample.SSDEEP = h
				}
				used++
			default:
				b.addIndicator(o.ID, "file:hashes."+algo, val, src, note)
				if algo == "SHA-256" {
					sample.SHA256 = strings.ToLower(val)
				}
				used++
			}
		case objType == "file" && path == "name":
			sample.Name = val
		case path == "value" && (objType == "ipv4-addr" || objType == "ipv6-addr" || objType == "domain-name" || objType == "url" || objType == "email-addr"):
			b.addIndicator(o.ID, objType, val, src, note)
			used++
		default:
			b.warn(o.ID, "comparison on %s:%s is not used", objType, path)
		}
	}
	if sample.TLSH != "" || sample.SSDEEP != "" {
		sample.Source = src
		b.c.Samples = append(b.c.Samples, sample)
	}
	if used == 0 && ind.Pattern != "" {
		b.warn(o.ID, "no usable comparison in pattern %.80q", ind.Pattern)
	}
}

// unquotePath removes the quotes of quoted path components:
// hashes.'SHA-256' gives hashes.SHA-256.
func unquotePath(p string) string { return strings.ReplaceAll(p, "'", "") }

// unquoteLiteral decodes a STIX pattern string literal.
func unquoteLiteral(lit string) string {
	s := lit[1 : len(lit)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// normalizeAlgo gives the STIX hash-algorithm-ov spelling of a hash name.
func normalizeAlgo(a string) string {
	switch u := strings.ToUpper(strings.ReplaceAll(a, "_", "-")); u {
	case "SHA256", "SHA-256":
		return "SHA-256"
	case "SHA1", "SHA-1":
		return "SHA-1"
	case "SHA512", "SHA-512":
		return "SHA-512"
	default:
		return u
	}
}

// observable adds a cyber observable given as raw JSON (a top-level SCO, or
// one inside observed-data).
func (b *bundleParser) observable(field string, raw json.RawMessage, source string) {
	var sco struct {
		Type   string            `json:"type"`
		Value  string            `json:"value"`
		Name   string            `json:"name"`
		Hashes map[string]string `json:"hashes"`
	}
	if err := json.Unmarshal(raw, &sco); err != nil {
		b.warn(field, "unreadable observable: %v", err)
		return
	}
	if sco.Type != "file" {
		if _, ok := canonicalType(sco.Type); ok {
			b.addIndicator(field, sco.Type, sco.Value, source, field)
		}
		return
	}
	var s Sample
	algos := make([]string, 0, len(sco.Hashes))
	for a := range sco.Hashes {
		algos = append(algos, a)
	}
	sort.Strings(algos) // deterministic order of indicators and warnings
	for _, a := range algos {
		v := sco.Hashes[a]
		switch algo := normalizeAlgo(a); algo {
		case "TLSH", "SSDEEP":
			h, err := normalizeHash(strings.ToLower(algo), v)
			if err != nil {
				b.warn(field, "%v; ignored", err)
				continue
			}
			if algo == "TLSH" {
				s.TLSH = h
			} else {
				s.SSDEEP = h
			}
		case "MD5", "SHA-1", "SHA-256", "SHA-512":
			b.addIndicator(field, "file:hashes."+algo, v, source, field)
			if algo == "SHA-256" {
				s.SHA256 = strings.ToLower(v)
			}
		}
	}
	if s.TLSH != "" || s.SSDEEP != "" {
		s.Name, s.Source = sco.Name, source
		b.c.Samples = append(b.c.Samples, s)
	}
}

// observedData reads the observables embedded in observed-data (the STIX 2.0
// form, still allowed but deprecated in 2.1).
func (b *bundleParser) observedData(o *stix.Object) {
	var od struct {
		Objects map[string]json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(o.Raw, &od); err != nil {
		b.warn(o.ID, "unreadable observed-data: %v", err)
		return
	}
	keys := make([]string, 0, len(od.Objects))
	for k := range od.Objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.observable(o.ID+".objects."+k, od.Objects[k], b.source(o))
	}
}

// credibilityOf maps a STIX confidence (0-100) to the Admiralty information
// credibility of the STIX 2.1 confidence scales (appendix A): 80-100
// confirmed (1), 60-79 probably true (2), 40-59 possibly true (3), 20-39
// doubtful (4), 0-19 improbable (5).
func credibilityOf(confidence int) int {
	switch {
	case confidence >= 80:
		return 1
	case confidence >= 60:
		return 2
	case confidence >= 40:
		return 3
	case confidence >= 20:
		return 4
	default:
		return 5
	}
}

func (b *bundleParser) relationship(o *stix.Object) {
	switch o.RelationshipType {
	case "attributed-to":
		b.claim(o)
	case "targets":
		b.target(o)
	}
}

// claim turns an attributed-to relationship into a claim about the actor it
// points to. The claim's source is the relationship's creator, else its
// first external reference; its reliability is unrated (a bundle does not
// say how reliable its author is) and its credibility comes from the
// relationship's confidence.
func (b *bundleParser) claim(o *stix.Object) {
	c := Claim{Actor: o.TargetRef}
	if t, ok := b.byID[o.TargetRef]; ok && t.Name != "" {
		c.Actor = t.Name
	}
	if c.Actor == "" {
		b.warn(o.ID, "attributed-to relationship without target_ref; ignored")
		return
	}
	subject := o.SourceRef
	if s, ok := b.byID[o.SourceRef]; ok && s.Name != "" {
		subject = s.Name
	}
	c.Statement = fmt.Sprintf("%s is attributed to %s", subject, c.Actor)
	if o.Description != "" {
		c.Statement += ": " + o.Description
	}
	switch id, ok := b.byID[o.CreatedBy]; {
	case ok && id.Name != "":
		c.Source = id.Name
	case len(o.ExternalReferences) > 0:
		r := o.ExternalReferences[0]
		c.Source = r.SourceName
		if r.URL != "" {
			c.Source += " <" + r.URL + ">"
		}
	case o.CreatedBy != "":
		c.Source = o.CreatedBy
	}
	if o.Confidence != nil {
		c.Credibility = credibilityOf(*o.Confidence)
	}
	// An actor that created the claim about itself is claiming its own deed.
	if t, ok := b.byID[o.TargetRef]; ok && o.CreatedBy != "" {
		if id, ok := b.byID[o.CreatedBy]; ok && id.Name != "" && strings.EqualFold(id.Name, t.Name) {
			c.SelfClaim = true
		}
	}
	b.c.Claims = append(b.c.Claims, c)
}

// target reads the victim from targets relationships to identities (name,
// first sector, country of a located-at location) and locations (country).
func (b *bundleParser) target(o *stix.Object) {
	t, ok := b.byID[o.TargetRef]
	if !ok {
		return
	}
	switch t.Type {
	case "identity":
		if b.c.Victim.Name != "" && b.c.Victim.Name != t.Name {
			b.warn(o.ID, "a second targeted identity %q is not recorded (victim is %q)", t.Name, b.c.Victim.Name)
			return
		}
		b.c.Victim.Name = t.Name
		var id struct {
			Sectors []string `json:"sectors"`
		}
		if json.Unmarshal(t.Raw, &id) == nil && len(id.Sectors) > 0 && b.c.Victim.Sector == "" {
			b.c.Victim.Sector = id.Sectors[0]
		}
		// A located-at relationship from the identity gives its country.
		for _, ref := range b.locatedAt[t.ID] {
			if l, ok := b.byID[ref]; ok && l.Type == "location" {
				b.setCountry(l)
			}
		}
	case "location":
		b.setCountry(t)
	}
}

func (b *bundleParser) setCountry(l *stix.Object) {
	var loc struct {
		Country string `json:"country"`
	}
	if json.Unmarshal(l.Raw, &loc) != nil || loc.Country == "" || b.c.Victim.Country != "" {
		return
	}
	b.c.Victim.Country = strings.ToUpper(loc.Country)
}
