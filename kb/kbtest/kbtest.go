// Package kbtest is the conformance suite of the kb.Store contract. Every
// backend's tests call Run with a function that opens a new, empty store:
//
//	func TestStore(t *testing.T) {
//		kbtest.Run(t, func(t *testing.T) kb.Store { return openTemp(t) })
//	}
//
// The suite builds its own small STIX 2.1 fixtures, so it needs no
// reference data. The store returned by open is closed by the suite.
package kbtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Run runs every conformance test against stores made by open, one fresh
// store per subtest.
func Run(t *testing.T, open func(t *testing.T) kb.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s kb.Store)
	}{
		{"ImportNew", testImportNew},
		{"ImportIdempotent", testImportIdempotent},
		{"NewerReplacesOlder", testNewerReplacesOlder},
		{"RevokedDeprecatedInactive", testInactive},
		{"FailedImportChangesNothing", testFailedImport},
		{"SkipDangling", testSkipDangling},
		{"DuplicatesInInput", testDuplicatesInInput},
		{"LookupName", testLookupName},
		{"SameAsLinks", testSameAs},
		{"Provenance", testProvenance},
		{"ObjectsOrderAndFilter", testObjects},
		{"Relationships", testRelationships},
		{"ActorCard", testActorCard},
		{"ExportRoundTrip", testExportRoundTrip},
		{"Blobs", testBlobs},
		{"ConcurrentReaders", testConcurrentReaders},
		{"Cases", testCases},
		{"CasesConcurrent", testCasesConcurrent},
		{"Delete", testDelete},
		{"DeleteVersions", testDeleteVersions},
		{"ObjectsByID", testObjectsByID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// Fixture ids.
var (
	attackLazarus = stix.DeterministicID("intrusion-set", "kbtest:attack:lazarus")
	mispLazarus   = stix.DeterministicID("intrusion-set", "kbtest:misp:lazarus")
	mispOther     = stix.DeterministicID("intrusion-set", "kbtest:misp:other")
	attackAPT38   = stix.DeterministicID("intrusion-set", "kbtest:attack:apt38")
	galaxyAPT38   = stix.DeterministicID("intrusion-set", "kbtest:galaxy:apt38")
	revokedGroup  = stix.DeterministicID("intrusion-set", "kbtest:revoked")
	technique     = stix.DeterministicID("attack-pattern", "kbtest:t1059")
	wiper         = stix.DeterministicID("malware", "kbtest:wiper")
	campaign      = stix.DeterministicID("campaign", "kbtest:sony")
	custom        = stix.DeterministicID("x-kbtest-thing", "kbtest:custom")
	relUses       = stix.DeterministicID("relationship", "kbtest:uses-technique")
	relUsesWiper  = stix.DeterministicID("relationship", "kbtest:uses-wiper")
	relCampaign   = stix.DeterministicID("relationship", "kbtest:campaign")
	relSimilar    = stix.DeterministicID("relationship", "kbtest:similar")
)

const (
	t1 = "2020-01-01T00:00:00.000Z"
	t2 = "2021-06-01T12:00:00.000Z"
	t3 = "2022-03-04T05:06:07.891Z"
)

// parse makes an object from JSON through stix.ParseObject, as a decoder
// would.
func parse(t testing.TB, raw string) *stix.Object {
	t.Helper()
	o, err := stix.ParseObject([]byte(raw))
	if err != nil {
		t.Fatalf("fixture: ParseObject(%s): %v", raw, err)
	}
	return o
}

func actor(t testing.TB, id, modified, name string, aliases []string, extra string) *stix.Object {
	t.Helper()
	al := ""
	if len(aliases) > 0 {
		b, _ := json.Marshal(aliases)
		al = `,"aliases":` + string(b)
	}
	raw := fmt.Sprintf(`{"type":"intrusion-set","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":%q%s%s}`,
		id, t1, modified, name, al, extra)
	return parse(t, raw)
}

func rel(t testing.TB, id, typ, src, dst, extra string) *stix.Object {
	t.Helper()
	return parse(t, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"relationship_type":%q,"source_ref":%q,"target_ref":%q%s}`,
		id, t1, t1, typ, src, dst, extra))
}

// attackSet is a small ATT&CK-like knowledge: Lazarus Group (G0032) with a
// technique, a piece of software, a campaign, APT38 (G0082), a revoked
// group, and an unknown custom object.
func attackSet(t testing.TB) []*stix.Object {
	return []*stix.Object{
		actor(t, attackLazarus, t2, "Lazarus Group", []string{"Lazarus Group", "Guardians of Peace", "HIDDEN COBRA", "ZINC"},
			`,"external_references":[{"source_name":"mitre-attack","external_id":"G0032","url":"https://attack.mitre.org/groups/G0032"},{"source_name":"Guardians of Peace","description":"(Citation: US-CERT)"}],"x_mitre_version":"4.1"`),
		actor(t, attackAPT38, t2, "APT38", []string{"APT38", "BeagleBoyz"},
			`,"external_references":[{"source_name":"mitre-attack","external_id":"G0082"}]`),
		actor(t, revokedGroup, t2, "Old Group", nil, `,"revoked":true`),
		parse(t, fmt.Sprintf(`{"type":"attack-pattern","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Command and Scripting Interpreter","external_references":[{"source_name":"mitre-attack","external_id":"T1059"}]}`, technique, t1, t1)),
		parse(t, fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Destover","is_family":true,"external_references":[{"source_name":"mitre-attack","external_id":"S0001"}]}`, wiper, t1, t1)),
		parse(t, fmt.Sprintf(`{"type":"campaign","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Sony Pictures attack"}`, campaign, t1, t1)),
		parse(t, fmt.Sprintf(`{"type":"x-kbtest-thing","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"x_payload":{"nested":[1,2,{"k":"v"}]}}`, custom, t1, t1)),
		rel(t, relUses, "uses", attackLazarus, technique, ""),
		rel(t, relUsesWiper, "uses", attackLazarus, wiper, ""),
		rel(t, relCampaign, "attributed-to", campaign, attackLazarus, ""),
	}
}

