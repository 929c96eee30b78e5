package access

import (
	"encoding/json"
	"fmt"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Cases follow the same rule as objects. A case has a level, chosen when
// it is opened (never above its creator's): a caller below it cannot see
// the case at all, and reads it exactly as a case that does not exist.
// Each attribution kept in a case has the level of the knowledge it was
// computed from; a caller below it sees neither the result nor the line
// of the history that summarises it. A case or result with no level (made
// by the command line, which reads every level) is TLP:RED.

// CaseLevel returns the level of a case's or a case result's TLP label;
// an empty or unknown label is Red, the safe reading.
func CaseLevel(label string) Level {
	if label == "" {
		return Red
	}
	l, err := ParseLevel(label)
	if err != nil {
		return Red
	}
	return l
}

// SeesCase reports whether v may see case c.
func (v *View) SeesCase(c *kb.Case) bool { return v.SeesLevel(CaseLevel(c.TLP)) }

// Case returns what v may see of c: a copy without the results above v's
// level and their lines of history, or the error of a case that does not
// exist when c itself is above it.
func (v *View) Case(c *kb.Case) (*kb.Case, error) {
	if !v.SeesCase(c) {
		return nil, kb.CaseNotFound(c.ID)
	}
	out := *c
	out.Results = nil
	hidden := map[int64]bool{}
	for _, r := range c.Results {
		if v.SeesLevel(CaseLevel(r.TLP)) {
			out.Results = append(out.Results, r)
		} else {
			hidden[r.At.UnixNano()] = true
		}
	}
	if out.Results == nil {
		out.Results = []kb.CaseResult{}
	}
	out.History = nil
	for _, e := range c.History {
		// investigation.Service.Attribute stamps a result and its line of
		// history with the same instant.
		if e.Action == "attributed" && hidden[e.At.UnixNano()] {
			continue
		}
		out.History = append(out.History, e)
	}
	return &out, nil
}

// Marking returns the TLP 2.0 marking-definition id of level l: what
// marks the knowledge a case of level l contributes, so that confirming a
// case never publishes it below its level.
func Marking(l Level) string {
	switch l {
	case Clear:
		return stix.TLP2Clear
	case Green:
		return stix.TLP2Green
	case Amber:
		return stix.TLP2Amber
	case AmberStrict:
		return stix.TLP2AmberStrict
	}
	return stix.TLP2Red
}

// Mark returns o with the TLP marking of level l added to its
// object_marking_refs, or o itself when a TLP marking of l or above is
// there already (a reopen imports stored versions; marking twice would
// make a new version of nothing). The level of the result is at least l:
// what a case of level l makes known is never visible below l.
func Mark(o *stix.Object, l Level) (*stix.Object, error) {
	for _, ref := range o.ObjectMarkingRefs {
		if ml, ok := MarkingLevel(ref); ok && ml >= l {
			return o, nil
		}
	}
	var obj map[string]any
	if err := json.Unmarshal(o.Raw, &obj); err != nil {
		return nil, fmt.Errorf("mark %s: %w", o.ID, err)
	}
	refs, _ := obj["object_marking_refs"].([]any)
	obj["object_marking_refs"] = append(refs, Marking(l))
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("mark %s: %w", o.ID, err)
	}
	return stix.ParseObject(raw)
}
