package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// decodeMembers fills w from the members of raw (valid, compact JSON): the
// common properties of every object, and the type-specific ones only for
// the types culprit models, so that a custom type may use those names for
// values of other JSON types. Other members are not decoded at all, which
// is what makes decoding fast: ATT&CK objects carry large x_mitre_*
// properties that culprit keeps in Raw only.
func decodeMembers(raw []byte, ms []member, w *wire) error {
	// The type first, to know which properties apply.
	for _, m := range ms {
		if m.is(raw, "type") {
			if err := str(raw, m, &w.Type); err != nil {
				return err
			}
		}
	}
	known := KindOf(w.Type) != KindUnknown
	for _, m := range ms {
		var err error
		switch string(raw[m.kStart:m.kEnd]) {
		case "type":
		case "id":
			err = str(raw, m, &w.ID)
		case "spec_version":
			err = strp(raw, m, &w.SpecVersion)
		case "created":
			err = strp(raw, m, &w.Created)
		case "modified":
			err = strp(raw, m, &w.Modified)
		case "created_by_ref":
			err = strp(raw, m, &w.CreatedByRef)
		case "name":
			err = str(raw, m, &w.Name)
		case "description":
			err = str(raw, m, &w.Description)
		case "aliases":
			err = strs(raw, m, &w.Aliases)
		case "x_mitre_aliases":
			err = strs(raw, m, &w.XMitreAliases)
		case "revoked":
			err = boolean(raw, m, &w.Revoked)
		case "x_mitre_deprecated":
			err = boolean(raw, m, &w.XMitreDeprecated)
		case "confidence":
			var n int64
			if err = integer(raw, m, &n); err == nil {
				c := int(n)
				if int64(c) != n {
					c = -1 // out of range, reported by fill
				}
				w.Confidence = &c
			}
		case "labels":
			err = strs(raw, m, &w.Labels)
		case "external_references":
			err = value(raw, m, '[', &w.ExternalReferences)
		case "object_marking_refs":
			err = strs(raw, m, &w.ObjectMarkingRefs)
		default:
			if known {
				err = decodeSpecific(raw, m, &w.specific)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeSpecific decodes the type-specific property m into s.
func decodeSpecific(raw []byte, m member, s *specific) error {
	switch string(raw[m.kStart:m.kEnd]) {
	case "relationship_type":
		return strp(raw, m, &s.RelationshipType)
	case "source_ref":
		return strp(raw, m, &s.SourceRef)
	case "target_ref":
		return strp(raw, m, &s.TargetRef)
	case "sighting_of_ref":
		return strp(raw, m, &s.SightingOfRef)
	case "observed_data_refs":
		return strs(raw, m, &s.ObservedDataRefs)
	case "where_sighted_refs":
		return strs(raw, m, &s.WhereSightedRefs)
	case "object_refs":
		return strs(raw, m, &s.ObjectRefs)
	case "kill_chain_phases":
		return value(raw, m, '[', &s.KillChainPhases)
	case "pattern":
		return strp(raw, m, &s.Pattern)
	case "pattern_type":
		return strp(raw, m, &s.PatternType)
	case "valid_from":
		return strp(raw, m, &s.ValidFrom)
	case "is_family":
		var b bool
		if err := boolean(raw, m, &b); err != nil {
			return err
		}
		s.IsFamily = &b
	case "published":
		return strp(raw, m, &s.Published)
	case "content":
		return strp(raw, m, &s.Content)
	case "opinion":
		return strp(raw, m, &s.Opinion)
	case "context":
		return strp(raw, m, &s.Context)
	case "first_observed":
		return strp(raw, m, &s.FirstObserved)
	case "last_observed":
		return strp(raw, m, &s.LastObserved)
	case "number_observed":
		var n int64
		if err := integer(raw, m, &n); err != nil {
			return err
		}
		s.NumberObserved = &n
	case "objects":
		return rawValue(raw, m, '{', &s.Objects)
	case "definition_type":
		return strp(raw, m, &s.DefinitionType)
	case "definition":
		return rawValue(raw, m, '{', &s.Definition)
	case "extensions":
		return rawValue(raw, m, '{', &s.Extensions)
	case "region":
		return strp(raw, m, &s.Region)
	case "country":
		return strp(raw, m, &s.Country)
	case "latitude":
		return float(raw, m, &s.Latitude)
	case "longitude":
		return float(raw, m, &s.Longitude)
	case "product":
		return strp(raw, m, &s.Product)
	case "result":
		return strp(raw, m, &s.Result)
	case "analysis_sco_refs":
		return strs(raw, m, &s.AnalysisSCORefs)
	case "value":
		return strp(raw, m, &s.Value)
	case "number":
		var n int64
		if err := integer(raw, m, &n); err != nil {
			return err
		}
		s.Number = &n
	case "hashes":
		return value(raw, m, '{', &s.Hashes)
	}
	return nil
}

// typeErr reports a property whose JSON value has the wrong type.
func typeErr(raw []byte, m member, want string) error {
	got := "object"
	switch raw[m.start] {
	case '"':
		got = "string"
	case '[':
		got = "array"
	case 't', 'f':
		got = "boolean"
	case 'n':
		got = "null"
	case '{':
	default:
		got = "number"
	}
	return fmt.Errorf("property %q: JSON %s where %s is expected", raw[m.kStart:m.kEnd], got, want)
}

// str decodes a JSON string, copying it directly when it has no escapes.
func str(raw []byte, m member, dst *string) error {
	v := raw[m.start:m.end]
	if v[0] != '"' {
		return typeErr(raw, m, "a string")
	}
	body := v[1 : len(v)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		*dst = string(body)
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("property %q: %w", raw[m.kStart:m.kEnd], err)
	}
	return nil
}

func strp(raw []byte, m member, dst **string) error {
	var s string
	if err := str(raw, m, &s); err != nil {
		return err
	}
	*dst = &s
	return nil
}

// strs decodes a JSON array of strings.
func strs(raw []byte, m member, dst *[]string) error {
	return value(raw, m, '[', dst)
}

// value decodes a JSON array (open '[') or object ('{') with encoding/json.
func value(raw []byte, m member, open byte, dst any) error {
	v := raw[m.start:m.end]
	if v[0] != open {
		if open == '[' {
			return typeErr(raw, m, "an array")
		}
		return typeErr(raw, m, "an object")
	}
	if err := json.Unmarshal(v, dst); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return fmt.Errorf("property %q: JSON %s where %s is expected", raw[m.kStart:m.kEnd], te.Value, jsonKind(te.Type.String()))
		}
		return fmt.Errorf("property %q: %w", raw[m.kStart:m.kEnd], err)
	}
	return nil
}

// rawValue keeps a JSON object as it is.
func rawValue(raw []byte, m member, open byte, dst *json.RawMessage) error {
	if raw[m.start] != open {
		return typeErr(raw, m, "an object")
	}
	*dst = raw[m.start:m.end]
	return nil
}

func boolean(raw []byte, m member, dst *bool) error {
	switch string(raw[m.start:m.end]) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return typeErr(raw, m, "a boolean")
	}
	return nil
}

func integer(raw []byte, m member, dst *int64) error {
	n, err := strconv.ParseInt(string(raw[m.start:m.end]), 10, 64)
	if err != nil {
		if c := raw[m.start]; c == '-' || c >= '0' && c <= '9' {
			return fmt.Errorf("property %q: %s is not an integer", raw[m.kStart:m.kEnd], truncate(string(raw[m.start:m.end]), 40))
		}
		return typeErr(raw, m, "an integer")
	}
	*dst = n
	return nil
}

func float(raw []byte, m member, dst **float64) error {
	c := raw[m.start]
	if !(c == '-' || c >= '0' && c <= '9') {
		return typeErr(raw, m, "a number")
	}
	f, err := strconv.ParseFloat(string(raw[m.start:m.end]), 64)
	if err != nil {
		return fmt.Errorf("property %q: %w", raw[m.kStart:m.kEnd], err)
	}
	*dst = &f
	return nil
}
