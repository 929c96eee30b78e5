package attrib

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/attrib/internal/attacktest"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/tlsh"
)

// Every field of the index must be in its compiled form: adding one
// without mirroring it (and bumping persistVersion) fails here.
func TestPersistMirrorsEveryField(t *testing.T) {
	for _, tc := range []struct {
		typ    reflect.Type
		fields int
		why    string
	}{
		// sampleIx and sampleAt are rebuilt from the samples, netCache
		// (network.go) on the first attribution with network data, items
		// (itemcache.go) as attributions meet techniques and software.
		{reflect.TypeOf(Knowledge{}), 26, "pKnowledge (22) and the four rebuilt"},
		{reflect.TypeOf(Actor{}), 19, "pActor"},
		{reflect.TypeOf(technique{}), 4, "pTechnique"},
		{reflect.TypeOf(software{}), 5, "pSoftware"},
		{reflect.TypeOf(knownSample{}), 7, "pSample"},
		{reflect.TypeOf(campaignRef{}), 4, "pCampaignRef"},
		{reflect.TypeOf(neighbour{}), 2, "pNeighbour"},
	} {
		if got := tc.typ.NumField(); got != tc.fields {
			t.Errorf("%s has %d fields, %s mirrors %d: update persist.go and persistVersion", tc.typ.Name(), got, tc.why, tc.fields)
		}
	}
}

// The compiled knowledge attributes exactly as the knowledge it was
// written from: same hypotheses, probabilities to the last bit, evidence
// and suggestions, on a case per ATT&CK group.
func TestPersistRoundTrip(t *testing.T) {
	objs := attacktest.Load(t, "enterprise-attack-18.1.json.gz")
	// A known sample and an indicator, so that those indexes are
	// compared too (ATT&CK has neither).
	extra := starterLike(t)
	all := append(append([]*stix.Object(nil), objs...), extra...)
	k := NewKnowledge(all, kb.Link(all), KnowledgeOptions{})
	var buf bytes.Buffer
	if _, err := k.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	k2, err := ReadKnowledge(bytes.NewReader(buf.Bytes()), KnowledgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := groupCases(objs, 6)
	if testing.Short() || raceEnabled {
		cases = cases[:20]
	}
	cases = append(cases, &casefile.Case{Name: "sample and indicator",
		Indicators: []casefile.Indicator{{Type: "ipv4-addr", Value: "198.51.100.7"}},
		Samples:    []casefile.Sample{{Name: "w.exe", TLSH: persistTLSH}},
		Claims:     []casefile.Claim{{Actor: "Lazarus Group", Source: "FBI", Reliability: "B", Credibility: 2}}})
	for _, c := range cases {
		a, err := k.Attribute(c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := k2.Attribute(c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("case %s: the compiled knowledge attributes differently:\n%s", c.Name, cmp.Diff(string(ja), string(jb)))
		}
	}
	if _, err := ReadKnowledge(bytes.NewReader(buf.Bytes()[:buf.Len()/2]), KnowledgeOptions{}); err == nil {
		t.Error("ReadKnowledge of a truncated form succeeded")
	}
	if _, err := ReadKnowledge(bytes.NewReader([]byte("not it")), KnowledgeOptions{}); err == nil {
		t.Error("ReadKnowledge of junk succeeded")
	}
}

// groupCases returns, for each group, a case of its first n uses.
func groupCases(objs []*stix.Object, n int) []*casefile.Case {
	byGroup := map[string][]string{}
	ext := map[string]string{}
	for _, o := range objs {
		if x := o.ExternalID("mitre-attack"); x != "" {
			ext[o.ID] = x
		}
	}
	for _, o := range objs {
		if o.Type == "relationship" && o.RelationshipType == "uses" && !o.Revoked && len(byGroup[o.SourceRef]) < n {
			if x := ext[o.TargetRef]; x != "" && len(o.SourceRef) > 14 && o.SourceRef[:14] == "intrusion-set-" {
				byGroup[o.SourceRef] = append(byGroup[o.SourceRef], x)
			}
		}
	}
	var ids []string
	for g := range byGroup {
		ids = append(ids, g)
	}
	sort.Strings(ids)
	var out []*casefile.Case
	for _, g := range ids {
		c := &casefile.Case{Name: g}
		for _, x := range byGroup[g] {
			if x[0] == 'S' {
				c.Software = append(c.Software, casefile.Item{Ref: x})
			} else {
				c.Techniques = append(c.Techniques, casefile.Item{Ref: x})
			}
		}
		out = append(out, c)
	}
	return out
}

// persistTLSH is the digest of a fixed pseudo-random input.
var persistTLSH = func() string {
	b := make([]byte, 4096)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	d, err := tlsh.Sum(b)
	if err != nil {
		panic(err)
	}
	return d.String()
}()

// starterLike gives Lazarus Group (G0032 of ATT&CK) a known sample and an
// indicator, through a malware family.
func starterLike(t *testing.T) []*stix.Object {
	t.Helper()
	const laz = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
	fam := stix.DeterministicID("malware", "persist-test")
	file := stix.DeterministicID("file", "persist-test")
	ind := stix.DeterministicID("indicator", "persist-test")
	ts := `"created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"`
	var out []*stix.Object
	for _, raw := range []string{
		`{"type":"malware","spec_version":"2.1","id":"` + fam + `",` + ts + `,"name":"PersistWiper","is_family":true}`,
		`{"type":"file","spec_version":"2.1","id":"` + file + `","name":"w.exe","hashes":{"TLSH":"` + persistTLSH + `"}}`,
		`{"type":"indicator","spec_version":"2.1","id":"` + ind + `",` + ts + `,"pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`,
		`{"type":"relationship","spec_version":"2.1","id":"` + stix.DeterministicID("relationship", "p1") + `",` + ts + `,"relationship_type":"uses","source_ref":"` + laz + `","target_ref":"` + fam + `"}`,
		`{"type":"relationship","spec_version":"2.1","id":"` + stix.DeterministicID("relationship", "p2") + `",` + ts + `,"relationship_type":"related-to","source_ref":"` + file + `","target_ref":"` + fam + `"}`,
		`{"type":"relationship","spec_version":"2.1","id":"` + stix.DeterministicID("relationship", "p3") + `",` + ts + `,"relationship_type":"indicates","source_ref":"` + ind + `","target_ref":"` + fam + `"}`,
	} {
		o, err := stix.ParseObject([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		out = append(out, o)
	}
	return out
}
