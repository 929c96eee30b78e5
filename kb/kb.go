// Package kb is culprit's threat-intelligence knowledge base: the domain
// types and the storage contract (Store), and the logic that every backend
// shares: import planning with provenance and idempotence, name
// normalisation and lookup, same-as links between actors seen by several
// sources, actor cards, and export.
//
// kb holds no SQL. A backend (package sqlite, later PostgreSQL) implements
// Store and proves it with the conformance suite in kb/kbtest.
//
// The knowledge never merges objects by force. Two intrusion sets that
// describe the same group (the ATT&CK "Lazarus Group" and the MISP galaxy
// cluster of the same name) both stay as they were supplied; a SameAs link
// with a confidence and its reason joins them, and readers decide how far to
// trust it.
package kb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/culprit-cti/culprit/stix"
)

// ErrNotFound is returned (wrapped) when an object or source does not exist.
var ErrNotFound = errors.New("not found")

// SourceKind says where knowledge came from.
type SourceKind string

// Source kinds.
const (
	SourceFile    SourceKind = "file"    // a local file or stdin
	SourceFeed    SourceKind = "feed"    // a download from a public feed
	SourceBuiltin SourceKind = "builtin" // knowledge embedded in the binary
	SourceCase    SourceKind = "case"    // a case an analyst confirmed (kb.Case)
)

// Source is one supplier of knowledge: a file, a feed download or the
// builtin knowledge. Two imports with the same Kind, Name and SHA256 are the
// same source.
type Source struct {
	Kind       SourceKind
	Name       string    // a short name: the file's base name, the feed's name
	Path       string    // the local path, "-" for stdin, or "" for feeds
	URL        string    // the feed URL, or ""
	SHA256     string    // hex SHA-256 of the input as read (compressed bytes for .gz), or ""
	ImportedAt time.Time // when the import ran; set by the store from its clock when zero
}

// Provenance records that a source supplied an object, and which version.
type Provenance struct {
	Source   Source
	Modified time.Time // the object's modified as this source supplied it (zero for SCOs)
	// FirstSeen is the time of the first import of this source that
	// supplied the object, LastSeen that of the import that supplied the
	// version Modified. Source.ImportedAt is the source's latest import.
	FirstSeen time.Time
	LastSeen  time.Time
}

// Version is an earlier version of an object, replaced by a newer one.
type Version struct {
	ID         string
	Modified   time.Time
	Raw        []byte
	ReplacedAt time.Time
}

// ObjectQuery selects objects for Store.Objects.
type ObjectQuery struct {
	// Types restricts the result to these STIX types; empty means all.
	Types []string
	// IncludeInactive also yields revoked and deprecated objects.
	IncludeInactive bool
}

// RelationshipQuery selects relationship objects for Store.Relationships.
// Empty fields match anything; a query with no field set yields every
// relationship.
type RelationshipQuery struct {
	Types           []string // relationship_type values, e.g. "uses"
	SourceRefs      []string // source_ref values
	TargetRefs      []string // target_ref values
	IncludeInactive bool     // also yield revoked and deprecated relationships
	// Brief lets the store decode the relationships with stix.ParseBrief
	// (their ends, names and markings, not their descriptions), for a
	// reader of a few of them, such as an actor card. It is a hint: a
	// store may yield whole objects.
	Brief bool
}

// NameKind says what kind of name matched in a lookup.
type NameKind string

// Name kinds, in order of strength.
const (
	KindID         NameKind = "id"          // the STIX id itself
	KindExternalID NameKind = "external_id" // an external_references external_id, e.g. G0032
	KindPrimary    NameKind = "primary"     // the object's name
	KindAlias      NameKind = "alias"       // aliases / x_mitre_aliases
)

// NameMatch is one object found by Store.LookupName.
type NameMatch struct {
	ID       string   // STIX id of the object
	Type     string   // its STIX type
	Name     string   // its primary name
	Matched  string   // the name, as supplied, that matched the query
	Kind     NameKind // what kind of name Matched is
	Inactive bool     // revoked or deprecated
}

// Stats summarises what a store holds.
type Stats struct {
	Objects  int            // every stored object, active or not
	Inactive int            // revoked or deprecated objects among them
	ByType   map[string]int // object count per STIX type
	Names    int            // indexed names
	SameAs   int            // stored same-as links
	Sources  int            // distinct sources
	Versions int            // replaced versions kept in the history
	// LastImport is the time of the latest import that changed anything
	// or not (zero for an empty store): with the counts above it tells
	// two states of the store apart (see StateTag).
	LastImport time.Time
}

// StateTag describes the state of the store, for derived data kept beside
// it (a compiled knowledge, an index): two reads with the same tag saw the
// same knowledge. It is built from Stats.
func StateTag(ctx context.Context, st interface {
	Stats(context.Context) (Stats, error)
}) (string, error) {
	x, err := st.Stats(ctx)
	if err != nil {
		return "", fmt.Errorf("knowledge base state: %w", err)
	}
	return fmt.Sprintf("objects %d, inactive %d, versions %d, sources %d, same-as %d, last import %s",
		x.Objects, x.Inactive, x.Versions, x.Sources, x.SameAs, x.LastImport.UTC().Format(time.RFC3339Nano)), nil
}

