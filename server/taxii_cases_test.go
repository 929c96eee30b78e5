package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/stix"
)

// caseBundle is STIX evidence of three objects: a technique, a tool and an
// indicator, with no markings.
const caseBundle = `{"type":"bundle","id":"bundle--00000100-0000-4000-8000-000000000100","objects":[
 {"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--00000101-0000-4000-8000-000000000101","created":"2024-03-01T00:00:00Z","modified":"2024-03-01T00:00:00Z","name":"Phishing","external_references":[{"source_name":"mitre-attack","external_id":"T1566"}]},
 {"type":"tool","spec_version":"2.1","id":"tool--00000102-0000-4000-8000-000000000102","created":"2024-03-01T00:00:00Z","modified":"2024-03-01T00:00:00Z","name":"PublicRAT"},
 {"type":"indicator","spec_version":"2.1","id":"indicator--00000103-0000-4000-8000-000000000103","created":"2024-03-01T00:00:00Z","modified":"2024-03-01T00:00:00Z","pattern":"[domain-name:value = 'march-phish.example']","pattern_type":"stix","valid_from":"2024-03-01T00:00:00Z"}]}`

var caseBundleIDs = []string{"attack-pattern--00000101-0000-4000-8000-000000000101",
	"indicator--00000103-0000-4000-8000-000000000103", "tool--00000102-0000-4000-8000-000000000102"}

// pushed is an envelope of one more indicator.
const pushed = `{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--00000104-0000-4000-8000-000000000104","created":"2024-03-02T00:00:00Z","modified":"2024-03-02T00:00:00Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-03-02T00:00:00Z"}]}`

const pushedID = "indicator--00000104-0000-4000-8000-000000000104"

func (f *fixture) collectionList(key string) []taxii.Collection {
	f.t.Helper()
	code, b := f.get(key, taxiiRoot+"collections/")
	if code != 200 {
		f.t.Fatalf("collections as %s: %d %s", key, code, b)
	}
	var cs taxii.Collections
	decodeJSON(f.t, b, &cs)
	return cs.Collections
}

func findCollection(cs []taxii.Collection, id string) *taxii.Collection {
	for i := range cs {
		if cs[i].ID == id {
			return &cs[i]
		}
	}
	return nil
}