// mispSet is a small MISP-galaxy-like knowledge: the Lazarus cluster (with
// the synonym Unit 121 and DarkSeoul), another cluster that also lists
// DarkSeoul, and an APT38 cluster that carries ATT&CK's id, related to the
// Lazarus cluster by a "similar" relationship.
func mispSet(t testing.TB) []*stix.Object {
	return []*stix.Object{
		actor(t, mispLazarus, t1, "Lazarus Group", []string{"Unit 121", "DarkSeoul", "Hidden Cobra"},
			`,"x_misp_country":"KP","x_misp_cfr_suspected_state_sponsor":"Korea (Democratic People's Republic of)","external_references":[{"source_name":"reference","url":"https://example.org/lazarus"}]`),
		actor(t, mispOther, t1, "Other Seoul Group", []string{"Dark-Seoul"}, ""),
		actor(t, galaxyAPT38, t1, "APT38", []string{"Stardust Chollima"},
			`,"external_references":[{"source_name":"mitre-attack","external_id":"G0082"}]`),
		rel(t, relSimilar, "similar", mispLazarus, galaxyAPT38, `,"confidence":60`),
	}
}

func importObjs(t *testing.T, s kb.Store, name string, objs []*stix.Object) kb.ImportStats {
	t.Helper()
	st, err := s.Import(context.Background(), kb.Source{Kind: kb.SourceFile, Name: name, Path: "/data/" + name, SHA256: "00" + name},
		kb.SliceStream(objs), kb.ImportOptions{})
	if err != nil {
		t.Fatalf("Import(%s): %v", name, err)
	}
	return st
}

func stats(t *testing.T, s kb.Store) kb.Stats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}

func testImportNew(t *testing.T, s kb.Store) {
	ctx := context.Background()
	objs := attackSet(t)
	st := importObjs(t, s, "attack.json", objs)
	if got, want := st.Objects, len(objs); got != want {
		t.Errorf("ImportStats.Objects = %d, want %d", got, want)
	}
	if got, want := st.New, len(objs); got != want {
		t.Errorf("ImportStats.New = %d, want %d", got, want)
	}
	if got, want := st.ByType["relationship"].New, 3; got != want {
		t.Errorf("ImportStats.ByType[relationship].New = %d, want %d", got, want)
	}
	if got, want := st.Inactive, 1; got != want {
		t.Errorf("ImportStats.Inactive = %d, want %d", got, want)
	}
	for _, o := range objs {
		got, err := s.Object(ctx, o.ID)
		if err != nil {
			t.Fatalf("Object(%s): %v", o.ID, err)
		}
		if !bytes.Equal(got.Raw, o.Raw) {
			t.Errorf("Object(%s).Raw = %s, want %s", o.ID, got.Raw, o.Raw)
		}
		if diff := cmp.Diff(o, got); diff != "" {
			t.Errorf("Object(%s) mismatch (-want +got):\n%s", o.ID, diff)
		}
	}
	_, err := s.Object(ctx, stix.DeterministicID("intrusion-set", "absent"))
	if !errors.Is(err, kb.ErrNotFound) {
		t.Errorf("Object(absent) error = %v, want ErrNotFound", err)
	}
	got := stats(t, s)
	if got.Objects != len(objs) || got.Inactive != 1 || got.ByType["intrusion-set"] != 3 {
		t.Errorf("Stats = %+v, want %d objects, 1 inactive, 3 intrusion-sets", got, len(objs))
	}
}

