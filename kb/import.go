package kb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// ImportTx is what Import needs of a backend: storage only, inside the one
// transaction of an import. The backend begins the transaction, calls
// Import, and commits when it returns no error (rolls back otherwise).
// Methods return errors that name what failed; Import adds the input.
type ImportTx interface {
	// Current returns what the store holds of every stored object.
	Current(ctx context.Context) (map[string]Current, error)
	// Put writes one change: the stored version to the history when
	// c.Replaces, the object, its names (c.Names, replacing the stored
	// ones when c.Replaces or c.Rewrite) and, for a relationship, its
	// relationship row.
	Put(ctx context.Context, c *Change) error
	// Delete removes an object written earlier in this transaction (a
	// dangling relationship dropped with SkipDangling).
	Delete(ctx context.Context, id string) error
	// RecordProvenance records src and that it supplied each object of
	// seen in the version given.
	RecordProvenance(ctx context.Context, src Source, seen []Seen) error
	// LinkInputs returns the active intrusion sets and threat actors and
	// the active same-as relationships (IsSameAsRelation), in any order.
	LinkInputs(ctx context.Context) ([]*stix.Object, error)
	// ReplaceSameAs replaces every stored same-as link with links.
	ReplaceSameAs(ctx context.Context, links []SameAs) error
	// CountSameAs returns the number of stored same-as links.
	CountSameAs(ctx context.Context) (int, error)
}

// CurrentOfTx is an ImportTx that can also read what it holds of some
// ids only. Import uses it for small inputs given whole (SliceStream),
// such as a confirmed case, instead of reading every stored version.
type CurrentOfTx interface {
	ImportTx
	// CurrentOf returns what the store holds of the ids that it has, and
	// whether the store holds no object at all.
	CurrentOf(ctx context.Context, ids []string) (current map[string]Current, empty bool, err error)
}

// smallImport is the size of input up to which Import reads the stored
// versions of the ids the input names rather than of every object.
const smallImport = 2000

// currentFor reads what the store holds that the planner will ask about:
// for a small input whose objects are all known (a SliceStream), its ids
// and relationship ends; else everything.
func currentFor(ctx context.Context, tx ImportTx, objs Stream) (map[string]Current, bool, error) {
	if t, ok := tx.(CurrentOfTx); ok {
		if s, ok := objs.(*sliceStream); ok && len(s.objs)-s.i <= smallImport {
			var ids []string
			for _, o := range s.objs[s.i:] {
				if o == nil {
					continue
				}
				ids = append(ids, o.ID)
				if o.Type == "relationship" {
					ids = append(ids, o.SourceRef, o.TargetRef)
				}
			}
			return t.CurrentOf(ctx, ids)
		}
	}
	current, err := tx.Current(ctx)
	return current, len(current) == 0, err
}

// prefetchDepth is how many decoded objects Import keeps ahead.
const prefetchDepth = 256

// Import runs one import of objs from src against tx with the rules of
// Planner, as Store.Import documents: the input is decoded ahead in a
// second goroutine (Prefetch) while each change is written at once; the
// checks that need the whole input run at the end; the same-as links are
// recomputed with Link when the store was empty or an actor or same-as
// relationship changed. Errors name the input (Planner.Input). changed
// reports whether any object was written, so that a backend can drop what
// it caches. On error the caller must roll tx back.
func Import(ctx context.Context, tx ImportTx, src Source, objs Stream, opts ImportOptions) (stats ImportStats, changed bool, err error) {
	if src.Kind == "" {
		src.Kind = SourceFile
	}
	current, empty, err := currentFor(ctx, tx, objs)
	if err != nil {
		return ImportStats{}, false, fmt.Errorf("import %s: %w", src.Name, err)
	}
	planner := NewPlanner(src, func(id string) (Current, bool) {
		c, ok := current[id]
		return c, ok
	}, opts)
	in, stop := Prefetch(ctx, objs, prefetchDepth)
	defer stop()
	relink := empty
	for i := 1; ; i++ {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return ImportStats{}, false, err
			}
		}
		o, offset, err := Next(in)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), planner.Input()) {
				err = fmt.Errorf("%s: %w", planner.Input(), err)
			}
			return ImportStats{}, false, err
		}
		c, err := planner.Add(o, offset)
		if err != nil {
			return ImportStats{}, false, err
		}
		if c == nil {
			continue
		}
		if err := tx.Put(ctx, c); err != nil {
			return ImportStats{}, false, fmt.Errorf("import %s: %w", src.Name, err)
		}
		changed = true
		if IsActor(o.Type) || o.Type == "relationship" && IsSameAsRelation(o.RelationshipType) {
			relink = true
		}
	}
	if err := ctx.Err(); err != nil {
		return ImportStats{}, false, err
	}
	out, err := planner.Finish()
	if err != nil {
		return ImportStats{}, false, err
	}
	for _, id := range out.Drop {
		if err := tx.Delete(ctx, id); err != nil {
			return ImportStats{}, false, fmt.Errorf("import %s: drop dangling %s: %w", src.Name, id, err)
		}
	}
	if err := tx.RecordProvenance(ctx, src, out.Seen); err != nil {
		return ImportStats{}, false, fmt.Errorf("import %s: %w", src.Name, err)
	}
	if relink {
		objs, err := tx.LinkInputs(ctx)
		if err != nil {
			return ImportStats{}, false, fmt.Errorf("import %s: same-as links: %w", src.Name, err)
		}
		sort.Slice(objs, func(i, j int) bool { return objs[i].ID < objs[j].ID })
		if err := tx.ReplaceSameAs(ctx, Link(objs)); err != nil {
			return ImportStats{}, false, fmt.Errorf("import %s: same-as links: %w", src.Name, err)
		}
	}
	if out.Stats.SameAs, err = tx.CountSameAs(ctx); err != nil {
		return ImportStats{}, false, fmt.Errorf("import %s: %w", src.Name, err)
	}
	return out.Stats, changed, nil
}