func TestTAXIICaseCollections(t *testing.T) {
	f := caseFixture(t)
	green := f.newCase("analyst-green", "?name=Phish+of+March&tlp=green", []byte(caseBundle))
	amber := f.newCase("analyst-red", "?name=Operation+Amber+Sparrow&tlp=amber", leakCase)
	greenCol, amberCol := caseCollectionID(green), caseCollectionID(amber)
	if greenCol == caseCollectionID(amber) || greenCol != caseCollectionID(green) {
		t.Fatalf("collection ids %s and %s: want stable and distinct", greenCol, amberCol)
	}
	base := taxiiRoot + "collections/" + greenCol + "/"

	t.Run("list", func(t *testing.T) {
		for _, tc := range []struct {
			key   string
			write bool
		}{{"reader-green", false}, {"analyst-green", true}} {
			cs := f.collectionList(tc.key)
			c := findCollection(cs, greenCol)
			if c == nil {
				t.Fatalf("%s: no collection of case %s in %+v", tc.key, green, cs)
			}
			if c.Title != "Phish of March" || c.Alias != green || !c.CanRead || c.CanWrite != tc.write {
				t.Errorf("%s: case collection %+v, want title Phish of March, readable, can_write %v", tc.key, c, tc.write)
			}
			if findCollection(cs, amberCol) != nil {
				t.Errorf("%s sees the AMBER case's collection", tc.key)
			}
		}
		if c := findCollection(f.collectionList("analyst-red"), amberCol); c == nil || c.Title != "Operation Amber Sparrow" {
			t.Errorf("a RED analyst's list lacks the AMBER case: %+v", c)
		}
	})

	t.Run("read with pagination", func(t *testing.T) {
		got := ids(f.pull("reader-green", base+"objects/", 2))
		if diff := cmp.Diff(caseBundleIDs, got); diff != "" {
			t.Errorf("objects of the case collection (-want +got):\n%s", diff)
		}
		if pages := f.pull("reader-green", base+"objects/", 2); len(pages) != 2 {
			t.Errorf("%d pages of two, want 2", len(pages))
		}
		if got := ids(f.pull("reader-green", base+"objects/?match[type]=indicator,tool", 1)); len(got) != 2 {
			t.Errorf("match[type]=indicator,tool: %v, want 2 objects", got)
		}
		code, h, b := f.do("GET", "reader-green", base+"manifest/", "", nil)
		var m taxii.Manifest
		decodeJSON(t, b, &m)
		if code != 200 || len(m.Objects) != 3 || h.Get("X-TAXII-Date-Added-First") == "" {
			t.Errorf("manifest: %d %s", code, b)
		}
		code, b = f.get("reader-green", base+"objects/"+caseBundleIDs[2]+"/versions/")
		var vl taxii.VersionList
		decodeJSON(t, b, &vl)
		if code != 200 || len(vl.Versions) != 1 || vl.Versions[0] != "2024-03-01T00:00:00.000000Z" {
			t.Errorf("versions: %d %s", code, b)
		}
		if code, b := f.get("reader-green", base+"objects/"+openBear+"/"); code != 404 {
			t.Errorf("a knowledge object through the case collection: %d %s, want 404", code, b)
		}
		if code, b := f.get("reader-green", base+"objects/?limit=0"); code != 400 {
			t.Errorf("limit=0: %d %s, want 400", code, b)
		}
	})

	t.Run("push", func(t *testing.T) {
		if code, _, b := f.do("POST", "reader-green", base+"objects/", taxii.MediaTAXII, []byte(pushed)); code != 403 {
			t.Errorf("push by a reader: %d %s, want 403", code, b)
		}
		code, _, b := f.do("POST", "analyst-green", base+"objects/", taxii.MediaTAXII, []byte(pushed))
		var st taxii.Status
		decodeJSON(t, b, &st)
		if code != 202 || st.SuccessCount != 1 || st.FailureCount != 0 {
			t.Fatalf("push: %d %s", code, b)
		}
		_, b = f.get("reader-green", "/api/cases/"+green)
		var c kb.Case
		decodeJSON(t, b, &c)
		last := c.Evidence[len(c.Evidence)-1]
		if len(c.Evidence) != 2 || last.Name != "taxii-"+st.ID+".json" || last.Format != "stix" ||
			last.Status != kb.EvidenceUnreviewed || last.By != "analyst-green" || !strings.Contains(string(last.Content), pushedID) {
			t.Errorf("case after the push: %d evidence, last %s %s %s by %s", len(c.Evidence), last.Name, last.Format, last.Status, last.By)
		}
		want := append([]string{pushedID}, caseBundleIDs...)
		sort.Strings(want)
		if got := ids(f.pull("reader-green", base+"objects/", 10)); !cmp.Equal(got, want) {
			t.Errorf("objects after the push: %v, want %v", got, want)
		}
		code, b = f.get("analyst-green", taxiiRoot+"status/"+st.ID+"/")
		if code != 200 || !strings.Contains(string(b), pushedID) {
			t.Errorf("status of the push: %d %s", code, b)
		}
		// An object marked above the case is refused, and nothing is added.
		amberObj := strings.Replace(strings.Replace(pushed, "00000104", "00000105", 1), `"pattern_type"`,
			`"object_marking_refs":["`+stix.TLP2Amber+`"],"pattern_type"`, 1)
		code, _, b = f.do("POST", "analyst-green", base+"objects/", taxii.MediaTAXII, []byte(amberObj))
		decodeJSON(t, b, &st)
		if code != 202 || st.FailureCount != 1 || st.SuccessCount != 0 {
			t.Errorf("push of an AMBER object to a GREEN case: %d %s, want a failure", code, b)
		}
		_, b = f.get("reader-green", "/api/cases/"+green)
		decodeJSON(t, b, &c)
		if len(c.Evidence) != 2 {
			t.Errorf("the refused push added evidence: %d files", len(c.Evidence))
		}
	})

	t.Run("GREEN never sees the AMBER case", func(t *testing.T) {
		absentCase := "case-00000000ffff"
		absent := caseCollectionID(absentCase)
		for _, key := range []string{"reader-green", "analyst-green"} {
			_, b := f.get(key, taxiiRoot+"collections/")
			if strings.Contains(string(b), amber) || strings.Contains(string(b), amberCol) || strings.Contains(string(b), "Amber Sparrow") {
				t.Errorf("%s's collection list names the AMBER case: %s", key, b)
			}
			for _, tc := range []struct{ method, suffix string }{
				{"GET", ""}, {"GET", "objects/"}, {"GET", "manifest/"}, {"POST", "objects/"},
			} {
				for _, alias := range [][2]string{{amberCol, absent}, {amber, absentCase}} {
					code, _, hidden := f.do(tc.method, key, taxiiRoot+"collections/"+alias[0]+"/"+tc.suffix, taxii.MediaTAXII, []byte(pushed))
					code2, _, none := f.do(tc.method, key, taxiiRoot+"collections/"+alias[1]+"/"+tc.suffix, taxii.MediaTAXII, []byte(pushed))
					want := 404
					if key == "reader-green" && tc.method == "POST" {
						want = 403 // the role is checked first, whatever the collection
					}
					if a, b := normalize(hidden, alias[0]), normalize(none, alias[1]); code != want || code2 != want || a != b {
						t.Errorf("%s %s %s: %d %s\nabsent: %d %s\nwant the same %d", key, tc.method, alias[0]+"/"+tc.suffix, code, a, code2, b, want)
					}
					if strings.Contains(string(hidden), "Amber Sparrow") {
						t.Errorf("the 404 names the case: %s", hidden)
					}
				}
			}
		}
		if code, b := f.get("analyst-red", taxiiRoot+"collections/"+amberCol+"/"); code != 200 || !strings.Contains(string(b), "Amber Sparrow") {
			t.Errorf("the RED analyst reading the AMBER case's collection: %d %s", code, b)
		}
	})
}

