package galaxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// stixTime is the STIX 2.1 timestamp format with millisecond precision.
const stixTime = "2006-01-02T15:04:05.000Z"

// sdo is the JSON form of an intrusion-set or malware object. Field order is
// the order of the output.
type sdo struct {
	Type               string                     `json:"type"`
	SpecVersion        string                     `json:"spec_version"`
	ID                 string                     `json:"id"`
	Created            string                     `json:"created"`
	Modified           string                     `json:"modified"`
	Name               string                     `json:"name"`
	Description        string                     `json:"description,omitempty"`
	Aliases            []string                   `json:"aliases,omitempty"`
	IsFamily           *bool                      `json:"is_family,omitempty"`
	Revoked            bool                       `json:"revoked,omitempty"`
	ExternalReferences []stix.ExternalReference   `json:"external_references"`
	Galaxy             string                     `json:"x_misp_galaxy"`
	ClusterUUID        string                     `json:"x_misp_cluster_uuid"`
	Value              string                     `json:"x_misp_value"`
	Country            string                     `json:"x_misp_country,omitempty"`
	StateSponsor       string                     `json:"x_misp_cfr_suspected_state_sponsor,omitempty"`
	Victims            []string                   `json:"x_misp_cfr_suspected_victims,omitempty"`
	TargetCategory     []string                   `json:"x_misp_cfr_target_category,omitempty"`
	AttributionConf    *int                       `json:"x_misp_attribution_confidence,omitempty"`
	Meta               map[string]json.RawMessage `json:"x_misp_meta,omitempty"`
	Related            []Related                  `json:"x_misp_related,omitempty"`
}

// sro is the JSON form of a relationship object.
type sro struct {
	Type             string   `json:"type"`
	SpecVersion      string   `json:"spec_version"`
	ID               string   `json:"id"`
	Created          string   `json:"created"`
	Modified         string   `json:"modified"`
	RelationshipType string   `json:"relationship_type"`
	SourceRef        string   `json:"source_ref"`
	TargetRef        string   `json:"target_ref"`
	Confidence       *int     `json:"confidence,omitempty"`
	Revoked          bool     `json:"revoked,omitempty"`
	Galaxy           string   `json:"x_misp_galaxy"`
	MISPType         string   `json:"x_misp_type,omitempty"`
	Tags             []string `json:"x_misp_tags,omitempty"`
}

