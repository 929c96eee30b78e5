package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

const col = taxiiRoot + "collections/" + KnowledgeCollection

// pull pages through a TAXII objects or manifest URL with limit n and
// returns every page's body.
func (f *fixture) pull(key, path string, n int) []taxii.Envelope {
	f.t.Helper()
	var out []taxii.Envelope
	next := ""
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for range 1000 {
		q := path + sep + "limit=" + strconv.Itoa(n)
		if next != "" {
			q += "&next=" + url.QueryEscape(next)
		}
		code, h, b := f.do("GET", key, q, "", nil)
		if code != 200 {
			f.t.Fatalf("GET %s: %d %s", q, code, b)
		}
		if ct := h.Get("Content-Type"); ct != taxii.MediaTAXII {
			f.t.Errorf("Content-Type = %q, want %q", ct, taxii.MediaTAXII)
		}
		var env taxii.Envelope
		decodeJSON(f.t, b, &env)
		if len(env.Objects) > n {
			f.t.Errorf("page of %d objects, limit %d", len(env.Objects), n)
		}
		if len(env.Objects) > 0 && (h.Get("X-TAXII-Date-Added-First") == "" || h.Get("X-TAXII-Date-Added-Last") == "") {
			f.t.Errorf("page without X-TAXII-Date-Added headers: %v", h)
		}
		out = append(out, env)
		if !env.More {
			return out
		}
		next = env.Next
	}
	f.t.Fatal("more than 1000 pages")
	return nil
}

func ids(envs []taxii.Envelope) []string {
	var out []string
	for _, e := range envs {
		for _, o := range e.Objects {
			out = append(out, idOf(o))
		}
	}
	sort.Strings(out)
	return out
}

func idOf(raw []byte) string {
	s := string(raw)
	i := strings.Index(s, `"id":`)
	s = s[i+5:]
	s = strings.TrimLeft(s, ` "`)
	return s[:strings.IndexByte(s, '"')]
}

func TestTAXIIDiscoveryAndCollections(t *testing.T) {
	f := newFixture(t, Config{})
	code, b := f.get("reader-green", "/taxii2/")
	var d taxii.Discovery
	decodeJSON(t, b, &d)
	if code != 200 || len(d.APIRoots) != 1 || !strings.HasSuffix(d.APIRoots[0], taxiiRoot) {
		t.Errorf("discovery: %d %+v", code, d)
	}
	code, b = f.get("reader-green", taxiiRoot)
	var root taxii.APIRoot
	decodeJSON(t, b, &root)
	if code != 200 || len(root.Versions) != 1 || root.Versions[0] != taxii.MediaTAXII || root.MaxContentLength <= 0 {
		t.Errorf("api root: %d %+v", code, root)
	}
	_, b = f.get("reader-green", taxiiRoot+"collections/")
	var cs taxii.Collections
	decodeJSON(t, b, &cs)
	if len(cs.Collections) != 2 {
		t.Errorf("collections: %+v", cs)
	}
	if code, _ := f.get("reader-green", taxiiRoot+"collections/inbox/objects/"); code != 403 {
		t.Errorf("reading the inbox: %d, want 403", code)
	}
	if code, _ := f.get("reader-green", taxiiRoot+"collections/nope/"); code != 404 {
		t.Errorf("unknown collection: %d, want 404", code)
	}
	// Content negotiation (section 1.6.8).
	if code, h, b := f.do("GET", "reader-green", taxiiRoot, "", nil, "Accept", "application/json"); code != 406 || h.Get("Content-Type") != taxii.MediaTAXII {
		t.Errorf("Accept: application/json: %d %s, want a 406 TAXII error", code, b)
	}
	if code, _, _ := f.do("GET", "reader-green", taxiiRoot, "", nil, "Accept", "application/taxii+json;version=2.0"); code != 406 {
		t.Errorf("Accept version 2.0: %d, want 406", code)
	}
	if code, _, _ := f.do("GET", "reader-green", taxiiRoot, "", nil, "Accept", "application/taxii+json"); code != 200 {
		t.Errorf("Accept application/taxii+json: %d, want 200", code)
	}
	if code, _, _ := f.do("POST", "analyst-green", taxiiRoot+"collections/inbox/objects/", "application/json", []byte(`{"objects":[]}`)); code != 415 {
		t.Errorf("POST as application/json: %d, want 415", code)
	}
}