func testImportIdempotent(t *testing.T, s kb.Store) {
	importObjs(t, s, "attack.json", attackSet(t))
	importObjs(t, s, "misp.json", mispSet(t))
	before := stats(t, s)
	links, _ := s.SameAs(context.Background())
	st := importObjs(t, s, "attack.json", attackSet(t))
	if st.New != 0 || st.Updated != 0 || st.Unchanged != len(attackSet(t)) {
		t.Errorf("second import: new %d, updated %d, unchanged %d; want 0, 0, %d", st.New, st.Updated, st.Unchanged, len(attackSet(t)))
	}
	// The contents stay as they were; the import itself is recorded, so
	// derived data keyed on the store's state (kb.StateTag) is rebuilt.
	again := stats(t, s)
	if !again.LastImport.After(before.LastImport) {
		t.Errorf("LastImport %v after a second import, was %v: want later", again.LastImport, before.LastImport)
	}
	again.LastImport = before.LastImport
	if diff := cmp.Diff(before, again); diff != "" {
		t.Errorf("Stats changed by a second import (-before +after):\n%s", diff)
	}
	after, _ := s.SameAs(context.Background())
	if diff := cmp.Diff(links, after); diff != "" {
		t.Errorf("SameAs changed by a second import (-before +after):\n%s", diff)
	}
}

