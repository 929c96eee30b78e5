package access

import (
	"encoding/json"
	"fmt"
	"strings"

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
// level and their lines of history, without the analysts' overrides that
// name an actor v does not see (made where more was visible, by the
// command line) and their lines of history, or the error of a case that
// does not exist when c itself is above it.
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
	hiddenOverride := map[int64]bool{}
	if len(c.Overrides) > 0 {
		out.Overrides = nil
		for _, o := range c.Overrides {
			if o.Hypothesis == unknownHypothesis || v.seesIndexed(o.Hypothesis) {
				out.Overrides = append(out.Overrides, o)
			} else {
				hiddenOverride[o.At.UnixNano()] = true
			}
		}
	}
	out.History = nil
	for _, e := range c.History {
		// investigation.Service.Attribute stamps a result and its line of
		// history with the same instant; Override an override and its.
		if e.Action == "attributed" && hidden[e.At.UnixNano()] ||
			e.Action == "override" && hiddenOverride[e.At.UnixNano()] ||
			e.Action == "override removed" && !v.seesRemoval(e.Detail) {
			continue
		}
		out.History = append(out.History, e)
	}
	return &out, nil
}

// unknownHypothesis is attrib.UnknownHypothesis (access does not import
// the engine): an override of the actor not in the knowledge base.
const unknownHypothesis = "unknown"

// seesIndexed reports whether the index puts id at or below v's level;
// an id it does not know is hidden (the safe reading until a reload).
func (v *View) seesIndexed(id string) bool {
	e := v.ix.objs[id]
	return e != nil && e.level <= v.max
}

// seesRemoval reports whether the line of history of a removed override
// ("ITEM for HYPOTHESIS: WHAT", investigation.RemoveOverride) names only
// what v sees: its hypothesis is the last " for " before the last ": "
// that is followed by what was removed; the safe reading hides a line
// that does not parse.
func (v *View) seesRemoval(detail string) bool {
	head, _, ok := cutLast(detail, ": ")
	if !ok {
		return false
	}
	_, hyp, ok := cutLast(head, " for ")
	if !ok {
		return false
	}
	return hyp == unknownHypothesis || v.seesIndexed(hyp)
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
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
