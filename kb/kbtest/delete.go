package kbtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// testDelete deletes whole objects: refused while relationships refer to
// one; then the object and what indexes it are gone, the same-as links
// are recomputed, and the store's state changes.
func testDelete(t *testing.T, s kb.Store) {
	ctx := context.Background()
	importObjs(t, s, "attack.json", attackSet(t))
	importObjs(t, s, "misp.json", mispSet(t))
	before := stats(t, s)
	tagBefore, err := kb.StateTag(ctx, s)
	if err != nil {
		t.Fatal(err)
	}

	_, err = s.Delete(ctx, attackLazarus, nil)
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("Delete(Lazarus, referred to by relationships) error = %v, want a Conflict", err)
	}
	if diff := cmp.Diff(before, stats(t, s)); diff != "" {
		t.Errorf("a refused Delete changed the store (-before +after):\n%s", diff)
	}
	absent := stix.DeterministicID("intrusion-set", "kbtest:absent")
	if _, err := s.Delete(ctx, absent, nil); errs.KindOf(err) != errs.NotFound || !errors.Is(err, kb.ErrNotFound) {
		t.Errorf("Delete(absent) error = %v, want NotFound wrapping kb.ErrNotFound", err)
	}
	if _, err := s.Delete(ctx, mispOther, []time.Time{}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("Delete with an empty version list: %v, want Invalid", err)
	}

	// The "similar" relationship, then the other Seoul group: the links
	// they made go with them.
	for _, id := range []string{relSimilar, mispOther} {
		st, err := s.Delete(ctx, id, nil)
		if err != nil {
			t.Fatalf("Delete(%s): %v", id, err)
		}
		if st.Versions != 1 || !st.Removed {
			t.Errorf("Delete(%s) = %+v, want 1 version, removed", id, st)
		}
		if _, err := s.Object(ctx, id); !errors.Is(err, kb.ErrNotFound) {
			t.Errorf("Object(%s) after Delete: %v, want ErrNotFound", id, err)
		}
		if _, err := s.Provenance(ctx, id); !errors.Is(err, kb.ErrNotFound) {
			t.Errorf("Provenance(%s) after Delete: %v, want ErrNotFound", id, err)
		}
		if m, _ := s.LookupName(ctx, id); len(m) != 0 {
			t.Errorf("LookupName(%s) after Delete = %v, want none", id, m)
		}
	}
	if m, _ := s.LookupName(ctx, "Other Seoul Group"); len(m) != 0 {
		t.Errorf("LookupName of the deleted group's name = %v, want none", m)
	}
	if m, _ := s.LookupName(ctx, "Dark-Seoul"); len(m) != 1 || m[0].ID != mispLazarus {
		t.Errorf("LookupName(Dark-Seoul) = %v, want only the MISP Lazarus (the deleted group's alias is gone)", m)
	}
	var rels []string
	if err := s.Relationships(ctx, kb.RelationshipQuery{SourceRefs: []string{mispLazarus}, IncludeInactive: true}, func(o *stix.Object) error {
		rels = append(rels, o.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(rels) != 0 {
		t.Errorf("Relationships from the MISP Lazarus after deleting the only one: %v", rels)
	}
	var rest []*stix.Object
	for _, o := range append(attackSet(t), mispSet(t)...) {
		if o.ID != relSimilar && o.ID != mispOther {
			rest = append(rest, o)
		}
	}
	links, err := s.SameAs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(kb.Link(rest), links); diff != "" {
		t.Errorf("SameAs after Delete differs from Link over what is left (-want +got):\n%s", diff)
	}
	after := stats(t, s)
	if after.Objects != before.Objects-2 || after.ByType["intrusion-set"] != before.ByType["intrusion-set"]-1 || after.Names >= before.Names {
		t.Errorf("Stats after two deletes = %+v, before %+v", after, before)
	}
	if tag, _ := kb.StateTag(ctx, s); tag == tagBefore {
		t.Errorf("StateTag unchanged by Delete: %s", tag)
	}
	// Deleted, then supplied again: stored again, as new.
	if st := importObjs(t, s, "misp-again.json", mispSet(t)); st.New != 2 {
		t.Errorf("re-import after Delete: %d new, want 2", st.New)
	}
}

// testDeleteVersions deletes some versions of an object: an earlier one
// (the next keeps its date added), then the current one (the one before
// is current again, with its names).
func testDeleteVersions(t *testing.T, s kb.Store) {
	ctx := context.Background()
	id := stix.DeterministicID("intrusion-set", "kbtest:versions")
	importObjs(t, s, "v1.json", []*stix.Object{actor(t, id, t1, "First Name", []string{"Old Alias"}, "")})
	importObjs(t, s, "v2.json", []*stix.Object{actor(t, id, t2, "Second Name", nil, "")})
	importObjs(t, s, "v3.json", []*stix.Object{actor(t, id, t3, "Third Name", nil, "")})
	vs, err := s.Versions(ctx, id)
	if err != nil || len(vs) != 2 {
		t.Fatalf("Versions = %v, %v; want 2", vs, err)
	}
	thirdAdded := vs[1].ReplacedAt // when the third version replaced the second

	if _, err := s.Delete(ctx, id, []time.Time{mustTime(t, "2021-01-01T00:00:00Z")}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("Delete of a version the object does not have: %v, want NotFound", err)
	}
	st, err := s.Delete(ctx, id, []time.Time{mustTime(t, t2)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Versions != 1 || st.Removed {
		t.Errorf("Delete(second version) = %+v, want 1 version, not removed", st)
	}
	vs, err = s.Versions(ctx, id)
	if err != nil || len(vs) != 1 || !vs[0].Modified.Equal(mustTime(t, t1)) {
		t.Fatalf("Versions after deleting the second = %v, %v; want the first only", vs, err)
	}
	if !vs[0].ReplacedAt.Equal(thirdAdded) {
		t.Errorf("the first version's ReplacedAt = %v, want %v (the third version's date added)", vs[0].ReplacedAt, thirdAdded)
	}
	if o, _ := s.Object(ctx, id); o == nil || o.Name != "Third Name" {
		t.Errorf("current after deleting an earlier version = %v, want Third Name", o)
	}

	st, err = s.Delete(ctx, id, []time.Time{mustTime(t, t3)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Versions != 1 || st.Removed {
		t.Errorf("Delete(current version) = %+v, want 1 version, not removed", st)
	}
	o, err := s.Object(ctx, id)
	if err != nil || o.Name != "First Name" {
		t.Fatalf("current after deleting the current version = %v, %v; want First Name", o, err)
	}
	if vs, _ := s.Versions(ctx, id); len(vs) != 0 {
		t.Errorf("Versions after the first became current again = %v, want none", vs)
	}
	for _, c := range []struct {
		name string
		want int
	}{{"First Name", 1}, {"Old Alias", 1}, {"Third Name", 0}} {
		if m, _ := s.LookupName(ctx, c.name); len(m) != c.want {
			t.Errorf("LookupName(%q) = %v, want %d matches", c.name, m, c.want)
		}
	}
	st, err = s.Delete(ctx, id, []time.Time{mustTime(t, t1)})
	if err != nil || !st.Removed {
		t.Errorf("Delete(the last version) = %+v, %v; want removed", st, err)
	}
	if got := stats(t, s); got.Objects != 0 || got.Versions != 0 || got.Names != 0 {
		t.Errorf("Stats after every version is deleted = %+v, want empty", got)
	}
}