func testNewerReplacesOlder(t *testing.T, s kb.Store) {
	ctx := context.Background()
	id := stix.DeterministicID("intrusion-set", "kbtest:versions")
	v1 := actor(t, id, t1, "First Name", []string{"Old Alias"}, "")
	v2 := actor(t, id, t2, "Second Name", []string{"New Alias"}, "")
	v3 := actor(t, id, t3, "Third Name", nil, "")
	importObjs(t, s, "v1.json", []*stix.Object{v1})
	st := importObjs(t, s, "v2.json", []*stix.Object{v2})
	if st.Updated != 1 || st.New != 0 {
		t.Errorf("import of a newer version: updated %d, new %d; want 1, 0", st.Updated, st.New)
	}
	got, err := s.Object(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Second Name" {
		t.Errorf("after update Object.Name = %q, want %q", got.Name, "Second Name")
	}
	st = importObjs(t, s, "v1.json", []*stix.Object{v1})
	if st.Older != 1 || st.Updated != 0 {
		t.Errorf("import of an older version: older %d, updated %d; want 1, 0", st.Older, st.Updated)
	}
	if got, _ := s.Object(ctx, id); got.Name != "Second Name" {
		t.Errorf("after older import Object.Name = %q, want %q", got.Name, "Second Name")
	}
	importObjs(t, s, "v3.json", []*stix.Object{v3})
	vs, err := s.Versions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for _, v := range vs {
		mods = append(mods, v.Modified.UTC().Format(time.RFC3339Nano))
		if v.ID != id || len(v.Raw) == 0 {
			t.Errorf("Version = %+v, want id %s and raw", v, id)
		}
	}
	if diff := cmp.Diff([]string{"2020-01-01T00:00:00Z", "2021-06-01T12:00:00Z"}, mods); diff != "" {
		t.Errorf("Versions modified mismatch (-want +got):\n%s", diff)
	}
	// Names follow the current version.
	for _, c := range []struct {
		name string
		want int
	}{{"Old Alias", 0}, {"New Alias", 0}, {"Third Name", 1}, {"First Name", 0}} {
		m, err := s.LookupName(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != c.want {
			t.Errorf("LookupName(%q) = %v, want %d matches", c.name, m, c.want)
		}
	}
}

func testInactive(t *testing.T, s kb.Store) {
	ctx := context.Background()
	depr := actor(t, stix.DeterministicID("intrusion-set", "kbtest:deprecated"), t1, "Deprecated Group", nil, `,"x_mitre_deprecated":true`)
	objs := append(attackSet(t), depr)
	st := importObjs(t, s, "attack.json", objs)
	if st.Inactive != 2 {
		t.Errorf("ImportStats.Inactive = %d, want 2", st.Inactive)
	}
	var active, all []string
	collect := func(dst *[]string) func(*stix.Object) error {
		return func(o *stix.Object) error { *dst = append(*dst, o.ID); return nil }
	}
	if err := s.Objects(ctx, kb.ObjectQuery{Types: []string{"intrusion-set"}}, collect(&active)); err != nil {
		t.Fatal(err)
	}
	if err := s.Objects(ctx, kb.ObjectQuery{Types: []string{"intrusion-set"}, IncludeInactive: true}, collect(&all)); err != nil {
		t.Fatal(err)
	}
	if len(active) != 2 || len(all) != 4 {
		t.Errorf("Objects(intrusion-set) = %d active, %d all; want 2, 4", len(active), len(all))
	}
	for _, id := range active {
		if id == revokedGroup || id == depr.ID {
			t.Errorf("Objects without IncludeInactive yielded inactive %s", id)
		}
	}
	o, err := s.Object(ctx, revokedGroup)
	if err != nil || !o.Revoked {
		t.Errorf("Object(revoked) = %v, %v; want the revoked object", o, err)
	}
	m, err := s.LookupName(ctx, "old group")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || !m[0].Inactive {
		t.Errorf("LookupName(old group) = %+v, want one inactive match", m)
	}
}

// errStream yields objs, then fails.
type errStream struct {
	objs []*stix.Object
	err  error
}

func (e *errStream) Next() (*stix.Object, error) {
	if len(e.objs) == 0 {
		return nil, e.err
	}
	o := e.objs[0]
	e.objs = e.objs[1:]
	return o, nil
}

func testFailedImport(t *testing.T, s kb.Store) {
	importObjs(t, s, "attack.json", attackSet(t))
	ctx := context.Background()
	changed := actor(t, attackLazarus, t3, "Lazarus Renamed", nil, "")
	conflictA := actor(t, mispOther, t1, "One", nil, "")
	conflictB := actor(t, mispOther, t1, "Two", nil, "")
	absent := stix.DeterministicID("malware", "kbtest:absent")
	dangling := rel(t, stix.DeterministicID("relationship", "kbtest:dangling"), "uses", attackLazarus, absent, "")
	badID := &stix.Object{Type: "intrusion-set", ID: "intrusion-set--not-a-uuid", SpecVersion: "2.1", Raw: []byte(`{}`)}
	noType := &stix.Object{ID: mispOther, Raw: []byte(`{}`)}
	badSpec := &stix.Object{Type: "intrusion-set", ID: mispOther, SpecVersion: "2.2", Raw: []byte(`{}`)}
	decodeErr := errors.New("unexpected EOF in the middle of an object")
	tests := []struct {
		name     string
		stream   kb.Stream
		opts     kb.ImportOptions
		ctx      context.Context
		wantErr  error    // checked with errors.Is when set
		wantText []string // substrings of the error message
	}{
		{name: "conflicting duplicate", stream: kb.SliceStream([]*stix.Object{changed, conflictA, conflictB}),
			wantErr: kb.ErrConflict, wantText: []string{mispOther, "object 3", "object 2"}},
		{name: "dangling relationship", stream: kb.SliceStream([]*stix.Object{changed, dangling}),
			wantErr: kb.ErrDangling, wantText: []string{dangling.ID, absent}},
		{name: "stream error after objects", stream: &errStream{objs: []*stix.Object{changed}, err: decodeErr},
			wantErr: decodeErr, wantText: []string{"bad.json"}},
		{name: "malformed id", stream: kb.SliceStream([]*stix.Object{changed, badID}), wantText: []string{"intrusion-set--not-a-uuid"}},
		{name: "no type", stream: kb.SliceStream([]*stix.Object{changed, noType}), wantText: []string{"no type"}},
		{name: "unknown spec_version", stream: kb.SliceStream([]*stix.Object{changed, badSpec}), wantText: []string{"2.2"}},
		{name: "too many objects", stream: kb.SliceStream([]*stix.Object{changed, conflictA, dangling}), opts: kb.ImportOptions{MaxObjects: 2},
			wantText: []string{"more than 2 objects"}},
		{name: "cancelled", stream: kb.SliceStream([]*stix.Object{changed}), ctx: cancelled(), wantErr: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := stats(t, s)
			c := ctx
			if tc.ctx != nil {
				c = tc.ctx
			}
			st, err := s.Import(c, kb.Source{Name: "bad.json", Path: "bad.json"}, tc.stream, tc.opts)
			if err == nil {
				t.Fatalf("Import = %+v, nil; want an error", st)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Import error = %v, want %v", err, tc.wantErr)
			}
			for _, s := range tc.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Import error %q does not mention %q", err, s)
				}
			}
			if diff := cmp.Diff(before, stats(t, s)); diff != "" {
				t.Errorf("failed import changed the store (-before +after):\n%s", diff)
			}
			o, err := s.Object(ctx, attackLazarus)
			if err != nil || o.Name != "Lazarus Group" {
				t.Errorf("after failed import Object(Lazarus) = %v, %v; want the original", o, err)
			}
		})
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func testSkipDangling(t *testing.T, s kb.Store) {
	ctx := context.Background()
	absent := stix.DeterministicID("malware", "kbtest:absent")
	objs := append(attackSet(t), rel(t, stix.DeterministicID("relationship", "kbtest:dangling"), "uses", attackLazarus, absent, ""))
	st, err := s.Import(ctx, kb.Source{Name: "galaxy.json"}, kb.SliceStream(objs), kb.ImportOptions{SkipDangling: true})
	if err != nil {
		t.Fatalf("Import with SkipDangling: %v", err)
	}
	if st.Dangling != 1 || st.New != len(objs)-1 {
		t.Errorf("Import with SkipDangling: dangling %d, new %d; want 1, %d", st.Dangling, st.New, len(objs)-1)
	}
	if got := stats(t, s).Objects; got != len(objs)-1 {
		t.Errorf("Stats.Objects = %d, want %d", got, len(objs)-1)
	}
}