func TestTAXIIPagination(t *testing.T) {
	f := newFixture(t, Config{})
	// Every current object, two at a time, equals what export gives.
	got := ids(f.pull("reader-red", col+"/objects/", 2))
	_, b := f.get("reader-red", "/api/export?all=true")
	exported, err := stix.ReadAll(bytes.NewReader(b), "export")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, o := range exported {
		want = append(want, o.ID)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TAXII pull differs from export (-export +taxii):\n%s", diff)
	}
	// All versions: one more, the first version of Open Bear.
	if all := ids(f.pull("reader-red", col+"/objects/?match[version]=all", 3)); len(all) != len(want)+1 {
		t.Errorf("match[version]=all: %d objects, want %d", len(all), len(want)+1)
	}

	for _, tc := range []struct{ name, query string }{
		{"zero limit", "?limit=0"}, {"negative limit", "?limit=-1"}, {"limit not a number", "?limit=ten"},
		{"bad added_after", "?added_after=yesterday"}, {"bad version", "?match[version]=newest"},
		{"unsupported filter", "?match[color]=red"}, {"bad cursor", "?next=garbage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, h, b := f.do("GET", "reader-red", col+"/objects/"+tc.query, "", nil)
			if code != 400 || h.Get("Content-Type") != taxii.MediaTAXII || !strings.Contains(string(b), `"http_status":"400"`) {
				t.Errorf("%s: %d %s, want a 400 TAXII error", tc.query, code, b)
			}
		})
	}

	t.Run("changed parameters between pages", func(t *testing.T) {
		_, _, b := f.do("GET", "reader-red", col+"/objects/?limit=2&match[type]=relationship", "", nil)
		var env taxii.Envelope
		decodeJSON(t, b, &env)
		if !env.More {
			t.Fatal("want more than one page of relationships")
		}
		for _, q := range []string{"?limit=2&match[type]=malware", "?limit=3&match[type]=relationship", "?limit=2"} {
			code, _, b := f.do("GET", "reader-red", col+"/objects/"+q+"&next="+url.QueryEscape(env.Next), "", nil)
			if code != 400 {
				t.Errorf("next with %s: %d %s, want 400", q, code, b)
			}
		}
		if code, _, _ := f.do("GET", "reader-red", col+"/objects/?limit=2&match[type]=relationship&next="+url.QueryEscape(env.Next), "", nil); code != 200 {
			t.Errorf("next with the same parameters: %d, want 200", code)
		}
	})
}

