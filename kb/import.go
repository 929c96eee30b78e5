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
	current, err := tx.Current(ctx)
	if err != nil {
		return ImportStats{}, false, fmt.Errorf("import %s: %w", src.Name, err)
	}
	planner := NewPlanner(src, func(id string) (Current, bool) {
		c, ok := current[id]
		return c, ok
	}, opts)
	in, stop := Prefetch(ctx, objs, prefetchDepth)
	defer stop()
	relink := len(current) == 0
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
