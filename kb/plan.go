package kb

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/stix"
)

// DefaultMaxObjects bounds the number of objects in one input when
// ImportOptions.MaxObjects is zero.
const DefaultMaxObjects = 2_000_000

// ImportOptions tune an import.
type ImportOptions struct {
	// MaxObjects bounds the objects read from one input; an input with
	// more fails. Zero means DefaultMaxObjects.
	MaxObjects int
	// SkipDangling drops relationships whose source_ref or target_ref is
	// neither in the input nor in the store, counting them in
	// ImportStats.Dangling, instead of failing the import. MISP galaxy
	// files relate clusters of other galaxy files and need it.
	SkipDangling bool
	// Progress, when set, is called with the number of objects read so
	// far, every ProgressEvery objects and once at the end of the input.
	Progress func(read int)
}

// ProgressEvery is how often (in objects read) ImportOptions.Progress is
// called.
const ProgressEvery = 1000

// TypeStats counts what an import did with the objects of one STIX type.
type TypeStats struct {
	New       int `json:"new"`       // not in the store before
	Updated   int `json:"updated"`   // newer modified: replaced the stored version
	Unchanged int `json:"unchanged"` // same version as stored (or conflicting, see ImportStats)
	Older     int `json:"older"`     // older modified than stored: ignored, newer kept
	Inactive  int `json:"inactive"`  // among New and Updated, revoked or deprecated
}

func (t *TypeStats) add(u TypeStats) {
	t.New += u.New
	t.Updated += u.Updated
	t.Unchanged += u.Unchanged
	t.Older += u.Older
	t.Inactive += u.Inactive
}

// ImportStats describes one import.
type ImportStats struct {
	Source  Source `json:"-"`
	Objects int    `json:"objects"` // objects read from the input
	TypeStats
	// Duplicates counts objects that appeared more than once in the input
	// with identical content, or in several versions (the newest is kept).
	Duplicates int `json:"duplicates"`
	// Conflicts counts objects with the same id and modified as the stored
	// version but different content; the stored version is kept.
	Conflicts int `json:"conflicts"`
	// Dangling counts relationships dropped because of ImportOptions.SkipDangling.
	Dangling int                  `json:"dangling"`
	ByType   map[string]TypeStats `json:"by_type"`
	// SameAs is the number of same-as links in the store after the import.
	SameAs int `json:"same_as"`
}

// Current is what a store holds of one object, enough to decide whether an
// incoming version is new, newer, the same or older without loading it.
type Current struct {
	Modified time.Time
	Hash     [32]byte // SHA-256 of the stored Raw
}

// Change is one object that an import writes: new, or a newer version.
type Change struct {
	Object   *stix.Object
	Hash     [32]byte // SHA-256 of Object.Raw
	Replaces bool     // a version is stored already and goes to the history
	Inactive bool     // revoked or deprecated
	Names    []Name   // NamesOf(Object)
}

// Seen is one object of the input with the version the source supplied, for
// the provenance record.
type Seen struct {
	ID       string
	Modified time.Time
}

// Batch is the outcome of planning an import: what a backend writes in one
// transaction.
type Batch struct {
	Source  Source
	Changes []Change // in input order
	Seen    []Seen   // every distinct object of the input, in input order
	Stats   ImportStats
}

// ObjectError is an error about one object of an input. Its message names
// the input, the object's position and id, and the byte offset where the
// stream reports one.
type ObjectError struct {
	Input  string // the input's name (file path, "-" for stdin)
	Index  int    // 1-based position of the object in the input
	Offset int64  // byte offset in the (decompressed) input, or -1
	ID     string // the object's id, when it has one
	Err    error
}

func (e *ObjectError) Error() string {
	var b strings.Builder
	if e.Input != "" {
		b.WriteString(e.Input)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "object %d", e.Index)
	if e.ID != "" {
		fmt.Fprintf(&b, " (%s)", e.ID)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " at byte %d", e.Offset)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ObjectError) Unwrap() error { return e.Err }

// ErrConflict is wrapped by the error for two objects of one input with the
// same id and modified but different content.
var ErrConflict = errors.New("duplicate id with different content")

// ErrDangling is wrapped by the error for a relationship whose source or
// target is neither in the input nor in the store.
var ErrDangling = errors.New("relationship refers to an absent object")

type offsetter interface{ Offset() int64 }

type inputEntry struct {
	obj    *stix.Object
	index  int
	offset int64
	hash   [32]byte
}

