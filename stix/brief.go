package stix

// ParseBrief decodes a stored object (one that ParseObject accepted, as a
// store holds it) for a reader that needs only what names and identifies
// it and what decides who may see it: an actor card's techniques and
// software, and the relationships that lead to them. ATT&CK's techniques
// and "uses" relationships carry descriptions and citations of kilobytes
// that ParseObject validates, compacts, decodes and copies, and that a
// card never shows: most of a card's time went there.
//
// It fills, as ParseObject does, Type, ID, SpecVersion, Created, Modified,
// CreatedBy, Name, Revoked, Deprecated, ObjectMarkingRefs and, for the
// types culprit models, RelationshipType, SourceRef, TargetRef,
// SightingOfRef and ObjectRefs; of each external reference, SourceName,
// ExternalID and URL. Raw is raw itself, not copied, so raw must not be
// changed afterwards; the markings a reader of Raw looks for (granular
// markings, other refs) are all there. Everything else is left zero (see
// Brief).
//
// It checks that raw is JSON and that what it reads has the right JSON
// type, and relies on raw having been validated when it was stored: input
// that ParseObject rejects may be accepted. Input it cannot read that way (escapes in a
// key, a duplicate key in a reference, a null) goes through ParseObject,
// whose error it returns.
func ParseBrief(raw []byte) (*Object, error) {
	if o, ok := parseBrief(raw); ok {
		return o, nil
	}
	o, err := ParseObject(raw)
	if err != nil {
		return nil, err
	}
	return o.Brief(), nil
}

// Brief returns a copy of o with only the fields ParseBrief fills: what
// ParseBrief gives for o.Raw.
func (o *Object) Brief() *Object {
	b := &Object{Type: o.Type, ID: o.ID, SpecVersion: o.SpecVersion, Created: o.Created, Modified: o.Modified,
		CreatedBy: o.CreatedBy, Name: o.Name, Revoked: o.Revoked, Deprecated: o.Deprecated,
		ObjectMarkingRefs: o.ObjectMarkingRefs, RelationshipType: o.RelationshipType, SourceRef: o.SourceRef,
		TargetRef: o.TargetRef, SightingOfRef: o.SightingOfRef, ObjectRefs: o.ObjectRefs, Raw: o.Raw}
	if o.ExternalReferences != nil {
		b.ExternalReferences = make([]ExternalReference, len(o.ExternalReferences))
		for i, r := range o.ExternalReferences {
			b.ExternalReferences[i] = ExternalReference{SourceName: r.SourceName, ExternalID: r.ExternalID, URL: r.URL}
		}
	}
	return b
}

// parseBrief is ParseBrief's own reading of raw; ok is false where it
// leaves raw to ParseObject.
func parseBrief(raw []byte) (*Object, bool) {
	if !validJSON(raw) {
		return nil, false // the readers below trust their input to be JSON
	}
	ms, err := members(raw, make([]member, 0, 24))
	if err != nil {
		return nil, false
	}
	o := &Object{SpecVersion: "2.1", Raw: raw}
	for _, m := range ms {
		if m.is(raw, "type") && str(raw, m, &o.Type) != nil {
			return nil, false
		}
	}
	known := KindOf(o.Type) != KindUnknown
	var created, modified, createdBy *string
	for _, m := range ms {
		var err error
		switch string(raw[m.kStart:m.kEnd]) {
		case "id":
			err = str(raw, m, &o.ID)
		case "created":
			err = strp(raw, m, &created)
		case "modified":
			err = strp(raw, m, &modified)
		case "created_by_ref":
			err = strp(raw, m, &createdBy)
		case "name":
			err = str(raw, m, &o.Name)
		case "revoked":
			err = boolean(raw, m, &o.Revoked)
		case "x_mitre_deprecated":
			err = boolean(raw, m, &o.Deprecated)
		case "object_marking_refs":
			err = strs(raw, m, &o.ObjectMarkingRefs)
		case "external_references":
			var ok bool
			if o.ExternalReferences, ok = briefReferences(raw[m.start:m.end]); !ok {
				return nil, false
			}
		}
		if known && err == nil {
			switch string(raw[m.kStart:m.kEnd]) {
			case "relationship_type":
				err = str(raw, m, &o.RelationshipType)
			case "source_ref":
				err = str(raw, m, &o.SourceRef)
			case "target_ref":
				err = str(raw, m, &o.TargetRef)
			case "sighting_of_ref":
				err = str(raw, m, &o.SightingOfRef)
			case "object_refs":
				err = strs(raw, m, &o.ObjectRefs)
			}
		}
		if err != nil {
			return nil, false
		}
	}
	if o.Type == "" || o.ID == "" {
		return nil, false
	}
	if created != nil {
		if o.Created, err = timestamp("created", *created); err != nil {
			return nil, false
		}
	}
	if modified != nil {
		if o.Modified, err = timestamp("modified", *modified); err != nil {
			return nil, false
		}
	}
	if createdBy != nil {
		o.CreatedBy = *createdBy
	}
	return o, true
}

// briefReferences reads source_name, external_id and url of each
// external reference in v, a JSON array, without encoding/json: the
// citations of an ATT&CK object are most of its references and their
// descriptions most of their bytes. Keys are plain (members checks them),
// so they match encoding/json's as written; ok is false for anything else
// (a null, an escape in a key, a duplicate key).
func briefReferences(v []byte) ([]ExternalReference, bool) {
	if len(v) < 2 || v[0] != '[' {
		return nil, false
	}
	out := []ExternalReference{} // encoding/json gives [] as empty, not nil
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return out, true
	}
	var ms []member
	for i < len(v) {
		if v[i] != '{' {
			return nil, false
		}
		end, err := valueEnd(v, i)
		if err != nil {
			return nil, false
		}
		elem := v[i:end]
		if ms, err = members(elem, ms); err != nil {
			return nil, false
		}
		var r ExternalReference
		for _, m := range ms {
			var err error
			switch string(elem[m.kStart:m.kEnd]) {
			case "source_name":
				err = str(elem, m, &r.SourceName)
			case "external_id":
				err = str(elem, m, &r.ExternalID)
			case "url":
				err = str(elem, m, &r.URL)
			}
			if err != nil {
				return nil, false
			}
		}
		out = append(out, r)
		i = skipSpace(v, end)
		if i >= len(v) {
			return nil, false
		}
		switch v[i] {
		case ',':
			i = skipSpace(v, i+1)
		case ']':
			return out, skipSpace(v, i+1) == len(v)
		default:
			return nil, false
		}
	}
	return nil, false
}