// build validates a read file and maps it to STIX objects.
func build(name string, f *rawFile) (*File, error) {
	fail := func(err error) error { return &Error{File: name, Index: -1, Err: err} }
	if !f.hasValues {
		return nil, fail(errors.New("no \"values\" array"))
	}
	if f.Type == "" {
		return nil, fail(errors.New("no galaxy \"type\""))
	}
	if !galaxyRE.MatchString(f.Type) || len(f.Type) > 128 {
		return nil, fail(fmt.Errorf("invalid galaxy type %q", f.Type))
	}
	stixType, ok := ObjectType(f.Type)
	if !ok {
		return nil, fail(fmt.Errorf("unsupported galaxy type %q (supported: threat-actor, mitre-intrusion-set, malpedia)", f.Type))
	}
	ts := Timestamp(f.Version).Format(stixTime)
	created := Timestamp(0).Format(stixTime)

	// First pass: validate identities and index the clusters of this file.
	ids := make(map[string]string, len(f.Values)) // lower-case uuid -> STIX id
	index := make(map[string]int, len(f.Values))
	for i, c := range f.Values {
		cfail := func(err error) error {
			return &Error{File: name, Index: i, Value: c.Value, UUID: c.UUID, Offset: c.offset, Err: err}
		}
		if strings.TrimSpace(c.Value) == "" {
			return nil, cfail(errors.New("no \"value\""))
		}
		if c.UUID == "" {
			return nil, cfail(errors.New("no \"uuid\""))
		}
		if !uuidRE.MatchString(c.UUID) {
			return nil, cfail(fmt.Errorf("invalid uuid %q", c.UUID))
		}
		u := strings.ToLower(c.UUID)
		if j, dup := index[u]; dup {
			return nil, cfail(fmt.Errorf("duplicate uuid: also cluster %d %q", j, f.Values[j].Value))
		}
		index[u] = i
		ids[u] = ObjectID(f.Type, u)
	}

	out := &File{
		Type: f.Type, Name: f.Name, UUID: f.UUID, Version: f.Version,
		Source: f.Source, Category: f.Category, Description: f.Description,
		Authors: f.Authors, Clusters: len(f.Values),
		ids: ids, created: created, modified: ts,
	}
	var rels []*stix.Object
	relSeen := map[string]bool{}
	for i, c := range f.Values {
		cfail := func(err error) error {
			return &Error{File: name, Index: i, Value: c.Value, UUID: c.UUID, Offset: c.offset, Err: err}
		}
		u := strings.ToLower(c.UUID)
		o := sdo{
			Type:        stixType,
			SpecVersion: "2.1",
			ID:          ids[u],
			Created:     created,
			Modified:    ts,
			Name:        strings.TrimSpace(c.Value),
			Description: c.Description,
			Revoked:     c.Revoked,
			Galaxy:      f.Type,
			ClusterUUID: u,
			Value:       c.Value,
		}
		if stixType == "malware" {
			t := true
			o.IsFamily = &t
		}
		mapMeta(&o, f.Type, c.Meta)
		for _, r := range c.Related {
			dest := strings.ToLower(r.DestUUID)
			target, ok := ids[dest]
			if !ok {
				o.Related = append(o.Related, r)
				out.Unresolved++
				out.pending = append(out.pending, pending{sourceID: o.ID, sourceUUID: u, rel: r})
				continue
			}
			rel, err := relationship(f.Type, ts, created, o.ID, u, f.Type, target, dest, r)
			if err != nil {
				return nil, cfail(err)
			}
			if relSeen[rel.ID] {
				continue
			}
			relSeen[rel.ID] = true
			rels = append(rels, rel)
		}
		obj, err := marshalObject(o)
		if err != nil {
			return nil, cfail(err)
		}
		out.Objects = append(out.Objects, obj)
	}
	out.Objects = append(out.Objects, rels...)
	return out, nil
}

// Link returns the relationships between clusters of different files:
// one for each related[] entry (kept in x_misp_related) whose dest-uuid is
// a cluster of another of the given files, built as Decode builds those
// within one file, with the source file's timestamps. A dest-uuid found in
// several files gives one relationship to each. Pass every galaxy file of
// one import; files not made by Decode are ignored.
func Link(files ...*File) ([]*stix.Object, error) {
	var out []*stix.Object
	seen := map[string]bool{}
	for i, src := range files {
		if src == nil {
			continue
		}
		for _, p := range src.pending {
			dest := strings.ToLower(p.rel.DestUUID)
			for j, dst := range files {
				if j == i || dst == nil {
					continue
				}
				target, ok := dst.ids[dest]
				if !ok {
					continue
				}
				rel, err := relationship(src.Type, src.modified, src.created, p.sourceID, p.sourceUUID, dst.Type, target, dest, p.rel)
				if err != nil {
					return nil, fmt.Errorf("link %s cluster %s to %s: %w", src.Type, p.sourceUUID, dst.Type, err)
				}
				if !seen[rel.ID] {
					seen[rel.ID] = true
					out = append(out, rel)
				}
			}
		}
	}
	return out, nil
}

// Pending returns the entries of o's x_misp_related: the related clusters
// of an object made by Decode that were not in its own file. It returns
// nil for objects without any.
func Pending(o *stix.Object) ([]Related, error) {
	var p struct {
		Related []Related `json:"x_misp_related"`
	}
	if err := json.Unmarshal(o.Raw, &p); err != nil {
		return nil, fmt.Errorf("object %s: x_misp_related: %w", o.ID, err)
	}
	return p.Related, nil
}

