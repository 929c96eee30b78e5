package ach

import (
	"math"
	"strings"

	"github.com/culprit-cti/culprit/errs"
)

// Rating is how consistent an evidence item is with a hypothesis, on
// Heuer's scale. Its JSON and stored form is the constant's value.
type Rating string

// The ratings, from most against a hypothesis to most for it.
const (
	VeryInconsistent Rating = "very-inconsistent"
	Inconsistent     Rating = "inconsistent"
	Neutral          Rating = "neutral" // also "not applicable"
	Consistent       Rating = "consistent"
	VeryConsistent   Rating = "very-consistent"
)

// Ratings lists the ratings in order, most inconsistent first.
var Ratings = []Rating{VeryInconsistent, Inconsistent, Neutral, Consistent, VeryConsistent}

// The thresholds of the scale, on the item's likelihood ratio (before the
// damping of its kind) against the background model. An item at least
// four times as likely under the hypothesis as from an actor drawn at
// random is very consistent with it; a quarter or less very inconsistent;
// within a factor 1.25 either way it says nothing (neutral). The engine's
// floor (Params.Floor 0.2) makes an item an actor was never seen with cost
// it at most a ratio of 0.2 or so: very inconsistent is "never seen with
// it, and others are".
const (
	veryThreshold = 4.0
	threshold     = 1.25
)

// Rate is the rating of a log likelihood ratio.
func Rate(llr float64) Rating {
	switch {
	case llr >= math.Log(veryThreshold):
		return VeryConsistent
	case llr >= math.Log(threshold):
		return Consistent
	case llr > -math.Log(threshold):
		return Neutral
	case llr > -math.Log(veryThreshold):
		return Inconsistent
	default:
		return VeryInconsistent
	}
}

// LR is the likelihood ratio an analyst's rating gives the item when it
// overrides the engine's: 8, 2, 1, 1/2, 1/8, inside each band of the
// scale, so that Rate(r.LLR()) == r.
func (r Rating) LR() float64 {
	switch r {
	case VeryConsistent:
		return 8
	case Consistent:
		return 2
	case Inconsistent:
		return 0.5
	case VeryInconsistent:
		return 0.125
	}
	return 1
}

// LLR is the natural log of LR.
func (r Rating) LLR() float64 { return math.Log(r.LR()) }

// Symbol is the rating's short form in an ACH matrix: II, I, N, C, CC.
func (r Rating) Symbol() string {
	switch r {
	case VeryInconsistent:
		return "II"
	case Inconsistent:
		return "I"
	case Consistent:
		return "C"
	case VeryConsistent:
		return "CC"
	}
	return "N"
}

// Label is the rating in words ("very inconsistent").
func (r Rating) Label() string { return strings.ReplaceAll(string(r), "-", " ") }

// ParseRating reads a rating: its value, its words ("very consistent"),
// its symbol (CC, C, N, I, II; NA for not applicable), in any case.
func ParseRating(s string) (Rating, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.NewReplacer(" ", "-", "_", "-").Replace(t)
	switch t {
	case "ii":
		return VeryInconsistent, nil
	case "i":
		return Inconsistent, nil
	case "n", "na", "n/a", "not-applicable":
		return Neutral, nil
	case "c":
		return Consistent, nil
	case "cc":
		return VeryConsistent, nil
	}
	for _, r := range Ratings {
		if t == string(r) {
			return r, nil
		}
	}
	return "", errs.E(errs.Invalid, "invalid rating %q (want one of very-inconsistent, inconsistent, neutral, consistent, very-consistent, or II, I, N, C, CC)", clip(s))
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
