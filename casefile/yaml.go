package casefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxWarnings bounds the warnings kept for one case; a file that produces
// more is reported as such rather than flooding the analyst.
const maxWarnings = 1000

var (
	techniqueIDRE = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	softwareIDRE  = regexp.MustCompile(`^S[0-9]{4}$`)
)

// yamlParser accumulates the case and its warnings while walking the YAML
// node tree. Walking nodes, rather than decoding into structs, keeps line
// numbers for every warning and turns unknown keys into warnings.
type yamlParser struct {
	c     Case
	warns []Warning
}

func (p *yamlParser) warn(n *yaml.Node, field, format string, args ...any) {
	if len(p.warns) > maxWarnings {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	if len(p.warns) == maxWarnings {
		p.warns = append(p.warns, Warning{Line: line, Message: "too many warnings; the rest are not shown"})
		return
	}
	p.warns = append(p.warns, Warning{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// parseYAML parses a YAML case file (see the package documentation for its
// keys).
func parseYAML(data []byte) (*Case, []Warning, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Case{}, nil, nil // an empty file: no evidence
		}
		if !strings.HasPrefix(err.Error(), "yaml:") {
			err = fmt.Errorf("yaml: %w", err)
		}
		return nil, nil, err
	}
	p := &yamlParser{}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.warn(&extra, "", "only the first YAML document is read; the case file has more")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return &Case{}, nil, nil
		}
		root = root.Content[0]
	}
	root = resolve(root)
	switch {
	case root == nil:
		return nil, nil, fmt.Errorf("yaml: unresolvable alias at top level")
	case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
		return &Case{}, nil, nil
	case root.Kind != yaml.MappingNode:
		return nil, nil, fmt.Errorf("line %d: a case file is a YAML mapping (name, techniques, software, indicators, samples, claims, victim, notes), not a %s", root.Line, kindName(root))
	}
	p.walkCase(root)
	p.checkClaims()
	return &p.c, p.warns, nil
}

// resolve follows aliases to the node they name, giving up on chains that do
// not end (which yaml.v3 should not produce, but input is untrusted).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i == 16 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "scalar"
	}
	return "node"
}