// Relate returns the relationship for the entry r of src's x_misp_related
// (see Pending) when target is the object made from r's dest-uuid cluster
// in another galaxy file: the same relationship Link gives when both files
// are at hand. It lets an importer resolve entries against objects it has
// stored earlier. src and target must be objects made by Decode.
func Relate(src *stix.Object, r Related, target *stix.Object) (*stix.Object, error) {
	sg, su, err := clusterOf(src)
	if err != nil {
		return nil, err
	}
	tg, tu, err := clusterOf(target)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(tu, r.DestUUID) {
		return nil, fmt.Errorf("object %s is cluster %s, not the related cluster %s", target.ID, tu, r.DestUUID)
	}
	return relationship(sg, src.Modified.UTC().Format(stixTime), src.Created.UTC().Format(stixTime), src.ID, su, tg, target.ID, tu, r)
}

// clusterOf reads the galaxy type and cluster uuid of an object made by
// Decode.
func clusterOf(o *stix.Object) (galaxyType, clusterUUID string, err error) {
	var p struct {
		Galaxy string `json:"x_misp_galaxy"`
		UUID   string `json:"x_misp_cluster_uuid"`
	}
	if err := json.Unmarshal(o.Raw, &p); err != nil {
		return "", "", fmt.Errorf("object %s: %w", o.ID, err)
	}
	if p.Galaxy == "" || !uuidRE.MatchString(p.UUID) {
		return "", "", fmt.Errorf("object %s was not made from a MISP galaxy cluster", o.ID)
	}
	return p.Galaxy, strings.ToLower(p.UUID), nil
}

// mapMeta fills o from a cluster's meta. Entries mapped losslessly to STIX
// or to a dedicated x_misp_ property are removed from x_misp_meta; the rest
// is kept verbatim.
func mapMeta(o *sdo, galaxyType string, meta map[string]json.RawMessage) {
	rest := make(map[string]json.RawMessage, len(meta))
	for k, v := range meta {
		rest[k] = v
	}
	o.ExternalReferences = []stix.ExternalReference{{SourceName: "misp-galaxy:" + galaxyType, ExternalID: o.ClusterUUID}}

	if syn, ok := stringList(rest["synonyms"]); ok {
		o.Aliases = aliases(o.Name, syn)
		delete(rest, "synonyms")
	}
	if strings.HasPrefix(galaxyType, "mitre-") {
		if id, ok := stringValue(rest["external_id"]); ok && id != "" {
			o.ExternalReferences = append(o.ExternalReferences, stix.ExternalReference{SourceName: "mitre-attack", ExternalID: id})
			o.Name = strings.TrimSpace(strings.TrimSuffix(o.Name, " - "+id))
			if o.Name == "" {
				o.Name = strings.TrimSpace(o.Value)
			}
			o.Aliases = aliases(o.Name, o.Aliases)
			delete(rest, "external_id")
		}
	}
	if refs, ok := stringList(rest["refs"]); ok {
		var good []stix.ExternalReference
		seen := map[string]bool{}
		valid := true
		for _, r := range refs {
			r = strings.TrimSpace(r)
			u, err := url.Parse(r)
			if err != nil || !u.IsAbs() || u.Host == "" {
				valid = false
				break
			}
			if !seen[r] {
				seen[r] = true
				good = append(good, stix.ExternalReference{SourceName: "reference", URL: r})
			}
		}
		if valid {
			o.ExternalReferences = append(o.ExternalReferences, good...)
			delete(rest, "refs")
		}
	}
	if c, ok := stringValue(rest["country"]); ok && countryRE.MatchString(strings.ToUpper(c)) {
		o.Country = strings.ToUpper(c)
		if o.Country == c {
			delete(rest, "country")
		}
	}
	if s, ok := stringValue(rest["cfr-suspected-state-sponsor"]); ok {
		o.StateSponsor = s
		delete(rest, "cfr-suspected-state-sponsor")
	}
	if l, ok := stringList(rest["cfr-suspected-victims"]); ok && isArray(rest["cfr-suspected-victims"]) {
		o.Victims = l
		delete(rest, "cfr-suspected-victims")
	}
	if l, ok := stringList(rest["cfr-target-category"]); ok && isArray(rest["cfr-target-category"]) {
		o.TargetCategory = l
		delete(rest, "cfr-target-category")
	}
	if n, ok := percent(rest["attribution-confidence"]); ok {
		o.AttributionConf = &n
		delete(rest, "attribution-confidence")
	}
	if len(rest) > 0 {
		o.Meta = rest
	}
}

