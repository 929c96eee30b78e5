package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// common holds the properties that every object type may carry and that
// culprit reads. It is decoded from every object, whatever its type.
type common struct {
	Type               string              `json:"type"`
	ID                 string              `json:"id"`
	SpecVersion        *string             `json:"spec_version"`
	Created            *string             `json:"created"`
	Modified           *string             `json:"modified"`
	CreatedByRef       *string             `json:"created_by_ref"`
	Name               string              `json:"name"`
	Description        string              `json:"description"`
	Aliases            []string            `json:"aliases"`
	XMitreAliases      []string            `json:"x_mitre_aliases"`
	Revoked            bool                `json:"revoked"`
	XMitreDeprecated   bool                `json:"x_mitre_deprecated"`
	Confidence         *int                `json:"confidence"`
	Labels             []string            `json:"labels"`
	ExternalReferences []ExternalReference `json:"external_references"`
	ObjectMarkingRefs  []string            `json:"object_marking_refs"`
}

// wire is every property that parse reads (see decodeMembers).
// Type-specific properties (specific) are only decoded for their types; a
// custom object type may use the same names with other JSON types.
type wire struct {
	common
	specific
}

type specific struct {
	RelationshipType *string           `json:"relationship_type"`
	SourceRef        *string           `json:"source_ref"`
	TargetRef        *string           `json:"target_ref"`
	SightingOfRef    *string           `json:"sighting_of_ref"`
	ObservedDataRefs []string          `json:"observed_data_refs"`
	WhereSightedRefs []string          `json:"where_sighted_refs"`
	ObjectRefs       []string          `json:"object_refs"`
	KillChainPhases  []KillChainPhase  `json:"kill_chain_phases"`
	Pattern          *string           `json:"pattern"`
	PatternType      *string           `json:"pattern_type"`
	ValidFrom        *string           `json:"valid_from"`
	IsFamily         *bool             `json:"is_family"`
	Published        *string           `json:"published"`
	Content          *string           `json:"content"`
	Opinion          *string           `json:"opinion"`
	Context          *string           `json:"context"`
	FirstObserved    *string           `json:"first_observed"`
	LastObserved     *string           `json:"last_observed"`
	NumberObserved   *int64            `json:"number_observed"`
	Objects          json.RawMessage   `json:"objects"`
	DefinitionType   *string           `json:"definition_type"`
	Definition       json.RawMessage   `json:"definition"`
	Extensions       json.RawMessage   `json:"extensions"`
	Region           *string           `json:"region"`
	Country          *string           `json:"country"`
	Latitude         *float64          `json:"latitude"`
	Longitude        *float64          `json:"longitude"`
	Product          *string           `json:"product"`
	Result           *string           `json:"result"`
	AnalysisSCORefs  []string          `json:"analysis_sco_refs"`
	Value            *string           `json:"value"`
	Number           *int64            `json:"number"`
	Hashes           map[string]string `json:"hashes"`
}

// scratch is memory that parse reuses from one object to the next. Nothing
// in an Object refers to it.
type scratch struct {
	compact []byte
	members []member
}

// ParseObject parses and validates one STIX 2.0 or 2.1 object, with the
// same rules as Decoder.Next, upgrading a 2.0 object to 2.1. The returned
// Object's Raw is a new compact copy of raw (raw is not retained). Errors
// are *DecodeError values without File and with Offset -1.
func ParseObject(raw []byte) (*Object, error) {
	if !validJSON(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		return nil, &DecodeError{Offset: -1, Err: fmt.Errorf("invalid JSON: %w", err)}
	}
	o, err := parse(raw, new(scratch))
	if err != nil {
		return nil, &DecodeError{Offset: -1, ObjectID: idOf(o), ObjectType: typeOf(o), Err: err}
	}
	return o, nil
}

func idOf(o *Object) string {
	if o == nil {
		return ""
	}
	return o.ID
}

func typeOf(o *Object) string {
	if o == nil {
		return ""
	}
	return o.Type
}