// pairs returns the key/value pairs of mapping node n, warning about keys
// that are not scalars and about duplicate keys (the first one wins).
func (p *yamlParser) pairs(n *yaml.Node, field string) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || v == nil {
			p.warn(n.Content[i], field, "unresolvable alias ignored")
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.warn(k, field, "a key must be a string, not a %s; ignored", kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.warn(k, join(field, k.Value), "duplicate key (first at line %d); ignored", first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// str returns the text of scalar node v, warning and returning "" when v is
// not a scalar. Null gives "".
func (p *yamlParser) str(v *yaml.Node, field string) string {
	if v.Kind != yaml.ScalarNode {
		p.warn(v, field, "expected a string, found a %s; ignored", kindName(v))
		return ""
	}
	if v.Tag == "!!null" {
		return ""
	}
	return strings.TrimSpace(v.Value)
}

// list returns the elements of sequence node v. A single scalar stands for a
// one-element list; a null is an empty list.
func (p *yamlParser) list(v *yaml.Node, field string) []*yaml.Node {
	switch {
	case v.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(v.Content))
		for _, e := range v.Content {
			if r := resolve(e); r != nil {
				out = append(out, r)
			} else {
				p.warn(e, field, "unresolvable alias ignored")
			}
		}
		return out
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil
	case v.Kind == yaml.ScalarNode:
		return []*yaml.Node{v}
	}
	p.warn(v, field, "expected a list, found a %s; ignored", kindName(v))
	return nil
}

func (p *yamlParser) walkCase(root *yaml.Node) {
	for _, kv := range p.pairs(root, "") {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "name":
			p.c.Name = p.str(v, "name")
		case "techniques":
			p.c.Techniques = p.items(v, "techniques", techniqueIDRE, "T####", "T####.###")
		case "software":
			p.c.Software = p.items(v, "software", softwareIDRE, "S####", "")
		case "indicators":
			p.indicators(v)
		case "samples":
			p.samples(v)
		case "claims":
			p.claims(v)
		case "victim":
			p.victim(v)
		case "notes":
			p.c.Notes = p.str(v, "notes")
		default:
			p.warn(k, k.Value, "unknown key ignored (known: name, techniques, software, indicators, samples, claims, victim, notes)")
		}
	}
}

// items reads techniques or software: a list of names or ids, or of mappings
// {id|name, source, note}. idRE is the form of an ATT&CK id of this kind;
// a reference that starts like one (T or S and a digit) but does not match is
// reported.
func (p *yamlParser) items(v *yaml.Node, field string, idRE *regexp.Regexp, form, subform string) []Item {
	var out []Item
	seen := map[string]int{}
	prefix := form[:1]
	for i, e := range p.list(v, field) {
		f := index(field, i)
		var it Item
		it.Line = e.Line
		switch e.Kind {
		case yaml.ScalarNode:
			it.Ref = p.str(e, f)
		case yaml.MappingNode:
			var id, name string
			for _, kv := range p.pairs(e, f) {
				k, v := kv[0], kv[1]
				switch k.Value {
				case "id":
					id = p.str(v, join(f, "id"))
				case "name":
					name = p.str(v, join(f, "name"))
				case "source":
					it.Source = p.str(v, join(f, "source"))
				case "note":
					it.Note = p.str(v, join(f, "note"))
				default:
					p.warn(k, join(f, k.Value), "unknown key ignored (known: id, name, source, note)")
				}
			}
			it.Ref = id
			if it.Ref == "" {
				it.Ref = name
			}
		default:
			p.warn(e, f, "expected a name, an id or a mapping {id, name, source, note}, found a %s; ignored", kindName(e))
			continue
		}
		if it.Ref == "" {
			p.warn(e, f, "no id or name; ignored")
			continue
		}
		if looksLikeID(it.Ref, prefix) {
			up := strings.ToUpper(it.Ref)
			if !idRE.MatchString(up) {
				want := form
				if subform != "" {
					want += " or " + subform
				}
				p.warn(e, f, "%q looks like an ATT&CK id but is not of the form %s; kept as a name", it.Ref, want)
			} else {
				it.Ref = up
			}
		}
		key := strings.ToLower(it.Ref)
		if first, dup := seen[key]; dup {
			p.warn(e, f, "%q is listed twice (first at line %d); the duplicate is ignored", it.Ref, first)
			continue
		}
		seen[key] = e.Line
		out = append(out, it)
	}
	return out
}

// looksLikeID reports whether ref is meant as an ATT&CK id with the given
// prefix letter: the letter and a digit.
func looksLikeID(ref, prefix string) bool {
	return len(ref) >= 2 && strings.EqualFold(ref[:1], prefix) && ref[1] >= '0' && ref[1] <= '9'
}

// indicators reads a list of indicators, each one of
//
//   - 203.0.113.7                          # type inferred from the value
//   - ipv4-addr: 203.0.113.7               # type: value shorthand
//   - {type: domain-name, value: example.com, source: ..., note: ...}
func (p *yamlParser) indicators(v *yaml.Node) {
	seen := map[[2]string]int{}
	for i, e := range p.list(v, "indicators") {
		f := index("indicators", i)
		in := Indicator{Line: e.Line}
		var typ string
		typNode := e
		switch e.Kind {
		case yaml.ScalarNode:
			in.Value = p.str(e, f)
			typ = guessType(in.Value)
			if typ == "" {
				p.warn(e, f, "cannot tell the type of %q; write it as {type: ..., value: ...}; ignored", in.Value)
				continue
			}
		case yaml.MappingNode:
			kvs := p.pairs(e, f)
			full := false
			for _, kv := range kvs {
				if kv[0].Value == "type" || kv[0].Value == "value" {
					full = true
				}
			}
			for _, kv := range kvs {
				k, v := kv[0], kv[1]
				switch {
				case k.Value == "source":
					in.Source = p.str(v, join(f, "source"))
				case k.Value == "note":
					in.Note = p.str(v, join(f, "note"))
				case full && k.Value == "type":
					typ, typNode = p.str(v, join(f, "type")), v
				case full && k.Value == "value":
					in.Value = p.str(v, join(f, "value"))
				case full:
					p.warn(k, join(f, k.Value), "unknown key ignored (known: type, value, source, note)")
				case typ != "":
					p.warn(k, join(f, k.Value), "a shorthand indicator has one type: value pair; ignored")
				default:
					typ, typNode = k.Value, k
					in.Value = p.str(v, join(f, k.Value))
				}
			}
			if typ == "" && in.Value != "" {
				if typ = guessType(in.Value); typ == "" {
					p.warn(e, f, "cannot tell the type of %q; add type:; ignored", in.Value)
					continue
				}
			}
		default:
			p.warn(e, f, "expected a value, a type: value pair or a mapping {type, value, source, note}, found a %s; ignored", kindName(e))
			continue
		}
		if in.Value == "" {
			p.warn(e, f, "indicator has no value; ignored")
			continue
		}
		canon, known := canonicalType(typ)
		if !known {
			p.warn(typNode, f, "unknown indicator type %q (known: ipv4-addr, ipv6-addr, domain-name, url, email-addr, md5, sha1, sha256, sha512); kept as written", typ)
			in.Type = typ
		} else {
			val, err := normalizeIndicator(canon, in.Value)
			if err != nil {
				p.warn(e, f, "%v; ignored", err)
				continue
			}
			in.Type, in.Value = canon, val
		}
		key := [2]string{in.Type, in.Value}
		if first, dup := seen[key]; dup {
			p.warn(e, f, "%s %s is listed twice (first at line %d); the duplicate is ignored", in.Type, in.Value, first)
			continue
		}
		seen[key] = e.Line
		p.c.Indicators = append(p.c.Indicators, in)
	}
}

// samples reads a list of {name, sha256, tlsh, ssdeep, source}.
func (p *yamlParser) samples(v *yaml.Node) {
	for i, e := range p.list(v, "samples") {
		f := index("samples", i)
		if e.Kind != yaml.MappingNode {
			p.warn(e, f, "expected a mapping {name, sha256, tlsh, ssdeep, source}, found a %s; ignored", kindName(e))
			continue
		}
		s := Sample{Line: e.Line}
		for _, kv := range p.pairs(e, f) {
			k, v := kv[0], kv[1]
			ff := join(f, k.Value)
			switch k.Value {
			case "name":
				s.Name = p.str(v, ff)
			case "source":
				s.Source = p.str(v, ff)
			case "sha256", "tlsh", "ssdeep":
				raw := p.str(v, ff)
				if raw == "" {
					continue
				}
				h, err := normalizeHash(k.Value, raw)
				if err != nil {
					p.warn(v, ff, "%v; ignored", err)
					continue
				}
				switch k.Value {
				case "sha256":
					s.SHA256 = h
				case "tlsh":
					s.TLSH = h
				default:
					s.SSDEEP = h
				}
			default:
				p.warn(k, ff, "unknown key ignored (known: name, sha256, tlsh, ssdeep, source)")
			}
		}
		if s.SHA256 == "" && s.TLSH == "" && s.SSDEEP == "" {
			p.warn(e, f, "sample has no valid sha256, tlsh or ssdeep; ignored")
			continue
		}
		p.c.Samples = append(p.c.Samples, s)
	}
}

// claims reads a list of {actor, statement, source, reliability,
// credibility, self_claim}; "admiralty: B2" sets both ratings at once.
func (p *yamlParser) claims(v *yaml.Node) {
	for i, e := range p.list(v, "claims") {
		f := index("claims", i)
		if e.Kind != yaml.MappingNode {
			p.warn(e, f, "expected a mapping {actor, statement, source, reliability, credibility, self_claim}, found a %s; ignored", kindName(e))
			continue
		}
		c := Claim{Line: e.Line}
		for _, kv := range p.pairs(e, f) {
			k, v := kv[0], kv[1]
			ff := join(f, k.Value)
			switch k.Value {
			case "actor":
				c.Actor = p.str(v, ff)
			case "statement":
				c.Statement = p.str(v, ff)
			case "source":
				c.Source = p.str(v, ff)
			case "reliability":
				c.Reliability = p.reliability(v, ff, p.str(v, ff))
			case "credibility":
				c.Credibility = p.credibility(v, ff, p.str(v, ff))
			case "admiralty":
				code := p.str(v, ff)
				if len(code) != 2 {
					p.warn(v, ff, "%q is not an Admiralty code such as B2; treated as unrated", code)
					continue
				}
				c.Reliability = p.reliability(v, ff, code[:1])
				c.Credibility = p.credibility(v, ff, code[1:])
			case "self_claim":
				var b bool
				if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
					p.warn(v, ff, "expected true or false; treated as false")
				}
				c.SelfClaim = b
			default:
				p.warn(k, ff, "unknown key ignored (known: actor, statement, source, reliability, credibility, admiralty, self_claim)")
			}
		}
		if c.Actor == "" {
			p.warn(e, f, "claim names no actor; ignored")
			continue
		}
		if c.Source == "" && !c.SelfClaim {
			p.warn(e, f, "claim has no source; it counts as a claim of unknown provenance")
		}
		p.c.Claims = append(p.c.Claims, c)
	}
}

