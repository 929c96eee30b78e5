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
	Rewrite  bool     // overwrites a Change of the same import (a newer version later in the input)
	Inactive bool     // revoked or deprecated
	Names    []Name   // NamesOf(Object)
}

// Seen is one object of the input with the version the source supplied, for
// the provenance record.
type Seen struct {
	ID       string
	Modified time.Time
	// New is set when the object was not stored before this import: it
	// has no provenance yet, so a backend may append its row without
	// looking for one (PostgreSQL copies them in bulk).
	New bool
}

// Batch is the outcome of planning a whole import (Plan): what a backend
// writes in one transaction. Changes holds no Rewrite.
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

// outcome is what an import does with one object of its input.
type outcome int

const (
	outNew outcome = iota
	outUpdated
	outUnchanged
	outOlder
	outDropped // a dangling relationship, with SkipDangling
)

// planEntry is one distinct id of the input: the version kept.
type planEntry struct {
	obj      *stix.Object
	index    int
	offset   int64
	hash     [32]byte
	outcome  outcome
	written  bool // a Change was returned for it
	conflict bool // same modified as stored, different content
}

// Planner applies the import rules to an input one object at a time, so
// that a backend can write each change while the rest of the input is
// still being decoded. Call Add for each object in input order, then
// Finish. Plan is the all-at-once form.
//
// The rules every backend shares:
//
//   - every object needs a type, an id of the form <type>--<UUID>, spec
//     version 2.1 (or none, as for some SCOs) and its raw JSON;
//   - an id that appears twice with the same modified and different
//     content is an error naming both positions; the same content is
//     counted once; different modified values are versions of one object,
//     and the newest is kept;
//   - a relationship whose source_ref or target_ref is neither in the input
//     nor known is an error naming it (or, with opts.SkipDangling, a
//     relationship new to the store is dropped);
//   - an id not known is new; a newer modified than the stored one is an
//     update (the stored version goes to the history); the same modified
//     is unchanged; an older one is ignored. Objects without modified (SCOs)
//     are updated when their content differs;
//   - revoked and deprecated objects are stored, marked inactive.
//
// A Planner does not write and is not safe for concurrent use.
type Planner struct {
	src     Source
	input   string
	known   func(id string) (Current, bool)
	opts    ImportOptions
	max     int
	n       int
	byID    map[string]int
	entries []planEntry
	dups    int
}

// NewPlanner returns a Planner for one input of src, given known, which
// reports what the store holds of an id.
func NewPlanner(src Source, known func(id string) (Current, bool), opts ImportOptions) *Planner {
	max := opts.MaxObjects
	if max <= 0 {
		max = DefaultMaxObjects
	}
	input := src.Path
	if input == "" {
		input = src.Name
	}
	return &Planner{src: src, input: input, known: known, opts: opts, max: max, byID: make(map[string]int)}
}

// Input is the name by which errors designate the input.
func (p *Planner) Input() string { return p.input }

// Add takes the next object of the input, found at byte offset (-1 when
// unknown), and returns the change to write now, or nil when nothing is to
// be written (unchanged, older, an earlier duplicate). A newer version of
// an id seen earlier in the same input gives a Change with Rewrite set when
// an earlier version of it was already returned: the backend overwrites
// that write instead of keeping it as history. Errors are *ObjectError
// values.
func (p *Planner) Add(o *stix.Object, offset int64) (*Change, error) {
	p.n++
	n := p.n
	if n > p.max {
		return nil, fmt.Errorf("%s: more than %d objects", p.input, p.max)
	}
	if p.opts.Progress != nil && n%ProgressEvery == 0 {
		p.opts.Progress(n)
	}
	if err := check(o); err != nil {
		id := ""
		if o != nil {
			id = o.ID
		}
		return nil, &ObjectError{Input: p.input, Index: n, Offset: offset, ID: id, Err: err}
	}
	h := sha256.Sum256(o.Raw)
	rewrite := false
	if i, dup := p.byID[o.ID]; dup {
		prev := &p.entries[i]
		p.dups++
		switch {
		case prev.hash == h, o.Modified.Before(prev.obj.Modified):
			return nil, nil // the same, or an older version: keep what we have
		case o.Modified.Equal(prev.obj.Modified):
			return nil, &ObjectError{Input: p.input, Index: n, Offset: offset, ID: o.ID,
				Err: fmt.Errorf("%w: also object %d%s", ErrConflict, prev.index, atByte(prev.offset))}
		}
		// A newer version takes the earlier one's place.
		rewrite = prev.written
		*prev = planEntry{obj: o, index: n, offset: offset, hash: h, written: prev.written}
		return p.decide(prev, rewrite), nil
	}
	p.byID[o.ID] = len(p.entries)
	p.entries = append(p.entries, planEntry{obj: o, index: n, offset: offset, hash: h})
	return p.decide(&p.entries[len(p.entries)-1], false), nil
}

