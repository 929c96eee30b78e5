package kb

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/stix"
)

var (
	day1 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	day2 = day1.AddDate(0, 0, 1)
	day3 = day1.AddDate(0, 0, 2)
)

// obj returns a minimal valid object; content varies Raw.
func obj(typ, key string, modified time.Time, content string) *stix.Object {
	id := stix.DeterministicID(typ, key)
	return &stix.Object{Type: typ, ID: id, SpecVersion: "2.1", Modified: modified,
		Raw: []byte(fmt.Sprintf(`{"id":%q,"modified":%q,"c":%q}`, id, modified.Format(time.RFC3339), content))}
}

func relObj(key, src, dst string) *stix.Object {
	o := obj("relationship", key, day1, "")
	o.RelationshipType, o.SourceRef, o.TargetRef = "uses", src, dst
	return o
}

func current(objs ...*stix.Object) func(string) (Current, bool) {
	m := make(map[string]Current)
	for _, o := range objs {
		m[o.ID] = Current{Modified: o.Modified, Hash: sha256.Sum256(o.Raw)}
	}
	return func(id string) (Current, bool) { c, ok := m[id]; return c, ok }
}

func TestPlan(t *testing.T) {
	a1, a2 := obj("intrusion-set", "a", day1, "v1"), obj("intrusion-set", "a", day2, "v2")
	a2other := obj("intrusion-set", "a", day2, "v2 but different")
	a3 := obj("intrusion-set", "a", day3, "v3")
	b := obj("malware", "b", day1, "")
	sco1, sco2 := obj("ipv4-addr", "ip", time.Time{}, "1"), obj("ipv4-addr", "ip", time.Time{}, "2")
	revoked := obj("intrusion-set", "r", day1, "")
	revoked.Revoked = true
	r := relObj("r", a1.ID, b.ID)

	type change struct {
		ID       string
		Raw      string
		Replaces bool
	}
	tests := []struct {
		name    string
		store   []*stix.Object
		input   []*stix.Object
		want    TypeStats
		dups    int
		changes []change
	}{
		{"new", nil, []*stix.Object{a1, b, r}, TypeStats{New: 3}, 0,
			[]change{{a1.ID, string(a1.Raw), false}, {b.ID, string(b.Raw), false}, {r.ID, string(r.Raw), false}}},
		{"unchanged", []*stix.Object{a1, b}, []*stix.Object{a1, b}, TypeStats{Unchanged: 2}, 0, nil},
		{"newer replaces", []*stix.Object{a1}, []*stix.Object{a2}, TypeStats{Updated: 1}, 0,
			[]change{{a2.ID, string(a2.Raw), true}}},
		{"older ignored", []*stix.Object{a2}, []*stix.Object{a1}, TypeStats{Older: 1}, 0, nil},
		{"same modified other content keeps stored", []*stix.Object{a2}, []*stix.Object{a2other}, TypeStats{Unchanged: 1}, 0, nil},
		{"sco without modified updated on new content", []*stix.Object{sco1}, []*stix.Object{sco2}, TypeStats{Updated: 1}, 0,
			[]change{{sco2.ID, string(sco2.Raw), true}}},
		{"revoked counted inactive", nil, []*stix.Object{revoked}, TypeStats{New: 1, Inactive: 1}, 0,
			[]change{{revoked.ID, string(revoked.Raw), false}}},
		{"identical duplicate counted once", nil, []*stix.Object{a1, a1}, TypeStats{New: 1}, 1,
			[]change{{a1.ID, string(a1.Raw), false}}},
		{"newer duplicate in input wins", nil, []*stix.Object{a1, a3, a2}, TypeStats{New: 1}, 2,
			[]change{{a3.ID, string(a3.Raw), false}}},
		{"newer duplicate after an unchanged one", []*stix.Object{a1}, []*stix.Object{a1, a2}, TypeStats{Updated: 1}, 1,
			[]change{{a2.ID, string(a2.Raw), true}}},
		{"newer duplicate after an update keeps one history entry", []*stix.Object{a1}, []*stix.Object{a2, a3}, TypeStats{Updated: 1}, 1,
			[]change{{a3.ID, string(a3.Raw), true}}},
		{"relationship to stored objects", []*stix.Object{a1, b}, []*stix.Object{r}, TypeStats{New: 1}, 0,
			[]change{{r.ID, string(r.Raw), false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			batch, err := Plan(context.Background(), Source{Name: "in.json"}, SliceStream(tc.input), current(tc.store...), ImportOptions{})
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if diff := cmp.Diff(tc.want, batch.Stats.TypeStats); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
			if batch.Stats.Duplicates != tc.dups {
				t.Errorf("Duplicates = %d, want %d", batch.Stats.Duplicates, tc.dups)
			}
			var got []change
			for _, c := range batch.Changes {
				if c.Rewrite {
					t.Errorf("Plan returned a Rewrite change for %s", c.Object.ID)
				}
				got = append(got, change{c.Object.ID, string(c.Object.Raw), c.Replaces})
			}
			if diff := cmp.Diff(tc.changes, got); diff != "" {
				t.Errorf("changes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// offsetStream reports offset 100*i before object i.
type offsetStream struct {
	objs []*stix.Object
	i    int
}

func (s *offsetStream) Offset() int64 { return int64(100 * s.i) }

func (s *offsetStream) Next() (*stix.Object, error) {
	if s.i >= len(s.objs) {
		return nil, io.EOF
	}
	s.i++
	return s.objs[s.i-1], nil
}

func TestPlanErrors(t *testing.T) {
	a1 := obj("intrusion-set", "a", day1, "v1")
	a1other := obj("intrusion-set", "a", day1, "other")
	b := obj("malware", "b", day1, "")
	absent := stix.DeterministicID("tool", "absent")
	dangling := relObj("d", a1.ID, absent)
	tests := []struct {
		name    string
		input   []*stix.Object
		opts    ImportOptions
		wantErr error
		wantMsg string
	}{
		{"conflicting duplicate", []*stix.Object{a1, b, a1other}, ImportOptions{}, ErrConflict,
			fmt.Sprintf("in.json: object 3 (%s) at byte 200: duplicate id with different content: also object 1 at byte 0", a1.ID)},
		{"dangling relationship", []*stix.Object{a1, dangling}, ImportOptions{}, ErrDangling,
			fmt.Sprintf("in.json: object 2 (%s) at byte 100: relationship refers to an absent object %s", dangling.ID, absent)},
		{"id of another type", []*stix.Object{{Type: "malware", ID: a1.ID, Raw: []byte("{}")}}, ImportOptions{}, nil,
			"is not of the form malware--<UUID>"},
		{"no id", []*stix.Object{{Type: "malware", Raw: []byte("{}")}}, ImportOptions{}, nil, "object 1 at byte 0: object has no id"},
		{"no raw", []*stix.Object{{Type: "malware", ID: b.ID}}, ImportOptions{}, nil, "no raw JSON"},
		{"nil object", []*stix.Object{nil}, ImportOptions{}, nil, "nil object"},
		{"relationship without target", []*stix.Object{{Type: "relationship", ID: dangling.ID, SourceRef: a1.ID, Raw: []byte("{}")}}, ImportOptions{}, nil,
			"without source_ref or target_ref"},
		{"too many", []*stix.Object{a1, b}, ImportOptions{MaxObjects: 1}, nil, "in.json: more than 1 objects"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Plan(context.Background(), Source{Name: "in.json"}, &offsetStream{objs: tc.input}, current(), tc.opts)
			if err == nil {
				t.Fatal("Plan succeeded, want an error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Plan error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Plan error = %q, want it to contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestPlanSkipDangling(t *testing.T) {
	a1 := obj("intrusion-set", "a", day1, "v1")
	absent := stix.DeterministicID("tool", "absent")
	dangling := relObj("d", a1.ID, absent)
	ok := relObj("ok", a1.ID, a1.ID)
	batch, err := Plan(context.Background(), Source{Name: "in.json"}, SliceStream([]*stix.Object{a1, dangling, ok}), current(), ImportOptions{SkipDangling: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range batch.Changes {
		ids = append(ids, c.Object.ID)
	}
	if diff := cmp.Diff([]string{a1.ID, ok.ID}, ids); diff != "" {
		t.Errorf("changes mismatch (-want +got):\n%s", diff)
	}
	if batch.Stats.Dangling != 1 || batch.Stats.New != 2 || len(batch.Seen) != 2 {
		t.Errorf("stats: dangling %d, new %d, seen %d; want 1, 2, 2", batch.Stats.Dangling, batch.Stats.New, len(batch.Seen))
	}
}

func TestPlannerStreaming(t *testing.T) {
	// A dangling relationship already returned by Add is listed in Drop.
	a1 := obj("intrusion-set", "a", day1, "v1")
	dangling := relObj("d", a1.ID, stix.DeterministicID("tool", "absent"))
	p := NewPlanner(Source{Name: "x"}, current(), ImportOptions{SkipDangling: true})
	for i, o := range []*stix.Object{a1, dangling} {
		c, err := p.Add(o, int64(i))
		if err != nil || c == nil {
			t.Fatalf("Add(%s) = %v, %v; want a change", o.ID, c, err)
		}
	}
	out, err := p.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{dangling.ID}, out.Drop); diff != "" {
		t.Errorf("Drop mismatch (-want +got):\n%s", diff)
	}
	// A newer version of an object already returned comes as a Rewrite.
	a2 := obj("intrusion-set", "a", day2, "v2")
	p = NewPlanner(Source{Name: "x"}, current(), ImportOptions{})
	if c, _ := p.Add(a1, 0); c == nil || c.Rewrite {
		t.Fatalf("Add(a1) = %+v, want a plain change", c)
	}
	c, err := p.Add(a2, 1)
	if err != nil || c == nil || !c.Rewrite || c.Replaces {
		t.Errorf("Add(newer a) = %+v, %v; want a Rewrite without history", c, err)
	}
}

func TestPrefetch(t *testing.T) {
	var objs []*stix.Object
	for i := 0; i < 50; i++ {
		objs = append(objs, obj("malware", fmt.Sprint(i), day1, ""))
	}
	t.Run("all with offsets", func(t *testing.T) {
		s, stop := Prefetch(context.Background(), &offsetStream{objs: objs}, 4)
		defer stop()
		for i := 0; ; i++ {
			o, off, err := Next(s)
			if errors.Is(err, io.EOF) {
				if i != len(objs) {
					t.Errorf("EOF after %d objects, want %d", i, len(objs))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if o != objs[i] || off != int64(100*i) {
				t.Fatalf("object %d = %s at %d, want %s at %d", i, o.ID, off, objs[i].ID, 100*i)
			}
		}
		if _, _, err := Next(s); !errors.Is(err, io.EOF) {
			t.Errorf("Next after EOF = %v, want EOF again", err)
		}
	})
	t.Run("stop early", func(t *testing.T) {
		s, stop := Prefetch(context.Background(), &offsetStream{objs: objs}, 2)
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
		stop() // must return although the producer is blocked on a full buffer
		stop()
	})
	t.Run("error passed on", func(t *testing.T) {
		bad := errors.New("bad input")
		s, stop := Prefetch(context.Background(), &failing{err: bad}, 2)
		defer stop()
		if _, err := s.Next(); !errors.Is(err, bad) {
			t.Errorf("Next = %v, want %v", err, bad)
		}
	})
}

type failing struct{ err error }

func (f *failing) Next() (*stix.Object, error) { return nil, f.err }