// reliability checks an Admiralty source-reliability letter A-F; anything
// else is unrated ("").
func (p *yamlParser) reliability(n *yaml.Node, field, s string) string {
	if s == "" {
		return ""
	}
	u := strings.ToUpper(s)
	if len(u) != 1 || u[0] < 'A' || u[0] > 'F' {
		p.warn(n, field, "source reliability %q is not an Admiralty letter A-F; treated as unrated", s)
		return ""
	}
	return u
}

// credibility checks an Admiralty information-credibility digit 1-6;
// anything else is unrated (0).
func (p *yamlParser) credibility(n *yaml.Node, field, s string) int {
	if s == "" {
		return 0
	}
	d, err := strconv.Atoi(s)
	if err != nil || d < 1 || d > 6 {
		p.warn(n, field, "information credibility %q is not an Admiralty digit 1-6; treated as unrated", s)
		return 0
	}
	return d
}

func (p *yamlParser) victim(v *yaml.Node) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return
	}
	if v.Kind != yaml.MappingNode {
		p.warn(v, "victim", "expected a mapping {name, sector, country}, found a %s; ignored", kindName(v))
		return
	}
	for _, kv := range p.pairs(v, "victim") {
		k, v := kv[0], kv[1]
		ff := join("victim", k.Value)
		switch k.Value {
		case "name":
			p.c.Victim.Name = p.str(v, ff)
		case "sector":
			p.c.Victim.Sector = p.str(v, ff)
		case "country":
			p.c.Victim.Country = p.country(v, ff, p.str(v, ff))
		default:
			p.warn(k, ff, "unknown key ignored (known: name, sector, country)")
		}
	}
}