func TestCaseCollectionID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{caseCollectionID("case-0123456789ab"), "case-0123456789ab", true},
		{"case-0123456789ab", "case-0123456789ab", true},
		{caseCollectionPrefix + "0123456789AB", "", false},
		{caseCollectionPrefix + "0123", "", false},
		{KnowledgeCollection, "", false},
		{"", "", false},
	} {
		got, ok := caseOfCollection(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("caseOfCollection(%q) = %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzCaseCollection checks that a collection id names a case only as
// caseCollectionID writes it (or as the case id itself), so that no other
// string reaches the store's case lookup.
func FuzzCaseCollection(f *testing.F) {
	for _, s := range []string{caseCollectionID("case-0123456789ab"), "case-0123456789ab", caseCollectionPrefix, KnowledgeCollection, "inbox", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		c, ok := caseOfCollection(id)
		if !ok {
			return
		}
		if !kb.ValidCaseID(c) || id != c && id != caseCollectionID(c) {
			t.Fatalf("caseOfCollection(%q) = %q: not the case the id names", id, c)
		}
	})
}

// BenchmarkCaseCollectionPage reads the first page of a case collection
// whose evidence is one bundle of n indicators.
func BenchmarkCaseCollectionPage(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			f := caseFixture(b)
			var buf strings.Builder
			buf.WriteString(`{"type":"bundle","id":"bundle--00000100-0000-4000-8000-000000000100","objects":[`)
			for i := range n {
				if i > 0 {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2024-03-01T00:00:00Z","modified":"2024-03-01T00:00:00Z","pattern":"[domain-name:value = 'host%d.example']","pattern_type":"stix","valid_from":"2024-03-01T00:00:00Z"}`, i, i)
			}
			buf.WriteString("]}")
			id := f.newCase("analyst-green", "?tlp=green", []byte(buf.String()))
			path := taxiiRoot + "collections/" + caseCollectionID(id) + "/objects/?limit=100"
			for _, cold := range []bool{false, true} {
				name := "cached"
				if cold {
					name = "cold" // the index built at every page, as before the cache
				}
				b.Run(name, func(b *testing.B) {
					for range b.N {
						if cold {
							f.srv.caseIx.clear()
						}
						if code, b2 := f.get("reader-green", path); code != 200 {
							b.Fatalf("GET %s: %d %s", path, code, b2)
						}
					}
				})
			}
		})
	}
}

func (ci *caseIndexes) clear() {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	ci.keys, ci.ix, ci.size, ci.bytes = nil, nil, nil, 0
}

// TestCaseIndexesBounded reads more cases than the cache keeps: it keeps
// the newest, within its bounds, and serves each case its own index.
func TestCaseIndexesBounded(t *testing.T) {
	f := caseFixture(t)
	var cases []string
	for i := range maxCaseIndexes + 2 {
		cases = append(cases, f.newCase("analyst-green", fmt.Sprintf("?tlp=green&name=c%d", i), []byte(caseBundle)))
	}
	for _, id := range cases {
		if got := ids(f.pull("reader-green", taxiiRoot+"collections/"+caseCollectionID(id)+"/objects/", 100)); !cmp.Equal(got, caseBundleIDs) {
			t.Errorf("case %s: %v", id, got)
		}
	}
	ci := &f.srv.caseIx
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if len(ci.keys) != maxCaseIndexes || len(ci.ix) != maxCaseIndexes || ci.keys[len(ci.keys)-1].id != cases[len(cases)-1] {
		t.Errorf("cache holds %d keys, %d indexes, newest %v; want %d, the last case newest", len(ci.keys), len(ci.ix), ci.keys[len(ci.keys)-1], maxCaseIndexes)
	}
	total := 0
	for _, k := range ci.keys {
		total += ci.size[k]
	}
	if total != ci.bytes || total > maxCaseIndexBytes {
		t.Errorf("cache bytes %d, counted %d, bound %d", ci.bytes, total, maxCaseIndexBytes)
	}
}
