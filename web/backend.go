package web

import (
	"context"
	"io"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// User is who a session belongs to: the API token it was opened with.
type User struct {
	TokenID string
	Name    string
	Role    token.Role
	TLP     access.Level
}

// Backend is what the UI needs of the server: checking tokens and opening
// the knowledge a user may read. The server implements it (server/ui.go)
// over the same snapshot and access view as its API, so that the UI can
// show nothing the API would not.
type Backend interface {
	// Login returns the user of an API token, or an error of kind
	// errs.Forbidden when the token is invalid or revoked.
	Login(ctx context.Context, secret string) (User, error)
	// User returns the user of token id as it stands now, or an error when
	// the token was revoked: a session ends with its token.
	User(ctx context.Context, tokenID string) (User, error)
	// Open returns the knowledge of the server's current snapshot as u
	// may read it.
	Open(ctx context.Context, u User) (Knowledge, error)
	// Status is the HTTP status of an error (the API's own mapping of
	// error kinds), and whether its message may be shown: an internal
	// error's text is for the logs.
	Status(err error) (code int, public bool)
}

// Knowledge is the knowledge base and the cases as one user sees them,
// for the duration of one request. Every method reads through the user's
// access view: what it does not return does not exist for the user.
type Knowledge interface {
	kb.Reader
	// Key identifies the snapshot and level the knowledge is of: two
	// Knowledge values with the same key return the same answers, so the
	// UI may keep indexes derived from one under its key.
	Key() string
	// Level is the TLP level of a visible object.
	Level(o *stix.Object) access.Level
	// Card is the actor card of id (a name, alias or id). The card may be
	// shared with other requests of the same Key: it is read, never
	// changed.
	Card(ctx context.Context, id string) (*kb.Card, error)
	// ActorLayer is the ATT&CK Navigator layer of the actor of STIX id,
	// encoded, as the API's GET /api/actors/{id}/navigator answers it.
	ActorLayer(ctx context.Context, id string) ([]byte, error)
	// CaseLayer is the ATT&CK Navigator layer of a visible case as the
	// API's GET /api/cases/{id}/navigator answers it: its techniques and
	// those of its leading hypothesis, read with the knowledge of the
	// lower of the user's and the case's level (the layer of a GREEN case
	// holds no AMBER relationship of its actor, whoever exports it).
	CaseLayer(ctx context.Context, id string) (*navigator.Layer, error)
	// ExtractReport reads a report as the API's extraction routes do
	// (POST /api/extract, POST /api/cases/{id}/reports): with the names
	// and the technique model of the knowledge of the lower of level and
	// the user's, built once per snapshot and level, and the server's
	// extraction options; at most max bytes are read. A candidate is
	// never an object of a level above level: the evidence of a GREEN
	// case names no AMBER actor, whoever extracts it.
	ExtractReport(ctx context.Context, level access.Level, name string, r io.Reader, max int64) (assess.ExtractedReport, error)

	// Cases lists the visible cases.
	Cases(ctx context.Context) ([]*kb.Case, error)
	// Case returns a visible case.
	Case(ctx context.Context, id string) (*kb.Case, error)
	// NewCase opens a case of level tlp from its first evidence.
	NewCase(ctx context.Context, name string, tlp access.Level, ev Evidence) (*kb.Case, error)
	// AddEvidence adds a file of evidence to a case.
	AddEvidence(ctx context.Context, id string, ev Evidence) (*kb.Case, error)
	// Attribute attributes a case's accepted evidence and keeps the result.
	Attribute(ctx context.Context, id string) (*attrib.Result, error)
	// Confirm confirms a case to a known actor (a name, alias or id) or
	// to a new actor.
	Confirm(ctx context.Context, id string, c Confirmation) (*kb.Case, error)
	// Reopen reopens a confirmed case.
	Reopen(ctx context.Context, id, reason string) (*kb.Case, error)
	// Export writes a case as a STIX 2.1 bundle.
	Export(ctx context.Context, id string, w io.Writer) error
}

// Evidence is one file given to a case.
type Evidence struct {
	Name       string
	Content    []byte
	Unreviewed bool
}

// Confirmation is an analyst's conclusion on a case.
type Confirmation struct {
	Actor, NewActor string
	Confidence      int
	Reason          string
}

// Overrider is the part of a Knowledge that keeps analysts' ratings of a
// case's matrix of competing hypotheses. It is asked for apart from
// Knowledge so that a backend without it still serves every other page:
// the matrix is then shown without its editor.
type Overrider interface {
	// Override keeps o as the user's rating of one cell of case id's
	// matrix, as investigation.Service.Override does (the analyst is the
	// user's name, checked against the case's knowledge), and returns the
	// case as stored. It does not attribute the case again.
	Override(ctx context.Context, id string, o Override) (*kb.Case, error)
}

// Override is an analyst's rating of one cell of a case's matrix.
type Override struct {
	Item       string // the row's key (ach.Row.Key)
	Hypothesis string // the column's id (ach.Column.ID): an actor's STIX id or "unknown"
	Rating     string // an ach.Rating
	Reason     string
	Version    int // the case's version the analyst read (0: any)
}

// SampleUploader is the part of a Knowledge that keeps uploaded samples,
// as POST /api/samples does. Like Overrider it is asked for apart, so
// that a backend without it serves every other page: the case page then
// has no sample form.
type SampleUploader interface {
	// UploadSample analyses the file body (statically: it is never run),
	// keeps it content-addressed at the lower of the user's and case id's
	// levels, and returns its hashes with the known samples near it that
	// the user may read. The UI bounds body (Config.MaxSample).
	UploadSample(ctx context.Context, id, name string, body io.Reader) (Sample, error)
}

// Sample is an uploaded file as its analysis describes it.
type Sample struct {
	Name              string
	Size              int64
	MD5, SHA1, SHA256 string
	TLSH, SSDEEP      string // empty when the file is too small or too uniform for a digest
	Type, Detail      string
	TLP               access.Level
	Similar           []SimilarSample
}

// SimilarSample is a known sample near an uploaded one.
type SimilarSample struct {
	ID, Name, SHA256 string
	TLSHDistance     int // -1: not compared by TLSH
	SSDEEPScore      int // -1: not compared by ssdeep
	Families, Actors []SampleLink
}

// SampleLink is a malware family or an actor a known sample leads to
// (an actor through the family Via).
type SampleLink struct {
	ID, Name, Via string
}