// country upper-cases an ISO 3166-1 alpha-2 code; anything else is kept as
// written with a warning, since the knowledge base stores the codes.
func (p *yamlParser) country(n *yaml.Node, field, s string) string {
	if s == "" {
		return ""
	}
	if len(s) == 2 && isLetter(s[0]) && isLetter(s[1]) {
		return strings.ToUpper(s)
	}
	p.warn(n, field, "%q is not an ISO 3166-1 alpha-2 country code (such as US); kept as written", s)
	return s
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// checkClaims reports claims that contradict each other: one source naming
// different actors, one source rating the same claim differently, and a case
// whose claims name different actors at all (which only the knowledge base
// can reconcile, through aliases and same-as links).
func (p *yamlParser) checkClaims() {
	p.warns = append(p.warns, contradictions(p.c.Claims)...)
}

// contradictions is shared by the YAML and STIX parsers.
func contradictions(claims []Claim) []Warning {
	var warns []Warning
	type key struct{ source, actor string }
	bySource := map[string]Claim{}
	byPair := map[key]Claim{}
	for i, c := range claims {
		f := index("claims", i)
		a := strings.ToLower(c.Actor)
		if c.Source == "" {
			continue
		}
		s := strings.ToLower(c.Source)
		if prev, ok := byPair[key{s, a}]; ok {
			if prev.Reliability != c.Reliability || prev.Credibility != c.Credibility || prev.SelfClaim != c.SelfClaim {
				warns = append(warns, Warning{Line: c.Line, Field: f, Message: fmt.Sprintf("%s already claims %s with a different rating%s; both are kept", c.Source, c.Actor, atLine(prev.Line))})
			}
			continue
		}
		byPair[key{s, a}] = c
		if prev, ok := bySource[s]; ok && !strings.EqualFold(prev.Actor, c.Actor) {
			warns = append(warns, Warning{Line: c.Line, Field: f, Message: fmt.Sprintf("contradictory claims: %s names %s here and %s%s", c.Source, c.Actor, prev.Actor, atLine(prev.Line))})
			continue
		}
		bySource[s] = c
	}
	// Whether claims naming different actors contradict each other depends
	// on the knowledge base (Unit 121 and Lazarus Group may be one
	// hypothesis): the engine warns about that, after resolving the names.
	return warns
}

func atLine(l int) string {
	if l == 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", l)
}