// decide compares e with the stored version and returns its change, if any.
func (p *Planner) decide(e *planEntry, rewrite bool) *Change {
	o := e.obj
	cur, ok := p.known(o.ID)
	replaces := false
	switch {
	case !ok:
		e.outcome = outNew
	case o.Modified.After(cur.Modified), o.Modified.IsZero() && cur.Modified.IsZero() && cur.Hash != e.hash:
		e.outcome = outUpdated
		replaces = true
	case o.Modified.Before(cur.Modified):
		e.outcome = outOlder
	default:
		e.outcome = outUnchanged
		e.conflict = cur.Hash != e.hash
	}
	// A version newer than one that was new, or newer than the store's,
	// is itself new or newer; a rewrite is written whatever the outcome.
	if e.outcome != outNew && e.outcome != outUpdated && !rewrite {
		return nil
	}
	e.written = true
	return &Change{Object: o, Hash: e.hash, Replaces: replaces && !rewrite, Rewrite: rewrite,
		Inactive: o.Revoked || o.Deprecated, Names: NamesOf(o)}
}

// Outcome is the end of an import plan.
type Outcome struct {
	Stats ImportStats
	// Seen holds every distinct object of the input, in input order, with
	// the version supplied, for the provenance record.
	Seen []Seen
	// Drop holds the ids of dangling relationships returned by Add that
	// must not stay (with SkipDangling): the backend deletes them.
	Drop []string
}

// Finish checks what needs the whole input (relationship ends) and returns
// the stats, the provenance list and the writes to undo.
func (p *Planner) Finish() (*Outcome, error) {
	if p.opts.Progress != nil {
		p.opts.Progress(p.n)
	}
	out := &Outcome{Stats: ImportStats{Source: p.src, Objects: p.n, Duplicates: p.dups, ByType: make(map[string]TypeStats)}}
	for i := range p.entries {
		e := &p.entries[i]
		o := e.obj
		if o.Type != "relationship" {
			continue
		}
		for _, ref := range []string{o.SourceRef, o.TargetRef} {
			if _, ok := p.byID[ref]; ok {
				continue
			}
			if _, ok := p.known(ref); ok {
				continue
			}
			if !p.opts.SkipDangling || e.outcome != outNew {
				return nil, &ObjectError{Input: p.input, Index: e.index, Offset: e.offset, ID: o.ID,
					Err: fmt.Errorf("%w %s", ErrDangling, ref)}
			}
			e.outcome = outDropped
			out.Stats.Dangling++
			if e.written {
				out.Drop = append(out.Drop, o.ID)
			}
			break
		}
	}
	for i := range p.entries {
		e := &p.entries[i]
		o := e.obj
		if e.outcome == outDropped {
			continue
		}
		out.Seen = append(out.Seen, Seen{ID: o.ID, Modified: o.Modified, New: e.outcome == outNew})
		ts := out.Stats.ByType[o.Type]
		switch e.outcome {
		case outNew:
			ts.New++
		case outUpdated:
			ts.Updated++
		case outUnchanged:
			ts.Unchanged++
		case outOlder:
			ts.Older++
		}
		if (e.outcome == outNew || e.outcome == outUpdated) && (o.Revoked || o.Deprecated) {
			ts.Inactive++
		}
		if e.conflict {
			out.Stats.Conflicts++
		}
		out.Stats.ByType[o.Type] = ts
	}
	for _, ts := range out.Stats.ByType {
		out.Stats.TypeStats.add(ts)
	}
	return out, nil
}

// Plan reads objs to the end and decides, for each object, what the store
// must do, given known (which reports what the store holds of an id), with
// the rules of Planner. It does not write. Errors are *ObjectError values
// naming the object, or the stream's own errors (such as
// *stix.DecodeError), wrapped with the input name.
func Plan(ctx context.Context, src Source, objs Stream, known func(id string) (Current, bool), opts ImportOptions) (*Batch, error) {
	p := NewPlanner(src, known, opts)
	b := &Batch{Source: src}
	at := make(map[string]int) // id -> index in b.Changes
	for i := 1; ; i++ {
		if i%ProgressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		o, offset, err := Next(objs)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Input(), err)
		}
		c, err := p.Add(o, offset)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		if j, ok := at[o.ID]; ok && c.Rewrite {
			c.Rewrite = false
			c.Replaces = b.Changes[j].Replaces
			b.Changes[j] = *c
			continue
		}
		at[o.ID] = len(b.Changes)
		b.Changes = append(b.Changes, *c)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := p.Finish()
	if err != nil {
		return nil, err
	}
	if len(out.Drop) > 0 {
		drop := make(map[string]bool)
		for _, id := range out.Drop {
			drop[id] = true
		}
		kept := b.Changes[:0]
		for _, c := range b.Changes {
			if !drop[c.Object.ID] {
				kept = append(kept, c)
			}
		}
		b.Changes = kept
	}
	b.Seen, b.Stats = out.Seen, out.Stats
	return b, nil
}

// NextAt is implemented by streams that know the byte offset at which each
// object starts (see Prefetch).
type NextAt interface {
	NextAt() (*stix.Object, int64, error)
}

// Next returns the next object of s with its byte offset: from NextAt when
// s has it, else from Offset before Next, else -1.
func Next(s Stream) (*stix.Object, int64, error) {
	if na, ok := s.(NextAt); ok {
		return na.NextAt()
	}
	offset := int64(-1)
	if o, ok := s.(offsetter); ok {
		offset = o.Offset()
	}
	obj, err := s.Next()
	return obj, offset, err
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