func TestTAXIIFilters(t *testing.T) {
	f := newFixture(t, Config{})
	count := func(q string) int {
		t.Helper()
		n := 0
		for _, e := range f.pull("reader-red", col+"/objects/"+q, 100) {
			n += len(e.Objects)
		}
		return n
	}
	if n := count("?match[type]=intrusion-set"); n != 4 {
		t.Errorf("match[type]=intrusion-set: %d, want 4", n)
	}
	if n := count("?match[type]=intrusion-set,malware"); n != 6 {
		t.Errorf("match[type]=intrusion-set,malware: %d, want 6", n)
	}
	if n := count("?match[id]=" + openBear + "&match[version]=all"); n != 2 {
		t.Errorf("match[id] with all versions: %d, want 2", n)
	}
	if n := count("?match[spec_version]=2.0"); n != 0 {
		t.Errorf("match[spec_version]=2.0: %d, want 0", n)
	}
	_, _, b := f.do("GET", "reader-red", col+"/objects/"+openBear+"/?match[version]=first", "", nil)
	if !strings.Contains(string(b), "Ruby Secret") || strings.Contains(string(b), "Grizzly") {
		t.Errorf("first version of Open Bear: %s", b)
	}
	_, _, b = f.do("GET", "reader-red", col+"/objects/"+openBear+"/?match[version]=2024-06-01T00:00:00.000Z", "", nil)
	if !strings.Contains(string(b), "Grizzly") {
		t.Errorf("version by timestamp: %s", b)
	}
	code, _, b := f.do("GET", "reader-red", col+"/objects/"+openBear+"/versions/", "", nil)
	var vl taxii.VersionList
	decodeJSON(t, b, &vl)
	if code != 200 || len(vl.Versions) != 2 || vl.Versions[0] != "2024-01-01T00:00:00.000000Z" {
		t.Errorf("versions: %d %+v", code, vl)
	}
	// The date added of the second version is when it replaced the
	// first: added_after the first version's date keeps only it.
	code, h, b := f.do("GET", "reader-red", col+"/manifest/?match[id]="+openBear+"&match[version]=all", "", nil)
	var m taxii.Manifest
	decodeJSON(t, b, &m)
	if code != 200 || len(m.Objects) != 2 {
		t.Fatalf("manifest: %d %s", code, b)
	}
	if m.Objects[0].DateAdded >= m.Objects[1].DateAdded || h.Get("X-TAXII-Date-Added-First") != m.Objects[0].DateAdded ||
		h.Get("X-TAXII-Date-Added-Last") != m.Objects[1].DateAdded {
		t.Errorf("manifest dates: %+v, headers %v", m.Objects, h)
	}
	if n := count("?match[id]=" + openBear + "&match[version]=all&added_after=" + m.Objects[0].DateAdded); n != 1 {
		t.Errorf("added_after the first version: %d objects, want 1 (the second version)", n)
	}
	if n := count("?added_after=" + time.Now().UTC().Add(time.Hour).Format(time.RFC3339)); n != 0 {
		t.Errorf("added_after the future: %d, want 0", n)
	}
	if code, _, _ := f.do("GET", "reader-red", col+"/objects/intrusion-set--0000ffff-0000-4000-8000-00000000ffff/", "", nil); code != http.StatusNotFound {
		t.Errorf("absent object: %d, want 404", code)
	}
}

func TestTAXIIPushThenPull(t *testing.T) {
	f := newFixture(t, Config{})
	// Asked before the push, the answer is cached for the snapshot; the
	// import's new snapshot must not serve it.
	if _, b := f.get("reader-green", "/api/actors/search?q=Pushed+Pelican"); strings.Contains(string(b), "PublicRAT") {
		t.Fatalf("found before the push: %s", b)
	}
	env := []byte(`{"objects":[
	 {"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--000000aa-0000-4000-8000-0000000000aa","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Pushed Pelican"},
	 {"type":"relationship","spec_version":"2.1","id":"relationship--000000ab-0000-4000-8000-0000000000ab","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","relationship_type":"uses","source_ref":"intrusion-set--000000aa-0000-4000-8000-0000000000aa","target_ref":"malware--00000014-0000-4000-8000-000000000014"}]}`)
	code, _, b := f.do("POST", "analyst-green", taxiiRoot+"collections/"+InboxCollection+"/objects/", taxii.MediaTAXII, env)
	var st taxii.Status
	decodeJSON(t, b, &st)
	if code != 202 || st.SuccessCount != 2 || st.TotalCount != 2 {
		t.Fatalf("push: %d %s", code, b)
	}
	// Visible at once: the import reloads the knowledge.
	_, b = f.get("reader-green", col+"/objects/?match[type]=intrusion-set")
	if !strings.Contains(string(b), "Pushed Pelican") {
		t.Errorf("the pushed object is not served: %s", b)
	}
	_, b = f.get("reader-green", "/api/actors/search?q=Pushed+Pelican")
	if !strings.Contains(string(b), "PublicRAT") {
		t.Errorf("the pushed relationship is not on the card: %s", b)
	}
	// A malformed envelope is a 400 TAXII error, nothing stored.
	for _, bad := range []string{`{`, `{"objects":[{"type":"nope"}]}`, `[]`, `{"objects":[]}`} {
		code, _, b := f.do("POST", "analyst-green", taxiiRoot+"collections/"+InboxCollection+"/objects/", taxii.MediaTAXII, []byte(bad))
		if code != 400 {
			t.Errorf("envelope %s: %d %s, want 400", bad, code, b)
		}
	}
}