// Store is the storage contract of the knowledge base. Implementations are
// safe for concurrent use by multiple goroutines: any number of readers may
// run while an import is in progress, and see the store either before or
// after the import, never in between.
type Store interface {
	// Import reads every object of objs and stores them in one transaction,
	// recording src as their provenance: either the whole input is stored
	// or, on any error, nothing changes. Implementations must apply exactly
	// the rules of Planner (and should use it, or Plan): duplicate ids,
	// dangling relationships, older and newer versions, inactive objects.
	// Errors name the input (src.Path, else src.Name). After the
	// objects are stored the same-as links are recomputed with Link over
	// the active actors and stored. The returned stats describe the import;
	// on error they are zero. A backend implements it by running
	// kb.Import against its transaction (ImportTx), which applies all of
	// these rules. A store opened read-only fails Import and PutBlob with
	// an errs.Forbidden error.
	Import(ctx context.Context, src Source, objs Stream, opts ImportOptions) (ImportStats, error)

	// Delete deletes versions of the object id, in one transaction, with
	// the rules of the package function Delete (which a backend runs
	// against its transaction, as Import runs kb.Import): versions holds
	// the modified times of the versions to delete, nil every version and
	// so the object. It returns an errs.NotFound error for an id or a
	// version the store does not hold, errs.Conflict when relationships
	// refer to an object that would be gone. The store's state (Stats,
	// StateTag) changes, so that what is derived from it is rebuilt. A
	// store opened read-only fails it with an errs.Forbidden error.
	Delete(ctx context.Context, id string, versions []time.Time) (DeleteStats, error)

	// Object returns the current version of the object with this STIX id,
	// active or not, or an error wrapping ErrNotFound.
	Object(ctx context.Context, id string) (*stix.Object, error)

	// Objects calls fn for each stored object selected by q, ordered by type
	// then id, until fn returns an error, which Objects returns. Revoked
	// and deprecated objects are skipped unless q.IncludeInactive is set.
	// fn must not call other Store methods that write.
	Objects(ctx context.Context, q ObjectQuery, fn func(*stix.Object) error) error

	// Relationships calls fn for each stored relationship selected by q,
	// ordered by id, until fn returns an error, which it returns.
	Relationships(ctx context.Context, q RelationshipQuery, fn func(*stix.Object) error) error

	// LookupName returns every object that has a name, alias or external
	// id equal to name after Normalize, or whose id is name, ordered by
	// kind (id, external id, primary, alias), then type and id. An object
	// appears once, with its strongest match. No match is not an error:
	// the result is empty.
	LookupName(ctx context.Context, name string) ([]NameMatch, error)

	// SameAs returns the stored same-as links, as computed by Link at the
	// last import, ordered by A then B.
	SameAs(ctx context.Context) ([]SameAs, error)

	// Provenance returns every source that supplied the object, oldest
	// first, or an error wrapping ErrNotFound if the object does not exist.
	Provenance(ctx context.Context, id string) ([]Provenance, error)

	// Versions returns the earlier versions of the object that newer ones
	// replaced, oldest first (empty when it was never replaced).
	Versions(ctx context.Context, id string) ([]Version, error)

	// Stats summarises the store.
	Stats(ctx context.Context) (Stats, error)

	// Blob returns the blob stored under key and its tag, with ok false
	// when there is none. Blobs hold derived data that is costly to
	// rebuild, such as the similarity index of known samples; the tag
	// records the state of the knowledge base the blob was built from.
	Blob(ctx context.Context, key string) (data []byte, tag string, ok bool, err error)

	// PutBlob stores data under key with its tag, replacing any earlier
	// blob of that key atomically.
	PutBlob(ctx context.Context, key, tag string, data []byte) error

	// PutCase stores the case c. c.Version is the version the caller read:
	// 0 for a new case, which must not exist yet, else the stored version,
	// which must still be current; on success PutCase sets c.Version to the
	// stored version (one more). It returns an errs.Conflict error when a
	// new case's id is taken or the case changed meanwhile, errs.NotFound
	// when an update names no case, and checks c with CheckCase.
	PutCase(ctx context.Context, c *Case) error

	// Case returns the case with this id, or an errs.NotFound error.
	Case(ctx context.Context, id string) (*Case, error)

	// Cases calls fn for each case, oldest first (then by id), until fn
	// returns an error, which Cases returns.
	Cases(ctx context.Context, fn func(*Case) error) error

	// Close releases the store. Other methods must not be called after it.
	Close() error
}

// Stream yields the decoded objects of one input in order. Next returns
// io.EOF at the end. *stix.Decoder satisfies it; SliceStream adapts a slice.
//
// A Stream may also have an Offset() int64 method reporting the byte offset
// of the input reached; Plan then names objects by offset in its errors.
type Stream interface {
	Next() (*stix.Object, error)
}

// SliceStream returns a Stream over objs, for inputs decoded all at once
// (such as MISP galaxy files) and for tests.
func SliceStream(objs []*stix.Object) Stream { return &sliceStream{objs: objs} }

type sliceStream struct {
	objs []*stix.Object
	i    int
}

func (s *sliceStream) Next() (*stix.Object, error) {
	if s.i >= len(s.objs) {
		return nil, io.EOF
	}
	o := s.objs[s.i]
	s.i++
	return o, nil
}
