package kb

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/stix"
)

// Deletion takes objects, or some of their versions, out of the knowledge
// base for good (the TAXII "Delete An Object" endpoint of an admin). It is
// not revocation: what is deleted is not kept anywhere, and a later import
// that supplies it again stores it again, as new.
//
// Deleting every version of an object removes it and everything that
// indexes it (names, observable values, its relationship row, provenance,
// history). A relationship whose source_ref or target_ref is the object
// would dangle, which the store never holds (Planner): such a delete is
// refused with an errs.Conflict error until the relationships are deleted.
//
// Deleting some versions keeps the others: when the current version goes,
// the newest remaining one becomes current again (its names and
// observables indexed anew). The versions after a deleted one keep their
// date added (see Version.ReplacedAt), but a deleted first version gives
// the next one the object's first date added.

// DeleteStats describes one delete.
type DeleteStats struct {
	Versions int  // versions removed, the current one included
	Removed  bool // no version is left: the object is gone
}

// DeleteTx is what Delete needs of a backend: storage only, inside one
// transaction, as ImportTx for an import. Put, LinkInputs and
// ReplaceSameAs are ImportTx's.
type DeleteTx interface {
	// Stored returns the current version of id and its earlier versions,
	// oldest first, or an error wrapping ErrNotFound when the store holds
	// no object id.
	Stored(ctx context.Context, id string) (*stix.Object, []Version, error)
	// Referrers returns the ids of at most n relationships other than id
	// whose source_ref or target_ref is id, in any order.
	Referrers(ctx context.Context, id string, n int) ([]string, error)
	// DropVersion removes the earlier version of id whose modified is m.
	DropVersion(ctx context.Context, id string, m time.Time) error
	// SetReplacedAt sets the ReplacedAt of the earlier version of id whose
	// modified is m.
	SetReplacedAt(ctx context.Context, id string, m, at time.Time) error
	// Remove deletes the object id and every row that indexes it: names,
	// observable values, its relationship row, provenance and earlier
	// versions.
	Remove(ctx context.Context, id string) error
	// Put writes c as ImportTx.Put does; Delete gives a Rewrite.
	Put(ctx context.Context, c *Change) error
	LinkInputs(ctx context.Context) ([]*stix.Object, error)
	ReplaceSameAs(ctx context.Context, links []SameAs) error
}

// maxReferrers bounds the relationships a refused delete names.
const maxReferrers = 5

// Delete deletes versions of object id against tx, as Store.Delete
// documents: versions holds the modified times of the versions to delete
// (the zero time for the one version of an object without modified), and
// nil means every version. A time that is no version of id is an
// errs.NotFound error, as is an id the store does not hold. On error the
// caller must roll tx back.
func Delete(ctx context.Context, tx DeleteTx, id string, versions []time.Time) (DeleteStats, error) {
	if versions != nil && len(versions) == 0 {
		return DeleteStats{}, errs.E(errs.Invalid, "delete %s: no version named (nil deletes every version)", id)
	}
	cur, earlier, err := tx.Stored(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return DeleteStats{}, errs.Wrap(errs.NotFound, err, "delete %s", id)
	}
	if err != nil {
		return DeleteStats{}, fmt.Errorf("delete %s: %w", id, err)
	}
	sort.Slice(earlier, func(i, j int) bool { return earlier[i].Modified.Before(earlier[j].Modified) })
	// all lists every version, oldest first; the current one is last.
	type version struct {
		modified time.Time
		drop     bool
	}
	all := make([]version, 0, len(earlier)+1)
	for _, v := range earlier {
		all = append(all, version{modified: v.Modified})
	}
	all = append(all, version{modified: cur.Modified})
	if versions == nil {
		for i := range all {
			all[i].drop = true
		}
	}
	for _, m := range versions {
		i := sort.Search(len(all), func(i int) bool { return !all[i].modified.Before(m) })
		if i == len(all) || !all[i].modified.Equal(m) {
			return DeleteStats{}, errs.E(errs.NotFound, "delete %s: it has no version %s", id, m.UTC().Format(time.RFC3339Nano))
		}
		all[i].drop = true
	}
	st := DeleteStats{}
	keep := -1 // the newest version kept
	for i, v := range all {
		if v.drop {
			st.Versions++
		} else {
			keep = i
		}
	}
	relink := IsActor(cur.Type) || cur.Type == "relationship" && IsSameAsRelation(cur.RelationshipType)
	if keep < 0 {
		refs, err := tx.Referrers(ctx, id, maxReferrers)
		if err != nil {
			return DeleteStats{}, fmt.Errorf("delete %s: %w", id, err)
		}
		if len(refs) > 0 {
			sort.Strings(refs)
			return DeleteStats{}, errs.E(errs.Conflict, "delete %s: relationships refer to it (%s): delete them first", id, strings.Join(refs, ", "))
		}
		if err := tx.Remove(ctx, id); err != nil {
			return DeleteStats{}, fmt.Errorf("delete %s: %w", id, err)
		}
		st.Removed = true
	} else {
		// Each kept earlier version takes the ReplacedAt of the version
		// just before the next kept one, so that every kept version keeps
		// its date added.
		next := len(all) - 1 // the next kept version after i, the current one if kept
		if all[next].drop {
			next = keep
		}
		for i := keep - 1; i >= 0; i-- {
			if all[i].drop {
				continue
			}
			if at := earlier[next-1].ReplacedAt; !at.Equal(earlier[i].ReplacedAt) {
				if err := tx.SetReplacedAt(ctx, id, all[i].modified, at); err != nil {
					return DeleteStats{}, fmt.Errorf("delete a version of %s: %w", id, err)
				}
			}
			next = i
		}
		for i, v := range all[:len(all)-1] {
			if v.drop || i == keep && all[len(all)-1].drop {
				if err := tx.DropVersion(ctx, id, v.modified); err != nil {
					return DeleteStats{}, fmt.Errorf("delete a version of %s: %w", id, err)
				}
			}
		}
		if all[len(all)-1].drop {
			// The newest kept version is current again.
			o, err := stix.ParseObject(earlier[keep].Raw)
			if err != nil {
				return DeleteStats{}, fmt.Errorf("delete the current version of %s: the version before it: %w", id, err)
			}
			c := &Change{Object: o, Hash: sha256.Sum256(o.Raw), Rewrite: true, Inactive: o.Revoked || o.Deprecated, Names: NamesOf(o)}
			if err := tx.Put(ctx, c); err != nil {
				return DeleteStats{}, fmt.Errorf("delete the current version of %s: %w", id, err)
			}
			relink = relink || IsActor(o.Type) || o.Type == "relationship" && IsSameAsRelation(o.RelationshipType)
		} else {
			relink = false // the current version, all Link reads, is unchanged
		}
	}
	if relink {
		objs, err := tx.LinkInputs(ctx)
		if err != nil {
			return DeleteStats{}, fmt.Errorf("delete %s: same-as links: %w", id, err)
		}
		sort.Slice(objs, func(i, j int) bool { return objs[i].ID < objs[j].ID })
		if err := tx.ReplaceSameAs(ctx, Link(objs)); err != nil {
			return DeleteStats{}, fmt.Errorf("delete %s: same-as links: %w", id, err)
		}
	}
	return st, nil
}