// aliases returns syn trimmed, without empty strings and without names
// equal to name, deduplicated ignoring case (the first spelling is kept).
func aliases(name string, syn []string) []string {
	var out []string
	seen := map[string]bool{strings.ToLower(name): true}
	for _, s := range syn {
		s = strings.TrimSpace(s)
		k := strings.ToLower(s)
		if s == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}

// stringValue decodes a JSON string.
func stringValue(raw json.RawMessage) (string, bool) {
	if raw == nil {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// stringList decodes a JSON array of strings, or one string as a list of one.
func stringList(raw json.RawMessage) ([]string, bool) {
	if raw == nil {
		return nil, false
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err == nil {
		return l, true
	}
	if s, ok := stringValue(raw); ok {
		return []string{s}, true
	}
	return nil, false
}

func isArray(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '['
}

// percent decodes an integer 0-100 given as a JSON number or a string.
func percent(raw json.RawMessage) (int, bool) {
	if raw == nil {
		return 0, false
	}
	s, ok := stringValue(raw)
	if !ok {
		s = string(bytes.TrimSpace(raw))
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 100 {
		return 0, false
	}
	return n, true
}

// likelihood maps the MISP estimative-language likelihood-probability
// values (ICD 203) to STIX confidence with the DNI scale of STIX 2.1
// Appendix A.
var likelihood = map[string]int{
	"almost-no-chance":    5,
	"very-unlikely":       15,
	"unlikely":            30,
	"roughly-even-chance": 50,
	"likely":              70,
	"very-likely":         85,
	"almost-certain":      95,
}

// Likelihood returns the STIX confidence for a MISP tag
// estimative-language:likelihood-probability="<value>", and false for any
// other tag. The values follow the DNI scale of STIX 2.1 Appendix A:
// almost-no-chance 5, very-unlikely 15, unlikely 30, roughly-even-chance 50,
// likely 70, very-likely 85, almost-certain 95.
func Likelihood(tag string) (int, bool) {
	const prefix = "estimative-language:likelihood-probability="
	if !strings.HasPrefix(tag, prefix) {
		return 0, false
	}
	v := strings.Trim(strings.TrimPrefix(tag, prefix), `"`)
	n, ok := likelihood[v]
	return n, ok
}

// relationship builds the relationship for one related[] entry resolved in
// the same file.
func relationship(galaxyType, modified, created, sourceID, sourceUUID, targetGalaxy, targetID, targetUUID string, r Related) (*stix.Object, error) {
	rt := strings.Trim(relTypeBad.ReplaceAllString(strings.ToLower(strings.TrimSpace(r.Type)), "-"), "-")
	if rt == "" {
		rt = "related-to"
	}
	s := sro{
		Type:             "relationship",
		SpecVersion:      "2.1",
		ID:               stix.DeterministicID("relationship", "misp-galaxy:"+galaxyType+":"+sourceUUID+":"+rt+":"+targetGalaxy+":"+targetUUID),
		Created:          created,
		Modified:         modified,
		RelationshipType: rt,
		SourceRef:        sourceID,
		TargetRef:        targetID,
		Galaxy:           galaxyType,
		Tags:             r.Tags,
	}
	if rt != r.Type {
		s.MISPType = r.Type
	}
	for _, t := range r.Tags {
		if n, ok := Likelihood(t); ok {
			s.Confidence = &n
			break
		}
	}
	return marshalObject(s)
}

func marshalObject(v any) (*stix.Object, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode STIX object: %w", err)
	}
	o, err := stix.ParseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("built an invalid STIX object: %w", err)
	}
	return o, nil
}
