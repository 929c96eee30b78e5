package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/server/taxii"
)

// A page served from the cache is the page as built, headers included; a
// TLP:GREEN reader asking after a TLP:RED one for the same query gets its
// own page, never the RED one.
func TestTAXIIPageCache(t *testing.T) {
	f := newFixture(t, Config{})
	q := col + "/objects/?match[version]=all&limit=3"
	type answer struct {
		code        int
		first, last string
		body        []byte
	}
	get := func(key, path string) answer {
		code, h, b := f.do("GET", key, path, "", nil)
		return answer{code, h.Get(hdrAddedFirst), h.Get(hdrAddedLast), b}
	}
	built := get("reader-red", q)
	if built.code != 200 || built.first == "" || !bytes.Contains(built.body, []byte(`"more":true`)) {
		t.Fatalf("first page: %+v", built)
	}
	green := get("reader-green", q)
	assertHidden(t, "cached TAXII page", green.body)
	if again := get("admin-red", q); !cmp.Equal(again, built, cmp.AllowUnexported(answer{})) {
		t.Errorf("page from the cache:\n%+v\nwant the page as built:\n%+v", again, built)
	}
	if again := get("reader-green", q); !cmp.Equal(again, green, cmp.AllowUnexported(answer{})) {
		t.Errorf("GREEN page from the cache:\n%+v\nwant:\n%+v", again, green)
	}
	sn := f.srv.snap.Load()
	if n := len(sn.pages.pages); n != 2 {
		t.Errorf("the snapshot caches %d pages, want 2 (one per level)", n)
	}

	// Walking the collection twice gives the same pages.
	first := f.pull("reader-red", col+"/objects/", 2)
	if second := f.pull("reader-red", col+"/objects/", 2); !cmp.Equal(first, second) {
		t.Errorf("second walk differs from the first:\n%v\n%v", second, first)
	}

	// A case's collection is not the knowledge's: not cached.
	before := len(sn.pages.pages)
	code, _, b := f.do("POST", "analyst-green", "/api/cases", "application/yaml", []byte("name: paged\ntechniques:\n  - id: T1566\n"))
	if code != 201 {
		t.Fatalf("create case: %d %s", code, b)
	}
	var cs struct {
		ID string `json:"id"`
	}
	decodeJSON(t, b, &cs)
	if code, b := f.get("reader-green", taxiiRoot+"collections/"+caseCollectionID(cs.ID)+"/objects/"); code != 200 {
		t.Fatalf("case collection: %d %s", code, b)
	}
	if n := len(sn.pages.pages); n != before {
		t.Errorf("a case collection's page was cached (%d pages, %d before)", n, before)
	}
}

// After an import the new snapshot's pages show it, even for a query
// whose page the previous snapshot had cached.
func TestTAXIIPageCacheAfterImport(t *testing.T) {
	f := newFixture(t, Config{})
	q := col + "/objects/?match[type]=intrusion-set"
	if _, b := f.get("reader-green", q); strings.Contains(string(b), "Pushed Pelican") {
		t.Fatalf("found before the push: %s", b)
	}
	env := []byte(`{"objects":[{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--000000aa-0000-4000-8000-0000000000aa","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Pushed Pelican"}]}`)
	if code, _, b := f.do("POST", "analyst-green", taxiiRoot+"collections/"+InboxCollection+"/objects/", taxii.MediaTAXII, env); code != 202 {
		t.Fatalf("push: %d %s", code, b)
	}
	if _, b := f.get("reader-green", q); !strings.Contains(string(b), "Pushed Pelican") {
		t.Errorf("the pushed object is not served after the reload: %s", b)
	}
}

// The cache keeps at most its bound, dropping the least recently used.
func TestPageCacheBound(t *testing.T) {
	c := pageCache{max: 10}
	page := func(q string, n int) *cachedPage {
		return &cachedPage{key: pageKey{query: q}, body: bytes.Repeat([]byte("x"), n)}
	}
	c.put(page("a", 4))
	c.put(page("b", 4))
	c.get(pageKey{query: "a"}) // b is now the least recently used
	c.put(page("c", 4))
	if c.get(pageKey{query: "b"}) != nil || c.get(pageKey{query: "a"}) == nil || c.get(pageKey{query: "c"}) == nil {
		t.Errorf("after a, b, use of a, c: want a and c kept, b dropped; have %v", keys(&c))
	}
	c.put(page("big", 11))
	if c.get(pageKey{query: "big"}) != nil || c.size != 8 {
		t.Errorf("a page above the bound was kept, or dropped others: size %d, pages %v", c.size, keys(&c))
	}
	c.put(page("d", 10))
	if c.size != 10 || len(c.pages) != 1 {
		t.Errorf("size %d with pages %v, want only d", c.size, keys(&c))
	}
}

func keys(c *pageCache) []string {
	var out []string
	for e := c.lru.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(*cachedPage).key.query)
	}
	return out
}