// TestStatusSurvivesRestart: a status is kept in the store, so a new
// server over the same knowledge base still answers it.
func TestStatusSurvivesRestart(t *testing.T) {
	f := newFixture(t, Config{})
	env := []byte(`{"objects":[{"type":"malware","spec_version":"2.1","id":"malware--000000dd-0000-4000-8000-0000000000dd","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Kept","is_family":true}]}`)
	_, _, b := f.do("POST", "analyst-green", taxiiRoot+"collections/inbox/objects/", taxii.MediaTAXII, env)
	var st taxii.Status
	decodeJSON(t, b, &st)
	srv2, err := New(Config{Store: f.store, Tokens: f.tokens, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv2.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.ts.Config.Handler = srv2.Handler()
	code, b := f.get("analyst-green", taxiiRoot+"status/"+st.ID+"/")
	if code != 200 || !strings.Contains(string(b), "malware--000000dd") {
		t.Errorf("status after a restart: %d %s", code, b)
	}
	if code, _ := f.get("analyst-green", taxiiRoot+"status/"+newID()+"/"); code != 404 {
		t.Errorf("unknown status: %d, want 404", code)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	f := newFixture(t, Config{})
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", taxiiRoot + "nonsense/", 404},
		{"GET", "/taxii2/other/", 404},
		{"GET", col + "/objects/x/y/z/", 404},
		{"PUT", "/api/stats", 405},
		{"DELETE", col + "/manifest/", 405},
		{"GET", "/api/stats/more", 404},
	} {
		code, h, b := f.do(tc.method, "reader-red", tc.path, "", nil)
		if code != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, b, tc.want)
		}
		if code == 405 && h.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
		}
	}
}