// parse validates raw, which must be valid JSON, and returns its Object.
// On error the returned Object, when not nil, holds the Type and ID read so
// far, for the error message. sc is reused from call to call.
func parse(raw []byte, sc *scratch) (*Object, error) {
	sc.compact = compact(sc.compact[:0], raw)
	raw = sc.compact
	ms, err := members(raw, sc.members)
	sc.members = ms
	if err != nil {
		return nil, err
	}

	var w wire
	if err := decodeMembers(raw, ms, &w); err != nil {
		return &Object{Type: w.Type, ID: w.ID}, err
	}

	o := &Object{Type: w.Type, ID: w.ID}
	if w.Type == "" {
		return o, errors.New(`missing "type"`)
	}
	if err := checkType(w.Type); err != nil {
		return o, err
	}
	if w.ID == "" {
		return o, errors.New(`missing "id"`)
	}
	if err := checkID(w.ID, w.Type); err != nil {
		return o, err
	}
	kind := KindOf(w.Type)

	// Decide the version: see the package documentation, "STIX 2.0 input".
	upgrade := false
	switch {
	case w.SpecVersion == nil:
		// 2.0 objects carry no spec_version; 2.1 SCOs need not. A custom
		// type without created is taken for a custom 2.1 SCO.
		upgrade = kind != KindSCO && !(kind == KindUnknown && w.Created == nil)
	case *w.SpecVersion == "2.1":
	case *w.SpecVersion == "2.0":
		upgrade = true
	default:
		return o, fmt.Errorf("unknown spec_version %q (want \"2.0\" or \"2.1\")", truncate(*w.SpecVersion, 32))
	}
	o.SpecVersion = "2.1"

	if err := fill(o, &w, kind); err != nil {
		return o, err
	}
	if err := validate(&w, kind, upgrade); err != nil {
		return o, err
	}
	if w.Type == "x509-certificate" && !hasOwnProperty(raw, ms) {
		return o, errors.New("x509-certificate without any property of its own")
	}

	var edits []edit
	if upgrade {
		edits = upgradeEdits(raw, ms, &w, kind)
	}
	if len(edits) > 0 {
		o.Raw = applyEdits(raw, edits)
	} else {
		o.Raw = bytes.Clone(raw)
	}
	return o, nil
}

// upgradeEdits returns the edits that turn a STIX 2.0 object into 2.1 (see
// the package documentation), sorted by position.
func upgradeEdits(raw []byte, ms []member, w *wire, kind Kind) []edit {
	var edits []edit
	for _, m := range ms {
		if m.is(raw, "spec_version") {
			edits = append(edits, edit{at: m.start, end: m.end, text: `"2.1"`})
		}
	}
	if len(edits) == 0 {
		at := 1 // just after '{' when "type" is not found (it always is)
		text := `"spec_version":"2.1",`
		for _, m := range ms {
			if m.is(raw, "type") {
				at, text = m.end, `,"spec_version":"2.1"`
				break
			}
		}
		edits = append(edits, edit{at: at, end: at, text: text})
	}
	end := ms[len(ms)-1].end
	switch {
	case w.Type == "malware" && w.IsFamily == nil:
		edits = append(edits, edit{at: end, end: end, text: `,"is_family":true`})
	case w.Type == "indicator" && w.PatternType == nil:
		edits = append(edits, edit{at: end, end: end, text: `,"pattern_type":"stix"`})
	}
	// Edits are at increasing positions except that the spec_version
	// replacement may come after the end insertion; the end is always last.
	if len(edits) == 2 && edits[0].at > edits[1].at {
		edits[0], edits[1] = edits[1], edits[0]
	}
	return edits
}

// hasOwnProperty reports whether an SCO has a property besides the common
// ones (section 6.1).
func hasOwnProperty(raw []byte, ms []member) bool {
	for _, m := range ms {
		switch string(raw[m.kStart:m.kEnd]) {
		case "type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged", "extensions":
		default:
			return true
		}
	}
	return false
}