// Plan reads objs to the end and decides, for each object, what the store
// must do, given known (which reports what the store holds of an id). It
// applies the import rules every backend shares:
//
//   - every object needs a type, an id of the form <type>--<UUID>, spec
//     version 2.1 (or none, as for some SCOs) and its raw JSON;
//   - an id that appears twice with the same modified and different
//     content is an error naming both positions; the same content is
//     counted once; different modified values are versions of one object,
//     and the newest is kept;
//   - a relationship whose source_ref or target_ref is neither in the input
//     nor known is an error naming it (or dropped, with
//     opts.SkipDangling);
//   - an id not known is new; a newer modified than the stored one is an
//     update (the stored version goes to the history); the same modified
//     is unchanged; an older one is ignored. Objects without modified (SCOs)
//     are updated when their content differs;
//   - revoked and deprecated objects are stored, marked inactive.
//
// Plan does not write. Errors are *ObjectError values naming the object, or
// the stream's own errors (such as *stix.DecodeError), wrapped with the
// input name.
func Plan(ctx context.Context, src Source, objs Stream, known func(id string) (Current, bool), opts ImportOptions) (*Batch, error) {
	max := opts.MaxObjects
	if max <= 0 {
		max = DefaultMaxObjects
	}
	input := src.Path
	if input == "" {
		input = src.Name
	}
	off, hasOffset := objs.(offsetter)
	b := &Batch{Source: src, Stats: ImportStats{Source: src, ByType: make(map[string]TypeStats)}}

	// First pass: read, check, and keep one version of each id.
	byID := make(map[string]int)
	var entries []inputEntry
	for n := 1; ; n++ {
		if n%ProgressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if opts.Progress != nil {
				opts.Progress(n - 1)
			}
		}
		offset := int64(-1)
		if hasOffset {
			offset = off.Offset()
		}
		o, err := objs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", input, err)
		}
		if n > max {
			return nil, fmt.Errorf("%s: more than %d objects", input, max)
		}
		b.Stats.Objects = n
		if err := check(o); err != nil {
			id := ""
			if o != nil {
				id = o.ID
			}
			return nil, &ObjectError{Input: input, Index: n, Offset: offset, ID: id, Err: err}
		}
		e := inputEntry{obj: o, index: n, offset: offset, hash: sha256.Sum256(o.Raw)}
		i, dup := byID[o.ID]
		if !dup {
			byID[o.ID] = len(entries)
			entries = append(entries, e)
			continue
		}
		prev := &entries[i]
		b.Stats.Duplicates++
		switch {
		case prev.hash == e.hash, o.Modified.Before(prev.obj.Modified):
			// the same, or an older version: keep what we have
		case o.Modified.Equal(prev.obj.Modified):
			return nil, &ObjectError{Input: input, Index: n, Offset: offset, ID: o.ID,
				Err: fmt.Errorf("%w: also object %d%s", ErrConflict, prev.index, atByte(prev.offset))}
		default:
			*prev = e // a newer version takes the earlier one's place
		}
	}
	if opts.Progress != nil {
		opts.Progress(b.Stats.Objects)
	}

	// Second pass: relationships must point at objects of the input or of
	// the store; then compare each object with the stored version.
	for _, e := range entries {
		o := e.obj
		if o.Type == "relationship" {
			dangling := ""
			for _, ref := range []string{o.SourceRef, o.TargetRef} {
				if _, ok := byID[ref]; ok {
					continue
				}
				if _, ok := known(ref); !ok {
					dangling = ref
					break
				}
			}
			if dangling != "" {
				if !opts.SkipDangling {
					return nil, &ObjectError{Input: input, Index: e.index, Offset: e.offset, ID: o.ID,
						Err: fmt.Errorf("%w %s", ErrDangling, dangling)}
				}
				b.Stats.Dangling++
				continue
			}
		}
		b.Seen = append(b.Seen, Seen{ID: o.ID, Modified: o.Modified})
		ts := b.Stats.ByType[o.Type]
		cur, ok := known(o.ID)
		replaces := false
		switch {
		case !ok:
			ts.New++
		case o.Modified.After(cur.Modified), o.Modified.IsZero() && cur.Modified.IsZero() && cur.Hash != e.hash:
			ts.Updated++
			replaces = true
		case o.Modified.Before(cur.Modified):
			ts.Older++
			b.Stats.ByType[o.Type] = ts
			continue
		default:
			if cur.Hash != e.hash {
				b.Stats.Conflicts++
			}
			ts.Unchanged++
			b.Stats.ByType[o.Type] = ts
			continue
		}
		inactive := o.Revoked || o.Deprecated
		if inactive {
			ts.Inactive++
		}
		b.Stats.ByType[o.Type] = ts
		b.Changes = append(b.Changes, Change{Object: o, Hash: e.hash, Replaces: replaces, Inactive: inactive, Names: NamesOf(o)})
	}
	for _, ts := range b.Stats.ByType {
		b.Stats.TypeStats.add(ts)
	}
	return b, nil
}

func atByte(off int64) string {
	if off < 0 {
		return ""
	}
	return fmt.Sprintf(" at byte %d", off)
}

// check validates what the store relies on.
func check(o *stix.Object) error {
	switch {
	case o == nil:
		return errors.New("nil object")
	case o.Type == "":
		return errors.New("object has no type")
	case o.ID == "":
		return errors.New("object has no id")
	case !strings.HasPrefix(o.ID, o.Type+"--") || !LooksLikeID(o.ID):
		return fmt.Errorf("id %q is not of the form %s--<UUID>", o.ID, o.Type)
	case o.SpecVersion != "" && o.SpecVersion != "2.1":
		return fmt.Errorf("unsupported spec_version %q", o.SpecVersion)
	case len(o.Raw) == 0:
		return errors.New("object has no raw JSON")
	case o.Type == "relationship" && (o.SourceRef == "" || o.TargetRef == ""):
		return errors.New("relationship without source_ref or target_ref")
	}
	return nil
}

// SortedTypes returns the types of s.ByType in order, for printing.
func (s ImportStats) SortedTypes() []string {
	types := make([]string, 0, len(s.ByType))
	for t := range s.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}