func testDuplicatesInInput(t *testing.T, s kb.Store) {
	ctx := context.Background()
	id := stix.DeterministicID("intrusion-set", "kbtest:dup")
	a := actor(t, id, t1, "Dup", nil, "")
	newer := actor(t, id, t2, "Dup Newer", nil, "")
	st := importObjs(t, s, "dups.json", []*stix.Object{a, a, newer, a})
	if st.New != 1 || st.Duplicates != 3 {
		t.Errorf("Import of duplicates: new %d, duplicates %d; want 1, 3", st.New, st.Duplicates)
	}
	o, err := s.Object(ctx, id)
	if err != nil || o.Name != "Dup Newer" {
		t.Errorf("Object after duplicates = %v, %v; want the newest version", o, err)
	}
}

func testLookupName(t *testing.T, s kb.Store) {
	ctx := context.Background()
	importObjs(t, s, "attack.json", attackSet(t))
	importObjs(t, s, "misp.json", mispSet(t))
	tests := []struct {
		query string
		want  []kb.NameMatch
	}{
		{"Lazarus Group", []kb.NameMatch{
			{ID: attackLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "Lazarus Group", Kind: kb.KindPrimary},
			{ID: mispLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "Lazarus Group", Kind: kb.KindPrimary},
		}},
		{"guardians of peace", []kb.NameMatch{{ID: attackLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "Guardians of Peace", Kind: kb.KindAlias}}},
		{"Guardians-of-Peace", []kb.NameMatch{{ID: attackLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "Guardians of Peace", Kind: kb.KindAlias}}},
		{"  GUARDIANS_OF PEACE!", []kb.NameMatch{{ID: attackLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "Guardians of Peace", Kind: kb.KindAlias}}},
		{"g0032", []kb.NameMatch{{ID: attackLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "G0032", Kind: kb.KindExternalID}}},
		{"APT 38", []kb.NameMatch{
			{ID: attackAPT38, Type: "intrusion-set", Name: "APT38", Matched: "APT38", Kind: kb.KindPrimary},
			{ID: galaxyAPT38, Type: "intrusion-set", Name: "APT38", Matched: "APT38", Kind: kb.KindPrimary},
		}},
		{"Unit121", []kb.NameMatch{{ID: mispLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "Unit 121", Kind: kb.KindAlias}}},
		{"darkseoul", []kb.NameMatch{
			{ID: mispLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: "DarkSeoul", Kind: kb.KindAlias},
			{ID: mispOther, Type: "intrusion-set", Name: "Other Seoul Group", Matched: "Dark-Seoul", Kind: kb.KindAlias},
		}},
		{"T1059", []kb.NameMatch{{ID: technique, Type: "attack-pattern", Name: "Command and Scripting Interpreter", Matched: "T1059", Kind: kb.KindExternalID}}},
		{attackLazarus, []kb.NameMatch{{ID: attackLazarus, Type: "intrusion-set", Name: "Lazarus Group", Matched: attackLazarus, Kind: kb.KindID}}},
		{stix.DeterministicID("intrusion-set", "nobody"), nil},
		{"nobody at all", nil},
		{"", nil},
		{"---", nil},
	}
	// Sort expected matches of equal kind and type by id, as promised.
	for _, tc := range tests {
		tc.want = kb.SortMatches(tc.want)
		t.Run(tc.query, func(t *testing.T) {
			got, err := s.LookupName(ctx, tc.query)
			if err != nil {
				t.Fatalf("LookupName(%q): %v", tc.query, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("LookupName(%q) mismatch (-want +got):\n%s", tc.query, diff)
			}
		})
	}
}

func testSameAs(t *testing.T, s kb.Store) {
	importObjs(t, s, "attack.json", attackSet(t))
	if links, err := s.SameAs(context.Background()); err != nil || len(links) != 0 {
		t.Errorf("SameAs after one source = %v, %v; want none", links, err)
	}
	importObjs(t, s, "misp.json", mispSet(t))
	got, err := s.SameAs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var all []*stix.Object
	all = append(all, attackSet(t)...)
	all = append(all, mispSet(t)...)
	want := kb.Link(all)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SameAs differs from Link over the store (-want +got):\n%s", diff)
	}
	find := func(a, b string) *kb.SameAs {
		for i := range got {
			if (got[i].A == a && got[i].B == b) || (got[i].A == b && got[i].B == a) {
				return &got[i]
			}
		}
		return nil
	}
	for _, c := range []struct {
		name   string
		a, b   string
		conf   int
		reason string
	}{
		{"shared name", attackLazarus, mispLazarus, kb.ConfidenceName, kb.ReasonName},
		{"shared external id", attackAPT38, galaxyAPT38, kb.ConfidenceExternalID, kb.ReasonExternalID},
		{"explicit relation", mispLazarus, galaxyAPT38, 60, kb.ReasonRelation},
		{"alias and alias", mispLazarus, mispOther, kb.ConfidenceAliasAlias, kb.ReasonAlias},
	} {
		l := find(c.a, c.b)
		if l == nil {
			t.Errorf("%s: no link between %s and %s", c.name, c.a, c.b)
			continue
		}
		if l.Confidence != c.conf || l.Reason != c.reason || l.A >= l.B {
			t.Errorf("%s: link = %+v, want confidence %d, reason %q, A < B", c.name, *l, c.conf, c.reason)
		}
	}
}

