package taxii

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Entry is one version of one object as TAXII lists it.
type Entry struct {
	ID          string
	Type        string
	Version     time.Time // modified, else created, else Added (section 3.6.1)
	Modified    time.Time // the object's own modified (zero for none): the store's key of the version
	Added       time.Time // when the knowledge base stored this version
	SpecVersion string
	Level       access.Level
	First, Last bool // the object's first and last (current) version
	// Raw is the version as stored, so that a page is served from memory.
	// Only entries whose Level the caller's view admits may be served.
	Raw []byte
}

// Index lists every version of every object, ordered by date added, then
// id, then version: the order of TAXII pages.
type Index struct {
	entries []Entry
	byID    map[string][]int // id -> indexes of its entries, oldest version first
}

// firstSeener is implemented by stores that give every object's first
// import time in one query (package sqlite).
type firstSeener interface {
	FirstSeen(ctx context.Context) (map[string]time.Time, error)
}

type versionLister interface {
	EachVersion(ctx context.Context, fn func(kb.Version) error) error
}

// Store is what Build reads: the knowledge base through an access view
// that sees everything, plus optional bulk reads of the raw store.
type Store interface {
	Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error
	Provenance(ctx context.Context, id string) ([]kb.Provenance, error)
	Versions(ctx context.Context, id string) ([]kb.Version, error)
}

