// Package access decides what a caller may see of the knowledge base. It
// holds the Traffic Light Protocol levels (TLP 2.0, FIRST, with the TLP
// 1.0 markings of STIX 2.1 section 7.2.1.4 mapped onto them) and View, the
// one filter that every read of the server goes through: the JSON API,
// TAXII (objects, manifest, versions, status), export, actor search and
// cards, counts, and the knowledge that attribution reads.
//
// The rule: an object's level is the highest TLP marking among its
// object_marking_refs and granular_markings (a server setting, Unmarked,
// for an object with none), raised to the level of every object it refers
// to (source_ref, target_ref, created_by_ref, object_refs and every other
// *_ref and *_refs property), so that a relationship, sighting or report
// that names a hidden object is hidden with it. A caller whose highest
// level is below an object's level cannot see the object: the view answers
// exactly as if it did not exist (same error, same counts).
package access

import (
	"fmt"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/stix"
)

// Level is a TLP level, ordered from the most shareable to the least.
type Level int

// TLP 2.0 levels. TLP 1.0 WHITE is CLEAR; TLP 1.0 GREEN, AMBER and RED are
// their TLP 2.0 namesakes.
const (
	Clear Level = iota
	Green
	Amber
	AmberStrict
	Red
)

// Levels lists every level, lowest first.
var Levels = []Level{Clear, Green, Amber, AmberStrict, Red}

var levelNames = [...]string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}

// String returns the TLP label, e.g. "TLP:AMBER+STRICT".
func (l Level) String() string {
	if l < Clear || l > Red {
		return fmt.Sprintf("TLP(%d)", int(l))
	}
	return levelNames[l]
}

// MarshalText writes the TLP label.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a label as ParseLevel does.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParseLevel reads a TLP level: "clear", "green", "amber", "amber+strict"
// or "red", with or without the "TLP:" prefix, in any case; "white" (TLP
// 1.0) is CLEAR.
func ParseLevel(s string) (Level, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tlp:")
	switch v {
	case "clear", "white":
		return Clear, nil
	case "green":
		return Green, nil
	case "amber":
		return Amber, nil
	case "amber+strict", "amber-strict":
		return AmberStrict, nil
	case "red":
		return Red, nil
	}
	return 0, errs.E(errs.Invalid, "unknown TLP level %q (want clear, green, amber, amber+strict or red)", s)
}

// MarkingLevel returns the level of a TLP marking-definition id (TLP 1.0
// or 2.0), with ok false for any other marking.
func MarkingLevel(id string) (Level, bool) {
	label, _, ok := stix.TLP(id)
	if !ok {
		return 0, false
	}
	if label == "TLP:WHITE" {
		return Clear, true
	}
	l, err := ParseLevel(label)
	return l, err == nil
}