func testProvenance(t *testing.T, s kb.Store) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	src := kb.Source{Kind: kb.SourceFeed, Name: "attack-feed", URL: "https://example.org/attack.json", SHA256: "abc", ImportedAt: now}
	if _, err := s.Import(ctx, src, kb.SliceStream(attackSet(t)), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	src2 := kb.Source{Kind: kb.SourceFile, Name: "copy.json", Path: "/tmp/copy.json", SHA256: "def", ImportedAt: later}
	if _, err := s.Import(ctx, src2, kb.SliceStream(attackSet(t)[:1]), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Provenance(ctx, attackLazarus)
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := time.Parse(time.RFC3339, t2)
	want := []kb.Provenance{
		{Source: src, Modified: mod, FirstSeen: now, LastSeen: now},
		{Source: src2, Modified: mod, FirstSeen: later, LastSeen: later},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Provenance mismatch (-want +got):\n%s", diff)
	}
	got, err = s.Provenance(ctx, technique)
	if err != nil || len(got) != 1 {
		t.Errorf("Provenance(technique) = %v, %v; want one source", got, err)
	}
	if _, err := s.Provenance(ctx, stix.DeterministicID("malware", "absent")); !errors.Is(err, kb.ErrNotFound) {
		t.Errorf("Provenance(absent) error = %v, want ErrNotFound", err)
	}
}

func testObjects(t *testing.T, s kb.Store) {
	ctx := context.Background()
	importObjs(t, s, "attack.json", attackSet(t))
	var got []string
	err := s.Objects(ctx, kb.ObjectQuery{}, func(o *stix.Object) error {
		got = append(got, o.Type+" "+o.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(attackSet(t))-1 {
		t.Errorf("Objects yielded %d, want %d active", len(got), len(attackSet(t))-1)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Errorf("Objects order: %q before %q, want by type then id", got[i-1], got[i])
		}
	}
	var types []string
	err = s.Objects(ctx, kb.ObjectQuery{Types: []string{"malware", "x-kbtest-thing"}}, func(o *stix.Object) error {
		types = append(types, o.Type)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"malware", "x-kbtest-thing"}, types); diff != "" {
		t.Errorf("Objects(Types) mismatch (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	n := 0
	err = s.Objects(ctx, kb.ObjectQuery{}, func(*stix.Object) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Objects with failing fn = %v after %d calls, want stop after 1", err, n)
	}
}

func testRelationships(t *testing.T, s kb.Store) {
	ctx := context.Background()
	importObjs(t, s, "attack.json", attackSet(t))
	tests := []struct {
		name string
		q    kb.RelationshipQuery
		want []string
	}{
		{"all", kb.RelationshipQuery{}, sorted(relUses, relUsesWiper, relCampaign)},
		{"uses from Lazarus", kb.RelationshipQuery{Types: []string{"uses"}, SourceRefs: []string{attackLazarus}}, sorted(relUses, relUsesWiper)},
		{"to Lazarus", kb.RelationshipQuery{TargetRefs: []string{attackLazarus}}, []string{relCampaign}},
		{"none", kb.RelationshipQuery{Types: []string{"mitigates"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := s.Relationships(ctx, tc.q, func(o *stix.Object) error {
				got = append(got, o.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Relationships(%+v) mismatch (-want +got):\n%s", tc.q, diff)
			}
			// Brief selects the same relationships, each whole or brief.
			q := tc.q
			q.Brief = true
			var objs []*stix.Object
			err = s.Relationships(ctx, q, func(o *stix.Object) error {
				objs = append(objs, o)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got = nil
			for _, o := range objs {
				got = append(got, o.ID)
				full, err := s.Object(ctx, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !cmp.Equal(full, o) && !cmp.Equal(full.Brief(), o) {
					t.Errorf("Relationships(%+v) gave %s neither whole nor brief:\n%s", q, o.ID, cmp.Diff(full.Brief(), o))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Relationships(%+v) mismatch (-want +got):\n%s", q, diff)
			}
		})
	}
}

func sorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func testActorCard(t *testing.T, s kb.Store) {
	ctx := context.Background()
	importObjs(t, s, "attack.json", attackSet(t))
	importObjs(t, s, "misp.json", mispSet(t))
	for _, query := range []string{"Guardians of Peace", "Unit 121", "G0032"} {
		t.Run(query, func(t *testing.T) {
			cards, err := kb.FindActors(ctx, s, query, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(cards) != 1 {
				t.Fatalf("FindActors(%q) = %d cards, want 1", query, len(cards))
			}
			c := cards[0]
			if c.ID != attackLazarus || c.ExternalID != "G0032" {
				t.Errorf("card primary = %s %s, want %s G0032", c.ID, c.ExternalID, attackLazarus)
			}
			names := make(map[string][]string)
			for _, n := range c.Names {
				names[n.Name] = n.Sources
			}
			if diff := cmp.Diff([]string{"misp.json"}, names["Unit 121"]); diff != "" {
				t.Errorf("sources of Unit 121 (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"attack.json", "misp.json"}, names["Lazarus Group"]); diff != "" {
				t.Errorf("sources of Lazarus Group (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"KP"}, c.Countries); diff != "" {
				t.Errorf("countries (-want +got):\n%s", diff)
			}
			if len(c.Sponsors) != 1 {
				t.Errorf("suspected sponsors = %v, want one", c.Sponsors)
			}
			if len(c.Techniques) != 1 || c.Techniques[0].ExternalID != "T1059" {
				t.Errorf("techniques = %+v, want T1059", c.Techniques)
			}
			if len(c.Software) != 1 || c.Software[0].Name != "Destover" {
				t.Errorf("software = %+v, want Destover", c.Software)
			}
			if len(c.Campaigns) != 1 || c.Campaigns[0].ID != campaign {
				t.Errorf("campaigns = %+v, want %s", c.Campaigns, campaign)
			}
			if len(c.Members) != 2 || c.Members[1].ID != mispLazarus || c.Members[1].Confidence != kb.ConfidenceName {
				t.Errorf("members = %+v, want ATT&CK then MISP Lazarus at %d", c.Members, kb.ConfidenceName)
			}
		})
	}
	cards, err := kb.FindActors(ctx, s, "DarkSeoul", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 {
		t.Errorf("FindActors(DarkSeoul) = %d cards, want 2 (an alias of two actors)", len(cards))
	}
}

func testExportRoundTrip(t *testing.T, s kb.Store) {
	ctx := context.Background()
	objs := append(attackSet(t), mispSet(t)...)
	importObjs(t, s, "all.json", objs)
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprintf("all=%v", all), func(t *testing.T) {
			var buf bytes.Buffer
			n, err := kb.Export(ctx, s, &buf, kb.ExportOptions{All: all})
			if err != nil {
				t.Fatal(err)
			}
			dec := stix.NewDecoder(&buf, "export")
			got := make(map[string]json.RawMessage)
			for {
				o, err := dec.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("decoding the export: %v", err)
				}
				got[o.ID] = o.Raw
			}
			if len(got) != n {
				t.Errorf("Export reported %d objects, bundle has %d", n, len(got))
			}
			want := make(map[string]json.RawMessage)
			for _, o := range objs {
				if all || !o.Revoked {
					want[o.ID] = o.Raw
				}
			}
			if diff := cmp.Diff(jsonValues(t, want), jsonValues(t, got)); diff != "" {
				t.Errorf("exported objects mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func jsonValues(t *testing.T, m map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(m))
	for id, raw := range m {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out[id] = v
	}
	return out
}

func testConcurrentReaders(t *testing.T, s kb.Store) {
	ctx := context.Background()
	importObjs(t, s, "attack.json", attackSet(t))
	misp := mispSet(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8) // each goroutine sends at most one error
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				m, err := s.LookupName(ctx, "Lazarus Group")
				if err != nil {
					errs <- err
					return
				}
				// Before the MISP import: one match; after: two.
				if len(m) != 1 && len(m) != 2 {
					errs <- fmt.Errorf("lookup during import = %d matches, want 1 or 2", len(m))
					return
				}
				n := 0
				err = s.Objects(ctx, kb.ObjectQuery{Types: []string{"intrusion-set"}}, func(*stix.Object) error { n++; return nil })
				if err != nil {
					errs <- err
					return
				}
				if n != 2 && n != 5 {
					errs <- fmt.Errorf("objects during import = %d intrusion-sets, want 2 (before) or 5 (after)", n)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := s.Import(ctx, kb.Source{Name: "misp.json"}, kb.SliceStream(misp), kb.ImportOptions{}); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testBlobs checks that a blob reads back as written, with its tag, that a
// later write replaces it, and that keys are independent.
func testBlobs(t *testing.T, s kb.Store) {
	ctx := context.Background()
	if _, _, ok, err := s.Blob(ctx, "index"); ok || err != nil {
		t.Fatalf("Blob of an empty store = ok %v, %v; want none", ok, err)
	}
	writes := []struct{ key, tag, data string }{
		{"index", "gen-1", "first"},
		{"other", "gen-1", ""},
		{"index", "gen-2", "second, replacing the first"},
	}
	for _, w := range writes {
		if err := s.PutBlob(ctx, w.key, w.tag, []byte(w.data)); err != nil {
			t.Fatalf("PutBlob(%q, %q): %v", w.key, w.tag, err)
		}
	}
	for _, want := range writes[1:] {
		data, tag, ok, err := s.Blob(ctx, want.key)
		if !ok || err != nil || tag != want.tag || string(data) != want.data {
			t.Errorf("Blob(%q) = %q, %q, %v, %v; want %q, %q", want.key, data, tag, ok, err, want.data, want.tag)
		}
	}
}

// testObjectsByID checks kb.ObjectsByID, where the store has it, against
// Object: the same objects, brief, none for absent ids, any number of ids.
func testObjectsByID(t *testing.T, s kb.Store) {
	b, ok := s.(kb.ObjectsByID)
	if !ok {
		t.Skipf("%T does not implement kb.ObjectsByID (optional)", s)
	}
	ctx := context.Background()
	objs := attackSet(t)
	importObjs(t, s, "attack.json", objs)
	absent := stix.DeterministicID("intrusion-set", "absent")
	var ids []string
	for i := 0; i < 1200; i++ { // more than one query's worth where a backend chunks
		ids = append(ids, objs[i%len(objs)].ID)
	}
	ids = append(ids, absent)
	got, err := b.ObjectsByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(objs) {
		t.Errorf("ObjectsByID gave %d objects, want %d", len(got), len(objs))
	}
	for _, o := range objs {
		want, err := s.Object(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.Brief(), got[o.ID]); diff != "" {
			t.Errorf("ObjectsByID[%s] mismatch (-Object, brief +ObjectsByID):\n%s", o.ID, diff)
		}
	}
	if got[absent] != nil {
		t.Error("ObjectsByID gave an absent object")
	}
	if none, err := b.ObjectsByID(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("ObjectsByID(nil) = %v, %v", none, err)
	}
}