func jsonKind(goType string) string {
	switch {
	case goType == "string" || goType == "*string":
		return "a string"
	case goType == "bool" || goType == "*bool":
		return "a boolean"
	case strings.Contains(goType, "int") || strings.Contains(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map"):
		return "an object"
	}
	return "an object"
}

// fill copies the parsed properties into o and parses its timestamps.
func fill(o *Object, w *wire, kind Kind) error {
	var err error
	if w.Created != nil {
		if o.Created, err = timestamp("created", *w.Created); err != nil {
			return err
		}
	}
	if w.Modified != nil {
		if o.Modified, err = timestamp("modified", *w.Modified); err != nil {
			return err
		}
	}
	if w.CreatedByRef != nil {
		if err := checkRef("created_by_ref", *w.CreatedByRef); err != nil {
			return err
		}
		o.CreatedBy = *w.CreatedByRef
	}
	o.Name = w.Name
	o.Description = w.Description
	o.Aliases = mergeAliases(w.Aliases, w.XMitreAliases)
	o.Revoked = w.Revoked
	o.Deprecated = w.XMitreDeprecated
	if w.Confidence != nil {
		if c := *w.Confidence; c < 0 || c > 100 {
			return fmt.Errorf(`"confidence" %d out of range 0-100`, c)
		}
		o.Confidence = w.Confidence
	}
	o.Labels = w.Labels
	for i, r := range w.ExternalReferences {
		if r.SourceName == "" {
			return fmt.Errorf(`external_references[%d]: missing "source_name"`, i)
		}
	}
	o.ExternalReferences = w.ExternalReferences
	for i, r := range w.ObjectMarkingRefs {
		if err := checkRef(fmt.Sprintf("object_marking_refs[%d]", i), r); err != nil {
			return err
		}
	}
	o.ObjectMarkingRefs = w.ObjectMarkingRefs
	if kind == KindUnknown {
		return nil
	}
	o.RelationshipType = deref(w.RelationshipType)
	o.SourceRef = deref(w.SourceRef)
	o.TargetRef = deref(w.TargetRef)
	o.SightingOfRef = deref(w.SightingOfRef)
	o.ObjectRefs = w.ObjectRefs
	o.KillChainPhases = w.KillChainPhases
	if kind == KindSCO {
		o.Value = deref(w.Value)
		o.Hashes = w.Hashes
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// mergeAliases returns a followed by the members of b not in a, without
// duplicates, in order.
func mergeAliases(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := make([]string, 0, len(a)+len(b))
	seen := make(map[string]bool, len(a)+len(b))
	for _, s := range [][]string{a, b} {
		for _, x := range s {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out
}

// timestamp parses a STIX timestamp (section 3.2): RFC 3339 in UTC, with
// the "Z" designator.
func timestamp(prop, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("%q: invalid timestamp %q (want RFC 3339 in UTC, like 2016-05-12T08:17:27.000Z)", prop, truncate(s, 40))
	}
	return t, nil
}

// checkType applies the type name rule of STIX 2.1 section 3.1: 3 to 250
// characters, a-z, 0-9 and hyphen, starting with a letter, no "--".
func checkType(t string) error {
	if len(t) < 3 || len(t) > 250 {
		return fmt.Errorf("invalid type %q: must be 3 to 250 characters", truncate(t, 64))
	}
	if t[0] < 'a' || t[0] > 'z' {
		return fmt.Errorf("invalid type %q: must start with a letter a-z", truncate(t, 64))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("invalid type %q: only a-z, 0-9 and - are allowed", truncate(t, 64))
		}
		if c == '-' && i > 0 && t[i-1] == '-' {
			return fmt.Errorf("invalid type %q: must not contain \"--\"", truncate(t, 64))
		}
	}
	return nil
}

// checkID checks that id is typ--UUID.
func checkID(id, typ string) error {
	t, u, ok := strings.Cut(id, "--")
	if !ok {
		return fmt.Errorf("invalid id %q: want %s--<UUID>", truncate(id, 80), typ)
	}
	if t != typ {
		return fmt.Errorf("id %q does not match type %q", truncate(id, 80), typ)
	}
	if !isUUID(u) {
		return fmt.Errorf("invalid id %q: %q is not an RFC 4122 UUID", truncate(id, 80), truncate(u, 40))
	}
	return nil
}

// IsIdentifier reports whether s is a syntactically valid STIX identifier,
// <type>--<UUID> (STIX 2.1 section 2.9).
func IsIdentifier(s string) bool {
	t, u, ok := strings.Cut(s, "--")
	return ok && checkType(t) == nil && isUUID(u)
}

func checkRef(prop, ref string) error {
	if !IsIdentifier(ref) {
		return fmt.Errorf("%s: invalid identifier %q", prop, truncate(ref, 80))
	}
	return nil
}

func checkRefs(prop string, refs []string) error {
	for i, r := range refs {
		if !IsIdentifier(r) {
			return fmt.Errorf("%s[%d]: invalid identifier %q", prop, i, truncate(r, 80))
		}
	}
	return nil
}

// isUUID reports whether u is an RFC 4122 UUID in its 36-character text form
// with a version from 1 to 5 and the RFC 4122 variant.
func isUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		}
		if !isHex(c) {
			return false
		}
	}
	if u[14] < '1' || u[14] > '5' {
		return false
	}
	switch u[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func missing(prop string) error { return fmt.Errorf("missing %q", prop) }

// validate checks the properties that STIX 2.1 requires of the object's
// kind and type. upgrade tells that the object is STIX 2.0 input, for the
// properties that the upgrade fills in.
func validate(w *wire, kind Kind, upgrade bool) error {
	switch kind {
	case KindSDO, KindSRO:
		if w.Created == nil {
			return missing("created")
		}
		if w.Modified == nil {
			return missing("modified")
		}
		c, _ := timestamp("created", *w.Created)
		m, _ := timestamp("modified", *w.Modified)
		if m.Before(c) {
			return fmt.Errorf(`"modified" %s is before "created" %s`, *w.Modified, *w.Created)
		}
	case KindMarking:
		if w.Created == nil {
			return missing("created")
		}
		return validateMarking(w)
	case KindSCO:
		return validateSCO(w)
	default:
		return nil
	}

	needName := func() error {
		if w.Name == "" {
			return missing("name")
		}
		return nil
	}
	needString := func(prop string, p *string) error {
		if p == nil || *p == "" {
			return missing(prop)
		}
		return nil
	}
	needRefs := func(prop string, refs []string) error {
		if len(refs) == 0 {
			return missing(prop)
		}
		return checkRefs(prop, refs)
	}
	switch w.Type {
	case "attack-pattern", "campaign", "course-of-action", "identity", "incident",
		"infrastructure", "intrusion-set", "threat-actor", "tool", "vulnerability":
		return needName()
	case "malware":
		if w.IsFamily == nil && !upgrade {
			return missing("is_family")
		}
		if (w.IsFamily == nil || *w.IsFamily) && w.Name == "" {
			return errors.New(`missing "name" (required when "is_family" is true)`)
		}
	case "indicator":
		if err := needString("pattern", w.Pattern); err != nil {
			return err
		}
		// A 2.0 object has no pattern_type and gets "stix" on upgrade; one
		// that carries the property anyway must carry a valid one, since it
		// is kept as it is.
		if !upgrade || w.PatternType != nil {
			if err := needString("pattern_type", w.PatternType); err != nil {
				return err
			}
		}
		if w.ValidFrom == nil {
			return missing("valid_from")
		}
		_, err := timestamp("valid_from", *w.ValidFrom)
		return err
	case "report":
		if err := needName(); err != nil {
			return err
		}
		if w.Published == nil {
			return missing("published")
		}
		if _, err := timestamp("published", *w.Published); err != nil {
			return err
		}
		return needRefs("object_refs", w.ObjectRefs)
	case "note":
		if err := needString("content", w.Content); err != nil {
			return err
		}
		return needRefs("object_refs", w.ObjectRefs)
	case "opinion":
		if w.Opinion == nil {
			return missing("opinion")
		}
		switch *w.Opinion {
		case "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree":
		default:
			return fmt.Errorf(`"opinion": %q is not one of strongly-disagree, disagree, neutral, agree, strongly-agree`, truncate(*w.Opinion, 40))
		}
		return needRefs("object_refs", w.ObjectRefs)
	case "grouping":
		if err := needString("context", w.Context); err != nil {
			return err
		}
		return needRefs("object_refs", w.ObjectRefs)
	case "location":
		if w.Region == nil && w.Country == nil && (w.Latitude == nil || w.Longitude == nil) {
			return errors.New(`missing "region", "country" or "latitude" and "longitude"`)
		}
	case "malware-analysis":
		if err := needString("product", w.Product); err != nil {
			return err
		}
		if w.Result == nil && len(w.AnalysisSCORefs) == 0 {
			return errors.New(`missing "result" or "analysis_sco_refs"`)
		}
	case "observed-data":
		for _, p := range []struct {
			name string
			v    *string
		}{{"first_observed", w.FirstObserved}, {"last_observed", w.LastObserved}} {
			if p.v == nil {
				return missing(p.name)
			}
			if _, err := timestamp(p.name, *p.v); err != nil {
				return err
			}
		}
		if w.NumberObserved == nil {
			return missing("number_observed")
		}
		if n := *w.NumberObserved; n < 1 || n > 999999999 {
			return fmt.Errorf(`"number_observed" %d out of range 1-999999999`, n)
		}
		if len(w.ObjectRefs) == 0 && len(w.Objects) == 0 {
			return errors.New(`missing "object_refs" (or the deprecated "objects")`)
		}
		return checkRefs("object_refs", w.ObjectRefs)
	case "relationship":
		if err := needString("relationship_type", w.RelationshipType); err != nil {
			return err
		}
		if w.SourceRef == nil {
			return missing("source_ref")
		}
		if err := checkRef("source_ref", *w.SourceRef); err != nil {
			return err
		}
		if w.TargetRef == nil {
			return missing("target_ref")
		}
		return checkRef("target_ref", *w.TargetRef)
	case "sighting":
		if w.SightingOfRef == nil {
			return missing("sighting_of_ref")
		}
		if err := checkRef("sighting_of_ref", *w.SightingOfRef); err != nil {
			return err
		}
		if err := checkRefs("observed_data_refs", w.ObservedDataRefs); err != nil {
			return err
		}
		return checkRefs("where_sighted_refs", w.WhereSightedRefs)
	}
	return nil
}

// validateMarking checks a marking-definition (section 7.2): a definition
// (statement or TLP 1.0) or extensions (TLP 2.0 and others), and the fixed
// content of the predefined TLP ids.
func validateMarking(w *wire) error {
	if len(w.Extensions) == 0 && (w.DefinitionType == nil || len(w.Definition) == 0) {
		return errors.New(`missing "definition_type" and "definition" (or "extensions")`)
	}
	if want := tlp1Colour(w.ID); want != "" {
		var d struct {
			TLP string `json:"tlp"`
		}
		if deref(w.DefinitionType) != "tlp" || json.Unmarshal(w.Definition, &d) != nil || d.TLP != want {
			return fmt.Errorf("predefined TLP 1.0 marking %s must have definition_type \"tlp\" and definition {\"tlp\": %q}", w.ID, want)
		}
	}
	if want := tlp2Level(w.ID); want != "" && len(w.Extensions) > 0 {
		var ext map[string]struct {
			TLP string `json:"tlp_2_0"`
		}
		if err := json.Unmarshal(w.Extensions, &ext); err != nil {
			return fmt.Errorf(`"extensions": %w`, err)
		}
		if e, ok := ext[TLP2Extension]; !ok || e.TLP != want {
			return fmt.Errorf("TLP 2.0 marking %s must have extension %s with tlp_2_0 %q", w.ID, TLP2Extension, want)
		}
	}
	return nil
}

// validateSCO checks the cyber-observable types culprit supports.
func validateSCO(w *wire) error {
	value := func() (string, error) {
		if w.Value == nil || *w.Value == "" {
			return "", missing("value")
		}
		return *w.Value, nil
	}
	switch w.Type {
	case "ipv4-addr", "ipv6-addr":
		v, err := value()
		if err != nil {
			return err
		}
		var a netip.Addr
		if p, err := netip.ParsePrefix(v); err == nil {
			a = p.Addr()
		} else if a, err = netip.ParseAddr(v); err != nil {
			return fmt.Errorf(`"value": %q is not an IP address or CIDR block`, truncate(v, 64))
		}
		if (w.Type == "ipv4-addr") != a.Is4() {
			return fmt.Errorf(`"value": %q is not an %s address`, v, strings.TrimSuffix(w.Type, "-addr"))
		}
	case "domain-name", "url", "email-addr":
		_, err := value()
		return err
	case "autonomous-system":
		if w.Number == nil {
			return missing("number")
		}
		if *w.Number < 0 || *w.Number > 1<<32-1 {
			return fmt.Errorf(`"number" %d is not an AS number`, *w.Number)
		}
	case "file":
		if len(w.Hashes) == 0 && w.Name == "" {
			return errors.New(`missing "hashes" or "name"`)
		}
	}
	return checkHashes(w.Hashes)
}

// checkHashes checks the values of the hash algorithms of the hash-algorithm
// vocabulary (section 10.7) that it knows; other keys are kept as custom
// algorithms (at most 250 characters, section 2.7).
func checkHashes(h map[string]string) error {
	for k, v := range h {
		if len(k) == 0 || len(k) > 250 {
			return fmt.Errorf("hashes: invalid algorithm name %q", truncate(k, 64))
		}
		var n int
		switch k {
		case "MD5":
			n = 32
		case "SHA-1":
			n = 40
		case "SHA-256", "SHA3-256":
			n = 64
		case "SHA-512", "SHA3-512":
			n = 128
		case "TLSH":
			if !isTLSH(v) {
				return fmt.Errorf("hashes: invalid TLSH digest %q", truncate(v, 80))
			}
			continue
		case "SSDEEP":
			if !isSSDEEP(v) {
				return fmt.Errorf("hashes: invalid SSDEEP digest %q", truncate(v, 80))
			}
			continue
		default:
			continue
		}
		if len(v) != n || !allHex(v) {
			return fmt.Errorf("hashes: invalid %s digest %q (want %d hex digits)", k, truncate(v, 80), n)
		}
	}
	return nil
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isTLSH accepts a TLSH digest in hex, with or without the "T1" version
// prefix: 70 hex digits for the standard 128-bucket digest, 134 for the
// 256-bucket one.
func isTLSH(s string) bool {
	if len(s) > 2 && (s[:2] == "T1" || s[:2] == "t1") {
		s = s[2:]
	}
	return (len(s) == 70 || len(s) == 134) && allHex(s)
}

// isSSDEEP accepts blocksize:hash1:hash2 with base64 hash parts, optionally
// followed by ,"filename" as ssdeep prints it.
func isSSDEEP(s string) bool {
	bs, rest, ok := strings.Cut(s, ":")
	if !ok || bs == "" || len(bs) > 10 {
		return false
	}
	for i := 0; i < len(bs); i++ {
		if bs[i] < '0' || bs[i] > '9' {
			return false
		}
	}
	h1, h2, ok := strings.Cut(rest, ":")
	if !ok {
		return false
	}
	if i := strings.IndexByte(h2, ','); i >= 0 {
		h2 = h2[:i]
	}
	return isB64(h1) && isB64(h2) && len(h1) <= 64 && len(h2) <= 64
}

func isB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