func TestTAXIIDelete(t *testing.T) {
	f := newFixture(t, Config{})
	tok, rec, err := f.tokens.Create(context.Background(), "admin-green", token.Admin, access.Green)
	if err != nil {
		t.Fatal(err)
	}
	f.tok["admin-green"], f.ids["admin-green"] = tok, rec.ID
	del := func(key, path string) (int, []byte) {
		t.Helper()
		code, h, b := f.do("DELETE", key, path, "", nil)
		if ct := h.Get("Content-Type"); ct != taxii.MediaTAXII {
			t.Errorf("DELETE %s: Content-Type %q, want %q", path, ct, taxii.MediaTAXII)
		}
		return code, b
	}
	obj := func(id string) string { return col + "/objects/" + id + "/" }
	const (
		publicRAT = "malware--00000014-0000-4000-8000-000000000014"
		bearRAT   = "relationship--00000028-0000-4000-8000-000000000028"
	)

	if c := findCollection(f.collectionList("admin-green"), KnowledgeCollection); c == nil || !c.CanRead || !c.CanWrite {
		t.Errorf("knowledge collection for an admin: %+v, want readable and writable", c)
	}
	if c := findCollection(f.collectionList("analyst-green"), KnowledgeCollection); c == nil || c.CanWrite {
		t.Errorf("knowledge collection for an analyst: %+v, want read-only", c)
	}
	// Writable for an admin: a push imports, as to the inbox.
	env := []byte(`{"objects":[{"type":"malware","spec_version":"2.1","id":"malware--000000ee-0000-4000-8000-0000000000ee","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Admin Pushed","is_family":true}]}`)
	if code, _, b := f.do("POST", "analyst-green", col+"/objects/", taxii.MediaTAXII, env); code != 403 {
		t.Errorf("analyst push to the knowledge collection: %d %s, want 403", code, b)
	}
	if code, _, b := f.do("POST", "admin-red", col+"/objects/", taxii.MediaTAXII, env); code != 202 || !strings.Contains(string(b), `"success_count":1`) {
		t.Errorf("admin push to the knowledge collection: %d %s, want 202 with one success", code, b)
	}
	if code, b := f.get("reader-green", obj("malware--000000ee-0000-4000-8000-0000000000ee")); code != 200 || !strings.Contains(string(b), "Admin Pushed") {
		t.Errorf("the admin's push is not served: %d %s", code, b)
	}
	for _, tc := range []struct {
		name, key, path string
		want            int
	}{
		{"reader", "reader-red", obj(heron), 403},
		{"analyst", "analyst-green", obj(publicRAT), 403},
		{"the inbox", "admin-red", taxiiRoot + "collections/inbox/objects/" + heron + "/", 403},
		{"unknown collection", "admin-red", taxiiRoot + "collections/nope/objects/" + heron + "/", 404},
		{"a parameter of reads", "admin-red", obj(heron) + "?limit=1", 400},
		{"a filter delete does not take", "admin-red", obj(heron) + "?match[type]=intrusion-set", 400},
		{"bad version", "admin-red", obj(heron) + "?match[version]=newest", 400},
		{"absent version", "admin-red", obj(heron) + "?match[version]=2020-01-01T00:00:00Z", 404},
		{"absent object", "admin-red", obj(absentLike(heron)), 404},
		{"object above the admin's level", "admin-green", obj(heron), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, b := del(tc.key, tc.path); code != tc.want {
				t.Errorf("DELETE %s as %s: %d %s, want %d", tc.path, tc.key, code, b, tc.want)
			}
		})
	}
	// Above the admin's level, an object is an absent one.
	code, hidden := del("admin-green", obj(redPanda))
	code2, none := del("admin-green", obj(absentLike(redPanda)))
	if a, b := normalize(hidden, redPanda), normalize(none, absentLike(redPanda)); code != 404 || code2 != 404 || a != b {
		t.Errorf("hidden: %d %s\nabsent: %d %s\nwant the same 404", code, a, code2, b)
	}

	// Referred to by relationships: refused, naming only those the admin sees.
	code, b := del("admin-green", obj(publicRAT))
	if code != 409 || !strings.Contains(string(b), bearRAT) {
		t.Errorf("DELETE of a malware a relationship uses: %d %s, want 409 naming %s", code, b, bearRAT)
	}
	code, b = del("admin-green", obj(secretMal))
	if code != 409 || strings.Contains(string(b), secretRel) || strings.Contains(string(b), pandaRel) {
		t.Errorf("DELETE of a malware only hidden relationships use: %d %s, want 409 naming none", code, b)
	}

	// One version: the other stays, and the deleted one is not served.
	if code, b := del("admin-red", obj(openBear)+"?match[version]=first"); code != 200 || len(b) != 0 {
		t.Fatalf("DELETE of Open Bear's first version: %d %s, want 200 and no body", code, b)
	}
	code, b = f.get("reader-red", obj(openBear)+"versions/")
	var vl taxii.VersionList
	decodeJSON(t, b, &vl)
	if code != 200 || len(vl.Versions) != 1 || vl.Versions[0] != "2024-06-01T00:00:00.000000Z" {
		t.Errorf("versions after deleting the first: %d %s", code, b)
	}
	if code, b := f.get("reader-red", obj(openBear)+"?match[version]=2024-01-01T00:00:00.000Z"); code != 404 {
		t.Errorf("GET of the deleted version: %d %s, want 404", code, b)
	}
	if _, b := f.get("reader-red", col+"/objects/?match[version]=all"); strings.Contains(string(b), "Ruby Secret") {
		t.Errorf("the deleted version is still served: %s", b)
	}

	// The whole object, once nothing refers to it.
	for _, id := range []string{bearRAT, publicRAT} {
		if code, b := del("admin-red", obj(id)); code != 200 {
			t.Fatalf("DELETE %s: %d %s", id, code, b)
		}
	}
	for _, path := range []string{obj(publicRAT), obj(publicRAT) + "versions/", "/api/objects/" + publicRAT} {
		if code, b := f.get("reader-red", path); code != 404 {
			t.Errorf("GET %s after the delete: %d %s, want 404", path, code, b)
		}
	}
	if _, b := f.get("reader-red", col+"/manifest/?match[version]=all"); strings.Contains(string(b), publicRAT) {
		t.Errorf("the manifest lists the deleted object: %s", b)
	}
	if _, err := f.store.Object(context.Background(), publicRAT); !errors.Is(err, kb.ErrNotFound) {
		t.Errorf("store.Object after the delete: %v, want not found", err)
	}
	if code, b := del("admin-red", obj(publicRAT)); code != 404 {
		t.Errorf("DELETE again: %d %s, want 404", code, b)
	}
}
