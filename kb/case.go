package kb

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
)

// A case is one investigation: the evidence an incident left, the
// attributions made of it over time, and, once an analyst confirms it,
// the actor it is attributed to. A confirmed case becomes knowledge: its
// objects (an incident attributed-to the actor, with uses relationships to
// what the case shows) are imported under the source "case ID"; reopening
// the case revokes them.
//
// Cases are stored whole, as versioned documents: Store.PutCase replaces a
// case only when the caller read the version it changes, so two analysts
// updating one case at once cannot lose each other's work.
type Case struct {
	ID       string    `json:"id"` // "case-" and 12 hex digits
	Name     string    `json:"name"`
	Status   string    `json:"status"` // CaseOpen or CaseConfirmed
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	// Version counts the updates; PutCase sets it.
	Version      int            `json:"version"`
	Evidence     []CaseEvidence `json:"evidence"`
	Results      []CaseResult   `json:"results"`
	Confirmation *Confirmation  `json:"confirmation,omitempty"`
	History      []CaseEvent    `json:"history"`
	// TLP is the case's TLP label (e.g. "TLP:AMBER"): who may see it at
	// all. Empty, for cases made by the command line, means TLP:RED (see
	// access.CaseLevel).
	TLP string `json:"tlp,omitempty"`
	// Overrides are analysts' ratings of cells of the case's matrix of
	// competing hypotheses (package ach), oldest first; the latest of a
	// cell applies when the case is attributed.
	Overrides []CaseOverride `json:"overrides,omitempty"`
}

// CaseOverride is one analyst's rating of how consistent an evidence item
// is with a hypothesis, replacing the engine's (see package ach).
type CaseOverride struct {
	Item       string    `json:"item"`       // the item's key (attrib.Row.Key)
	Hypothesis string    `json:"hypothesis"` // STIX id of the actor, or "unknown"
	Rating     string    `json:"rating"`     // an ach.Rating
	Analyst    string    `json:"analyst"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason"`
}

// Case statuses.
const (
	CaseOpen      = "open"
	CaseConfirmed = "confirmed"
)

// Review states of a piece of evidence.
const (
	EvidenceAccepted   = "accepted"                // given by the analyst, or reviewed
	EvidenceUnreviewed = "extracted, not reviewed" // extracted from a report; not attributed until accepted
)

// CaseEvidence is one file of evidence, kept as it was given.
type CaseEvidence struct {
	Name    string    `json:"name"`   // the file's base name, unique in the case
	Format  string    `json:"format"` // "yaml" or "stix"
	SHA256  string    `json:"sha256"`
	Added   time.Time `json:"added"`
	By      string    `json:"by,omitempty"`
	Status  string    `json:"status"`
	Content []byte    `json:"content"`
}

// CaseResult is one attribution of the case, kept with what it was made
// from so that results over time can be compared.
type CaseResult struct {
	At        time.Time       `json:"at"`
	Knowledge string          `json:"knowledge"`        // the knowledge base's state (see StateTag)
	Evidence  []string        `json:"evidence"`         // SHA-256 of the evidence attributed
	Params    json.RawMessage `json:"params,omitempty"` // the engine's parameters
	Result    json.RawMessage `json:"result"`           // the attrib.Result
	// TLP is the label of the knowledge the result was computed from;
	// empty means TLP:RED, as for a case.
	TLP string `json:"tlp,omitempty"`
}

// Confirmation is an analyst's conclusion on a case.
type Confirmation struct {
	Actor      string    `json:"actor"` // STIX id of the actor
	ActorName  string    `json:"actor_name"`
	NewActor   bool      `json:"new_actor,omitempty"` // the actor was created from this case
	Confidence int       `json:"confidence"`
	Analyst    string    `json:"analyst"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
	// Objects are the ids of the knowledge objects the confirmation
	// imported (the incident, its relationships, a new actor).
	Objects []string `json:"objects"`
}

// CaseEvent is one line of a case's history.
type CaseEvent struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"` // created, evidence added, attributed, confirmed, reopened
	By     string    `json:"by,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// MaxCaseSize bounds the stored form of one case (its evidence and
// results), so that a case cannot grow without limit.
const MaxCaseSize = 64 << 20

// NewCaseID returns a new random case id.
func NewCaseID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return "case-" + hex.EncodeToString(b[:])
}

// ValidCaseID reports whether id has the form NewCaseID gives.
func ValidCaseID(id string) bool {
	rest, ok := strings.CutPrefix(id, "case-")
	if !ok || len(rest) != 12 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil && strings.ToLower(rest) == rest
}

// CheckCase checks what every backend must before storing c: a valid id
// and status, and a bounded size. It returns the encoded case.
func CheckCase(c *Case) ([]byte, error) {
	if !ValidCaseID(c.ID) {
		return nil, errs.E(errs.Invalid, "invalid case id %q", c.ID)
	}
	if c.Status != CaseOpen && c.Status != CaseConfirmed {
		return nil, errs.E(errs.Invalid, "case %s: invalid status %q", c.ID, c.Status)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode case %s: %w", c.ID, err)
	}
	if len(b) > MaxCaseSize {
		return nil, errs.E(errs.TooLarge, "case %s: %d bytes stored, more than the limit of %d MiB", c.ID, len(b), MaxCaseSize>>20)
	}
	return b, nil
}

// CaseNotFound is the error of a case id that no case has.
func CaseNotFound(id string) error {
	return errs.E(errs.NotFound, "no case %s (see culprit case list)", id)
}

// CaseConflict is the error of a PutCase whose version is not the stored
// one.
func CaseConflict(id string, want, have int) error {
	return errs.E(errs.Conflict, "case %s changed meanwhile (version %d, not %d): read it again", id, have, want)
}
