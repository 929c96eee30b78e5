package taxii

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
)

func TestParseQuery(t *testing.T) {
	q, err := ParseQuery(url.Values{"limit": {"5000"}, "match[type]": {"malware,tool", "indicator"}, "match[version]": {"first,2024-01-01T00:00:00Z"}}, Objects)
	if err != nil {
		t.Fatal(err)
	}
	if q.Limit != MaxLimit || len(q.Types) != 3 || len(q.Versions) != 2 || len(q.versionTimes) != 1 {
		t.Errorf("ParseQuery = %+v", q)
	}
	for _, bad := range []url.Values{
		{"limit": {"0"}}, {"limit": {"x"}}, {"limit": {"1", "2"}}, {"added_after": {"now"}},
		{"match[version]": {"latest"}}, {"match[id]": {strings.Repeat("a,", 200)}}, {"next": {strings.Repeat("n", 600)}},
	} {
		if _, err := ParseQuery(bad, Objects); errs.KindOf(err) != errs.Invalid {
			t.Errorf("ParseQuery(%v) = %v, want an invalid-input error", bad, err)
		}
	}
	// The versions endpoint takes no match[id] or match[type].
	if _, err := ParseQuery(url.Values{"match[type]": {"malware"}}, Versions); err == nil {
		t.Error("match[type] accepted on the versions endpoint")
	}
}

func TestParseDeleteQuery(t *testing.T) {
	q, err := ParseQuery(url.Values{"match[version]": {"first,2024-01-01T00:00:00Z"}, "match[spec_version]": {"2.1"}, "other": {"x"}}, Delete)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Versions) != 2 || len(q.SpecVersions) != 1 || q.Limit < MaxLimit {
		t.Errorf("ParseQuery(delete) = %+v, want two versions, one spec version, no page limit", q)
	}
	// What would narrow a read is refused, not ignored: a delete would
	// otherwise take more than it was asked to.
	for _, bad := range []url.Values{
		{"limit": {"1"}}, {"next": {"x"}}, {"added_after": {"2024-01-01T00:00:00Z"}},
		{"match[type]": {"malware"}}, {"match[id]": {"malware--x"}}, {"match[version]": {"newest"}},
	} {
		if _, err := ParseQuery(bad, Delete); errs.KindOf(err) != errs.Invalid {
			t.Errorf("ParseQuery(%v, Delete) = %v, want an invalid-input error", bad, err)
		}
	}
	// Every version by default, whatever the index holds.
	ix := testIndex(4)
	id := ix.entries[0].ID
	q, _ = ParseQuery(url.Values{}, Delete)
	p, err := ix.Select(q, id, func(access.Level) bool { return true }, "all")
	if err != nil || len(p.Entries) != len(ix.byID[id]) || p.More {
		t.Errorf("Select(delete of %s) = %d entries, more %v, %v; want all %d", id, len(p.Entries), p.More, err, len(ix.byID[id]))
	}
}

// testIndex is an index of n objects, one version each, a second apart.
func testIndex(n int) *Index {
	ix := &Index{byID: map[string][]int{}}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		e := Entry{ID: "malware--" + strings.Repeat("0", 8) + "-0000-4000-8000-" + strings.Repeat("0", 11) + string(rune('a'+i%26)),
			Type: "malware", Version: t0, Added: t0.Add(time.Duration(i) * time.Second), SpecVersion: "2.1", First: true, Last: true}
		if i%3 == 0 {
			e.Level = access.Red
		}
		ix.byID[e.ID] = append(ix.byID[e.ID], len(ix.entries))
		ix.entries = append(ix.entries, e)
	}
	return ix
}

func TestSelectPages(t *testing.T) {
	ix := testIndex(10)
	green := func(l access.Level) bool { return l <= access.Green }
	q, _ := ParseQuery(url.Values{"limit": {"2"}}, Objects)
	var got int
	for pages := 0; ; pages++ {
		p, err := ix.Select(q, "", green, "last")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			if e.Level > access.Green {
				t.Errorf("page holds a RED entry %v", e)
			}
		}
		got += len(p.Entries)
		if !p.More {
			break
		}
		q.Next = p.Next
	}
	if got != 6 {
		t.Errorf("paged %d entries, want the 6 visible", got)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"limit=10", "match[type]=malware,tool&match[version]=all", "added_after=2024-01-01T00:00:00Z", "next=abc&limit=1", "match[x]=1", "limit=-1"} {
		f.Add(s)
	}
	ix := testIndex(30)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, ep := range []Endpoint{Objects, Object, Versions, Delete} {
			q, err := ParseQuery(v, ep)
			if err != nil {
				if errs.KindOf(err) != errs.Invalid {
					t.Fatalf("ParseQuery(%q) = %v, want an invalid-input error", raw, err)
				}
				continue
			}
			if ep == Delete {
				if q.Next != "" || !q.AddedAfter.IsZero() || len(q.IDs) > 0 || len(q.Types) > 0 {
					t.Fatalf("ParseQuery(%q, Delete) = %+v: a read's parameter passed", raw, q)
				}
				continue
			}
			if q.Limit < 1 || q.Limit > MaxLimit {
				t.Fatalf("ParseQuery(%q).Limit = %d", raw, q.Limit)
			}
			p, err := ix.Select(q, "", func(access.Level) bool { return true }, "last")
			if err != nil && errs.KindOf(err) != errs.Invalid {
				t.Fatalf("Select(%q) = %v", raw, err)
			}
			if len(p.Entries) > q.Limit {
				t.Fatalf("Select(%q) returned %d entries, limit %d", raw, len(p.Entries), q.Limit)
			}
		}
	})
}

// FuzzCursor checks that any next value is either a cursor of the same
// query or refused as invalid input, never a panic.
func FuzzCursor(f *testing.F) {
	ix := testIndex(20)
	q, _ := ParseQuery(url.Values{"limit": {"3"}}, Objects)
	p, _ := ix.Select(q, "", func(access.Level) bool { return true }, "last")
	f.Add(p.Next)
	f.Add("eyJhIjoiMjAyNCJ9")
	f.Add("")
	f.Fuzz(func(t *testing.T, next string) {
		q2 := q
		q2.Next = next
		p, err := ix.Select(q2, "", func(access.Level) bool { return true }, "last")
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("Select(next=%q) = %v", next, err)
			}
			return
		}
		if len(p.Entries) > 3 {
			t.Fatalf("Select(next=%q) = %d entries", next, len(p.Entries))
		}
	})
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"objects":[{"type":"malware","spec_version":"2.1","id":"malware--00000001-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"x","is_family":true}]}`))
	f.Add([]byte(`{"more":false,"objects":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := DecodeEnvelope(bytes.NewReader(b), 1<<16)
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.TooLarge {
				t.Fatalf("DecodeEnvelope = %v, want invalid or too large", err)
			}
			return
		}
		for _, o := range objs {
			if o == nil || o.ID == "" {
				t.Fatalf("DecodeEnvelope returned an object without id")
			}
		}
	})
}