// Build indexes every object of v (which should see every level: entries
// carry their level, and each request keeps those its caller may see) with
// its earlier versions. raw, when it offers bulk reads, saves one query
// per object. The date added of a version is a true date: the first
// import of the object for its first version, and for each later version
// the time it replaced the one before (kb.Version.ReplacedAt).
func Build(ctx context.Context, v *access.View, raw any) (*Index, error) {
	var first map[string]time.Time
	if fs, ok := raw.(firstSeener); ok {
		m, err := fs.FirstSeen(ctx)
		if err != nil {
			return nil, fmt.Errorf("taxii index: %w", err)
		}
		first = m
	}
	versions := map[string][]kb.Version{}
	if vl, ok := raw.(versionLister); ok {
		err := vl.EachVersion(ctx, func(x kb.Version) error {
			versions[x.ID] = append(versions[x.ID], x)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("taxii index: %w", err)
		}
	}
	_, bulkVersions := raw.(versionLister)
	ix := &Index{byID: map[string][]int{}}
	err := v.Objects(ctx, kb.ObjectQuery{IncludeInactive: true}, func(o *stix.Object) error {
		added, ok := first[o.ID]
		if !ok {
			prov, err := v.Provenance(ctx, o.ID)
			if err != nil {
				return err
			}
			for _, p := range prov {
				if added.IsZero() || p.FirstSeen.Before(added) {
					added = p.FirstSeen
				}
			}
		}
		vs := versions[o.ID]
		if !bulkVersions {
			var err error
			if vs, err = v.Versions(ctx, o.ID); err != nil {
				return err
			}
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].Modified.Before(vs[j].Modified) })
		at := added
		for _, x := range vs {
			old, err := stix.ParseObject(x.Raw)
			if err != nil {
				continue // a stored version that no longer parses is not served
			}
			e := entryOf(old, at, v.Level(old))
			e.Raw = x.Raw
			ix.entries = append(ix.entries, e)
			at = x.ReplacedAt
		}
		e := entryOf(o, at, v.Level(o))
		e.Raw = o.Raw
		ix.entries = append(ix.entries, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("taxii index: %w", err)
	}
	ix.finish()
	return ix, nil
}

// NewIndex indexes es, entries made by NewEntry (the objects of one case's
// evidence, for instance). Two entries of one version of one object are
// one: the earlier added is kept, so that a version given twice keeps the
// date it was first added.
func NewIndex(es []Entry) *Index {
	ix := &Index{entries: append([]Entry(nil), es...), byID: map[string][]int{}}
	sort.SliceStable(ix.entries, func(i, j int) bool { return ix.entries[i].less(&ix.entries[j]) })
	type version struct {
		id string
		at int64
	}
	seen := map[version]bool{}
	kept := ix.entries[:0]
	for _, e := range ix.entries {
		v := version{e.ID, e.Version.UnixNano()}
		if seen[v] {
			continue
		}
		seen[v] = true
		kept = append(kept, e)
	}
	ix.entries = kept
	ix.finish()
	return ix
}

// finish orders the entries and marks each object's first and last
// version.
func (ix *Index) finish() {
	sort.SliceStable(ix.entries, func(i, j int) bool { return ix.entries[i].less(&ix.entries[j]) })
	for i, e := range ix.entries {
		ix.byID[e.ID] = append(ix.byID[e.ID], i)
	}
	for _, is := range ix.byID {
		sort.Slice(is, func(a, b int) bool { return ix.entries[is[a]].Version.Before(ix.entries[is[b]].Version) })
		ix.entries[is[0]].First = true
		ix.entries[is[len(is)-1]].Last = true
	}
}

// NewEntry is the entry of the version o of an object, added at added,
// of level l, served as o.Raw.
func NewEntry(o *stix.Object, added time.Time, l access.Level) Entry {
	e := entryOf(o, added, l)
	e.Raw = o.Raw
	return e
}

// Has reports whether the index holds a version of id that sees admits.
func (ix *Index) Has(id string, sees func(access.Level) bool) bool {
	for _, i := range ix.byID[id] {
		if sees(ix.entries[i].Level) {
			return true
		}
	}
	return false
}

func entryOf(o *stix.Object, added time.Time, l access.Level) Entry {
	ver := o.Modified
	if ver.IsZero() {
		ver = o.Created
	}
	if ver.IsZero() {
		ver = added.Truncate(time.Microsecond)
	}
	sv := o.SpecVersion
	if sv == "" {
		sv = "2.1"
	}
	// Dates added are the server's own: microseconds, as FormatTime
	// writes them, so that added_after a date read back excludes it.
	return Entry{ID: o.ID, Type: o.Type, Version: ver.UTC(), Modified: o.Modified, Added: added.UTC().Truncate(time.Microsecond), SpecVersion: sv, Level: l}
}

func (e *Entry) less(f *Entry) bool {
	if !e.Added.Equal(f.Added) {
		return e.Added.Before(f.Added)
	}
	if e.ID != f.ID {
		return e.ID < f.ID
	}
	return e.Version.Before(f.Version)
}

// Len returns the number of indexed versions.
func (ix *Index) Len() int { return len(ix.entries) }

// Page is one page of entries.
type Page struct {
	Entries []Entry
	More    bool
	Next    string // the cursor of the next page when More
}

// Select returns the page of q's matches that sees admits, for the
// objects and manifest endpoints (id == "") or for one object's versions
// and content. def is the match[version] default: "last" for objects,
// "all" for versions.
func (ix *Index) Select(q Query, id string, sees func(access.Level) bool, def string) (Page, error) {
	start := 0
	if q.Next != "" {
		c, err := q.decodeCursor()
		if err != nil {
			return Page{}, err
		}
		at := Entry{ID: c.ID, Added: c.Added, Version: c.Version}
		start = sort.Search(len(ix.entries), func(i int) bool { return at.less(&ix.entries[i]) })
	}
	match := q.matcher(def)
	var p Page
	try := func(e *Entry) bool {
		return sees(e.Level) && match(e) && (id == "" || e.ID == id)
	}
	if id != "" {
		// One object: walk its own entries, in date-added order.
		for _, i := range ix.objectEntries(id, start) {
			e := &ix.entries[i]
			if !try(e) {
				continue
			}
			if len(p.Entries) == q.Limit {
				p.More = true
				break
			}
			p.Entries = append(p.Entries, *e)
		}
	} else {
		for i := start; i < len(ix.entries); i++ {
			e := &ix.entries[i]
			if !try(e) {
				continue
			}
			if len(p.Entries) == q.Limit {
				p.More = true
				break
			}
			p.Entries = append(p.Entries, *e)
		}
	}
	if p.More {
		p.Next = q.encodeCursor(&p.Entries[len(p.Entries)-1])
	}
	return p, nil
}

// objectEntries returns the entries of id at or after position start, in
// index order.
func (ix *Index) objectEntries(id string, start int) []int {
	is := append([]int(nil), ix.byID[id]...)
	sort.Ints(is)
	k := sort.SearchInts(is, start)
	return is[k:]
}

// matcher returns the test of an entry against q's filters.
func (q Query) matcher(def string) func(*Entry) bool {
	ids := set(q.IDs)
	types := set(q.Types)
	specs := set(q.SpecVersions)
	vers := q.Versions
	if len(vers) == 0 {
		vers = []string{def}
	}
	return func(e *Entry) bool {
		if !q.AddedAfter.IsZero() && !e.Added.After(q.AddedAfter) {
			return false
		}
		if ids != nil && !ids[e.ID] || types != nil && !types[e.Type] || specs != nil && !specs[e.SpecVersion] {
			return false
		}
		for _, v := range vers {
			switch v {
			case "all":
				return true
			case "first":
				if e.First {
					return true
				}
			case "last":
				if e.Last {
					return true
				}
			}
		}
		for _, t := range q.versionTimes {
			if e.Version.Equal(t) {
				return true
			}
		}
		return false
	}
}

func set(vals []string) map[string]bool {
	if len(vals) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// Current returns the entry of the current version of every object, in
// index order.
func (ix *Index) Current() []Entry {
	var out []Entry
	for _, e := range ix.entries {
		if e.Last {
			out = append(out, e)
		}
	}
	return out
}
