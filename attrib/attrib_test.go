package attrib_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/tlsh"
	"github.com/google/go-cmp/cmp"
)

// obj builds a STIX object from JSON through package stix, as the
// knowledge base would hand it over.
func obj(t testing.TB, format string, args ...any) *stix.Object {
	t.Helper()
	raw := fmt.Sprintf(format, args...)
	o, err := stix.ParseObject([]byte(raw))
	if err != nil {
		t.Fatalf("ParseObject(%s): %v", raw, err)
	}
	return o
}

const ts = `"created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"`

func id(typ, name string) string {
	return stix.DeterministicID(typ, name)
}

func technique(t testing.TB, ext, name string) *stix.Object {
	return obj(t, `{"type":"attack-pattern","spec_version":"2.1","id":%q,%s,"name":%q,"external_references":[{"source_name":"mitre-attack","external_id":%q}]}`,
		id("attack-pattern", ext), ts, name, ext)
}

func group(t testing.TB, typ, ext, name string, aliases ...string) *stix.Object {
	al, _ := json.Marshal(append([]string{name}, aliases...))
	refs := "[]"
	if ext != "" {
		refs = fmt.Sprintf(`[{"source_name":"mitre-attack","external_id":%q}]`, ext)
	}
	return obj(t, `{"type":%q,"spec_version":"2.1","id":%q,%s,"name":%q,"aliases":%s,"external_references":%s}`,
		typ, id(typ, name), ts, name, al, refs)
}

func software(t testing.TB, typ, ext, name string) *stix.Object {
	return obj(t, `{"type":%q,"spec_version":"2.1","id":%q,%s,"name":%q,"is_family":true,"external_references":[{"source_name":"mitre-attack","external_id":%q}]}`,
		typ, id(typ, name), ts, name, ext)
}

func rel(t testing.TB, typ, src, dst, cite string) *stix.Object {
	return obj(t, `{"type":"relationship","spec_version":"2.1","id":%q,%s,"relationship_type":%q,"source_ref":%q,"target_ref":%q,"external_references":[{"source_name":%q,"url":"https://example.org/%s"}]}`,
		id("relationship", typ+src+dst), ts, typ, src, dst, cite, cite)
}

// sampleBytes returns deterministic pseudo-random bytes, and a copy with a
// few bytes changed.
func sampleBytes(seed uint64, n int) (orig, edited []byte) {
	r := rand.New(rand.NewPCG(seed, 1))
	orig = make([]byte, n)
	for i := range orig {
		orig[i] = byte(r.UintN(64)) // low entropy, like code
	}
	edited = append([]byte(nil), orig...)
	for i := 0; i < n; i += 97 {
		edited[i] ^= 0x55
	}
	return orig, edited
}

type fixture struct {
	k                *attrib.Knowledge
	a, b, unit       *stix.Object
	sampleA, editedA string // TLSH of a sample of A's malware, and of an edited copy
}

// newFixture builds a small knowledge: group A (G0001, alias "Hidden
// Cobra") uses the rare T1001 and the common T1059, its own malware Wiper
// and the public tool Shell; B (G0002) uses T1059, T1059.001 and Shell;
// threat-actor "Unit X" is linked to A; several filler groups use T1059.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{}
	t1001 := technique(t, "T1001", "Data Obfuscation")
	t1059 := technique(t, "T1059", "Command and Scripting Interpreter")
	t1059001 := technique(t, "T1059.001", "PowerShell")
	t1485 := technique(t, "T1485", "Data Destruction")
	f.a = group(t, "intrusion-set", "G0001", "Group A", "Hidden Cobra")
	f.b = group(t, "intrusion-set", "G0002", "Group B")
	f.unit = group(t, "threat-actor", "", "Unit X")
	wiper := software(t, "malware", "S0001", "Wiper")
	orphan := software(t, "malware", "S0003", "Orphan")
	shell := software(t, "tool", "S0002", "Shell")
	tunnel := software(t, "tool", "S0004", "Tunnel")
	objs := []*stix.Object{t1001, t1059, t1059001, t1485, f.a, f.b, f.unit, wiper, orphan, shell, tunnel,
		rel(t, "uses", f.a.ID, t1001.ID, "a1"), rel(t, "uses", f.a.ID, t1059.ID, "a1"),
		rel(t, "uses", f.a.ID, t1485.ID, "a2"),
		rel(t, "uses", f.a.ID, wiper.ID, "a1"), rel(t, "uses", f.a.ID, shell.ID, "a2"),
		rel(t, "uses", f.b.ID, t1059.ID, "b1"), rel(t, "uses", f.b.ID, t1059001.ID, "b1"),
		rel(t, "uses", f.b.ID, shell.ID, "b1"), rel(t, "uses", f.b.ID, tunnel.ID, "b1"),
		rel(t, "uses", wiper.ID, t1485.ID, "w1"),
		obj(t, `{"type":"indicator","spec_version":"2.1","id":%q,%s,"pattern":"[ipv4-addr:value = '45.77.1.2']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`, id("indicator", "c2"), ts),
		rel(t, "indicates", id("indicator", "c2"), wiper.ID, "fbi"),
		obj(t, `{"type":"indicator","spec_version":"2.1","id":%q,%s,"pattern":"[ipv4-addr:value = '8.8.8.8']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`, id("indicator", "dns"), ts),
		rel(t, "indicates", id("indicator", "dns"), f.b.ID, "b2"),
	}
	for i := range 8 {
		g := group(t, "intrusion-set", fmt.Sprintf("G01%02d", i), fmt.Sprintf("Filler %d", i))
		objs = append(objs, g, rel(t, "uses", g.ID, t1059.ID, fmt.Sprintf("f%d", i)), rel(t, "uses", g.ID, shell.ID, fmt.Sprintf("f%d", i)))
	}
	orig, edited := sampleBytes(1, 4096)
	d, err := tlsh.Sum(orig)
	if err != nil {
		t.Fatal(err)
	}
	e, err := tlsh.Sum(edited)
	if err != nil {
		t.Fatal(err)
	}
	f.sampleA, f.editedA = d.String(), e.String()
	file := obj(t, `{"type":"file","spec_version":"2.1","id":%q,"name":"wiper.exe","hashes":{"TLSH":%q,"SHA-256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}`, id("file", "wiper"), f.sampleA)
	objs = append(objs, file, rel(t, "related-to", file.ID, wiper.ID, "lab"))
	links := []attrib.Link{{A: f.a.ID, B: f.unit.ID, Confidence: 80, Reason: "attributed-to", Source: "press report"}}
	f.k = attrib.NewKnowledge(objs, links, attrib.KnowledgeOptions{})
	return f
}

func attribute(t *testing.T, k *attrib.Knowledge, c *casefile.Case) *attrib.Result {
	t.Helper()
	res, err := k.Attribute(c, attrib.Options{})
	if err != nil {
		t.Fatalf("Attribute(%s): %v", c.Name, err)
	}
	var sum float64
	for _, h := range res.Hypotheses {
		sum += h.Probability
	}
	if got := sum + res.Unknown; math.Abs(got-1) > 1e-9 {
		t.Errorf("Attribute(%s): probabilities sum to %v, want 1", c.Name, got)
	}
	return res
}

func items(refs ...string) []casefile.Item {
	var out []casefile.Item
	for _, r := range refs {
		out = append(out, casefile.Item{Ref: r})
	}
	return out
}

func TestFolding(t *testing.T) {
	f := newFixture(t)
	a := f.k.Actor(f.unit.ID)
	if a == nil {
		t.Fatalf("Actor(%s) = nil, want the hypothesis of Group A", f.unit.ID)
	}
	got := struct {
		ID, Name string
		IDs      []string
		Aliases  []string
	}{a.ID, a.Name, a.IDs, a.Aliases}
	want := struct {
		ID, Name string
		IDs      []string
		Aliases  []string
	}{f.a.ID, "Group A", []string{f.a.ID, f.unit.ID}, []string{"Hidden Cobra", "Unit X"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("folded actor (-want +got):\n%s", diff)
	}
	if got, want := len(f.k.Actors()), 10; got != want {
		t.Errorf("len(Actors()) = %d, want %d", got, want)
	}
	// Below the threshold the link does not fold.
	k := attrib.NewKnowledge([]*stix.Object{f.a, f.unit}, []attrib.Link{{A: f.a.ID, B: f.unit.ID, Confidence: 40}}, attrib.KnowledgeOptions{})
	if got := len(k.Actors()); got != 2 {
		t.Errorf("with a link below the threshold: len(Actors()) = %d, want 2", got)
	}
}

func TestAttributeRanking(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		c    casefile.Case
		want string // name of the top hypothesis, or "unknown"
	}{
		{"rare technique and own malware", casefile.Case{Techniques: items("T1001", "T1059"), Software: items("Wiper")}, "Group A"},
		{"by names and STIX ids", casefile.Case{Techniques: items("data obfuscation", id("attack-pattern", "T1485")), Software: items("s0001")}, "Group A"},
		{"sub-technique and tool", casefile.Case{Techniques: items("T1059.001", "T1059"), Software: items("Shell", "Tunnel")}, "Group B"},
		{"indicator", casefile.Case{Indicators: []casefile.Indicator{{Type: "ipv4-addr", Value: "45.77.1.2"}}}, "Group A"},
		{"alias claim", casefile.Case{Claims: []casefile.Claim{{Actor: "unit x", Source: "FBI", Reliability: "A", Credibility: 2}}}, "Group A"},
		{"software nobody is known to use", casefile.Case{Software: items("Orphan", "Wiper2"), Techniques: items("T1059")}, "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Name = tc.name
			res := attribute(t, f.k, &tc.c)
			got := "unknown"
			if res.Top != "unknown" {
				got = res.Hypotheses[0].Name
			}
			if got != tc.want {
				t.Errorf("top hypothesis = %s (p=%.3f, unknown %.3f), want %s; warnings %q", got, res.Hypotheses[0].Probability, res.Unknown, tc.want, res.Warnings)
			}
		})
	}
}

func TestEvidence(t *testing.T) {
	f := newFixture(t)
	res := attribute(t, f.k, &casefile.Case{Name: "ev", Techniques: items("T1001", "T1059.001"), Software: items("Wiper")})
	h := res.Hypotheses[0]
	if h.Name != "Group A" {
		t.Fatalf("top = %s, want Group A", h.Name)
	}
	byItem := map[string]attrib.Evidence{}
	for _, e := range h.Evidence {
		byItem[e.Item] = e
	}
	if e := byItem["Wiper"]; e.Weight <= 0 || e.Cost != "costly" || e.Kind != "software" || len(e.Sources) == 0 {
		t.Errorf("evidence for Wiper = %+v, want positive software evidence, costly to fake, with sources", e)
	}
	if e := byItem["T1059.001"]; e.Weight >= 0 {
		t.Errorf("evidence T1059.001 for Group A has weight %v, want negative (against)", e.Weight)
	}
	if len(res.Next) == 0 {
		t.Fatalf("Next is empty, want suggestions")
	}
	for _, s := range res.Next {
		if s.ID == "T1001" || s.ID == "S0001" {
			t.Errorf("Next suggests %s, which was observed", s.ID)
		}
	}
	if h.Score <= 0 {
		t.Errorf("Score = %v, want positive log odds against the unknown actor", h.Score)
	}
}

func TestClaims(t *testing.T) {
	f := newFixture(t)
	weight := func(c casefile.Claim) float64 {
		res := attribute(t, f.k, &casefile.Case{Name: "claim", Claims: []casefile.Claim{c}})
		for _, h := range res.Hypotheses {
			if h.ID == f.a.ID {
				for _, e := range h.Evidence {
					if e.Kind == "claim" {
						return e.Weight
					}
				}
			}
		}
		return 0
	}
	rated := weight(casefile.Claim{Actor: "Group A", Source: "FBI", Reliability: "A", Credibility: 1})
	weak := weight(casefile.Claim{Actor: "Group A", Source: "FBI", Reliability: "C", Credibility: 3})
	self := weight(casefile.Claim{Actor: "Hidden Cobra", Source: "defacement", SelfClaim: true})
	unrated := weight(casefile.Claim{Actor: "Group A"})
	if !(rated > weak && weak > self && self > 0 && rated > 5*unrated) {
		t.Errorf("claim weights: A1 %v, C3 %v, self %v, unrated %v; want A1 > C3 > self > 0 and A1 > 5 unrated", rated, weak, self, unrated)
	}

	res := attribute(t, f.k, &casefile.Case{Name: "contradiction", Claims: []casefile.Claim{
		{Actor: "Group A", Source: "x", Reliability: "B", Credibility: 2},
		{Actor: "Group B", Source: "y", Reliability: "B", Credibility: 2},
		{Actor: "Nobody We Know", Source: "z", Reliability: "B", Credibility: 2},
	}})
	if !hasWarning(res, "contradictory claims") || !hasWarning(res, "Nobody We Know") {
		t.Errorf("warnings = %q, want contradictory claims and the unknown claimed actor", res.Warnings)
	}
}

func hasWarning(r *attrib.Result, sub string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestSharedInfrastructure(t *testing.T) {
	f := newFixture(t)
	res := attribute(t, f.k, &casefile.Case{Name: "dns", Indicators: []casefile.Indicator{{Type: "ipv4-addr", Value: "8.8.8.8"}}})
	if !hasWarning(res, "shared infrastructure") {
		t.Errorf("warnings = %q, want shared infrastructure", res.Warnings)
	}
	for _, h := range res.Hypotheses {
		for _, e := range h.Evidence {
			if e.Kind == "indicator" && (e.Weight > 0.5 || e.Cost != "cheap") {
				t.Errorf("evidence %+v, want a weak indicator cheap to fake", e)
			}
		}
	}
}

func TestSampleSimilarity(t *testing.T) {
	f := newFixture(t)
	res := attribute(t, f.k, &casefile.Case{Name: "sample", Samples: []casefile.Sample{{Name: "dropped.exe", TLSH: f.editedA}}})
	h := res.Hypotheses[0]
	if h.Name != "Group A" || res.Top == "unknown" {
		t.Fatalf("top = %s (unknown %.3f), want Group A", h.Name, res.Unknown)
	}
	var ev *attrib.Evidence
	for i := range h.Evidence {
		if h.Evidence[i].Kind == "sample" {
			ev = &h.Evidence[i]
		}
	}
	if ev == nil || ev.Weight <= 0 || ev.Cost != "costly" || !strings.Contains(ev.Detail, "TLSH distance") {
		t.Errorf("sample evidence = %+v, want positive, costly, with the TLSH distance", ev)
	}
	// A dissimilar sample is no evidence.
	other, _ := sampleBytes(99, 4096)
	d, err := tlsh.Sum(other)
	if err != nil {
		t.Fatal(err)
	}
	res = attribute(t, f.k, &casefile.Case{Name: "unrelated", Samples: []casefile.Sample{{Name: "x", TLSH: d.String()}}})
	for _, e := range res.Hypotheses[0].Evidence {
		if e.Kind == "sample" {
			t.Errorf("unrelated sample gave evidence %+v", e)
		}
	}
}

func TestMalformedCases(t *testing.T) {
	f := newFixture(t)
	many := make([]casefile.Item, attrib.MaxItems+1)
	for i := range many {
		many[i].Ref = "T1059"
	}
	tests := []struct {
		name    string
		c       *casefile.Case
		wantErr error
		warn    string
	}{
		{"nil", nil, nil, ""},
		{"empty", &casefile.Case{Name: "empty"}, attrib.ErrEmptyCase, ""},
		{"too many", &casefile.Case{Name: "big", Techniques: many}, nil, ""},
		{"unknown technique", &casefile.Case{Name: "t", Techniques: items("T9999", "T1001")}, nil, `technique "T9999"`},
		{"unknown software", &casefile.Case{Name: "s", Software: items("NoSuchThing")}, nil, `software "NoSuchThing"`},
		{"garbage", &casefile.Case{Name: "g", Techniques: items(strings.Repeat("\x00\xff", 600)), Samples: []casefile.Sample{{TLSH: "T1zz", SSDEEP: "3::"}},
			Indicators: []casefile.Indicator{{Type: "url", Value: strings.Repeat("a", 5000)}}}, nil, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.k.Attribute(tc.c, attrib.Options{})
			switch {
			case tc.warn != "":
				if err != nil {
					t.Fatalf("Attribute: %v, want warnings", err)
				}
				if !hasWarning(res, tc.warn) {
					t.Errorf("warnings = %q, want one containing %q", res.Warnings, tc.warn)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Attribute: %v, want %v", err, tc.wantErr)
				}
			default:
				if err == nil {
					t.Errorf("Attribute: no error, want one")
				}
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	tests := []struct {
		p    float64
		want string
	}{
		{0, "almost no chance"}, {0.04, "almost no chance"}, {0.1, "very unlikely"}, {0.3, "unlikely"},
		{0.5, "roughly even chance"}, {0.7, "likely"}, {0.9, "very likely"}, {0.97, "almost certain"}, {1, "almost certain"},
	}
	for _, tc := range tests {
		if got := attrib.Estimate(tc.p); got != tc.want {
			t.Errorf("Estimate(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestPath(t *testing.T) {
	h := attrib.Hypothesis{ID: "a", Links: []attrib.Link{{A: "c", B: "b", Confidence: 60}, {A: "a", B: "b", Confidence: 80}}}
	got := h.Path("c")
	want := []attrib.Link{{A: "a", B: "b", Confidence: 80}, {A: "c", B: "b", Confidence: 60}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Path(c) (-want +got):\n%s", diff)
	}
	if got := h.Path("zz"); got != nil {
		t.Errorf("Path(zz) = %v, want nil", got)
	}
}

func TestPatternValues(t *testing.T) {
	tests := []struct {
		pattern string
		want    [][2]string
	}{
		{"[ipv4-addr:value = '198.51.100.7']", [][2]string{{"ipv4-addr", "198.51.100.7"}}},
		{"[file:hashes.'SHA-256' = 'AB12'] OR [domain-name:value='x.example']", [][2]string{{"file:hashes.SHA-256", "AB12"}, {"domain-name", "x.example"}}},
		{`[url:value = 'http://a/\'b']`, [][2]string{{"url", "http://a/'b"}}},
		{"[ipv4-addr:value ISSUBSET '10.0.0.0/8']", nil},
		{"", nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, attrib.PatternValues(tc.pattern)); diff != "" {
			t.Errorf("PatternValues(%q) (-want +got):\n%s", tc.pattern, diff)
		}
	}
}

func FuzzPatternValues(f *testing.F) {
	f.Add("[ipv4-addr:value = '198.51.100.7']")
	f.Add(`[file:hashes.'SHA-256' = 'AB12'] AND [url:value = 'http://a/\'b']`)
	f.Fuzz(func(t *testing.T, p string) {
		for _, tv := range attrib.PatternValues(p) {
			if !strings.Contains(p, tv[0][:min(len(tv[0]), 4)]) {
				t.Errorf("PatternValues(%q) returned type %q not in the pattern", p, tv[0])
			}
		}
	})
}

// FuzzAttribute feeds arbitrary evidence to the engine: it must never
// panic, and probabilities must stay a distribution.
func FuzzAttribute(f *testing.F) {
	fx := newFixture(f)
	f.Add("T1001", "Wiper", "45.77.1.2", "Group A", "A", 1, fx.editedA, "3:abc:def", true)
	f.Add("", "", "", "", "", 0, "", "", false)
	f.Fuzz(func(t *testing.T, tech, sw, ioc, actor, rel string, cred int, tl, sd string, self bool) {
		c := &casefile.Case{Name: "fuzz", Techniques: items(tech), Software: items(sw),
			Indicators: []casefile.Indicator{{Type: "ipv4-addr", Value: ioc}, {Type: "url", Value: ioc}},
			Samples:    []casefile.Sample{{TLSH: tl, SSDEEP: sd}},
			Claims:     []casefile.Claim{{Actor: actor, Reliability: rel, Credibility: cred, SelfClaim: self}},
			Victim:     casefile.Victim{Sector: sw, Country: rel}}
		res, err := fx.k.Attribute(c, attrib.Options{})
		if err != nil {
			return
		}
		sum := res.Unknown
		for _, h := range res.Hypotheses {
			if math.IsNaN(h.Probability) {
				t.Fatalf("NaN probability for %s", h.Name)
			}
			sum += h.Probability
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("probabilities sum to %v", sum)
		}
	})
}

// TestSmoothing checks the smoothing parameters that lend an actor credit
// for items it was not seen with: sibling and child sub-techniques, the
// neighbours' profiles, and the floor on an unseen item's cost.
func TestSmoothing(t *testing.T) {
	base := technique(t, "T1000", "Base")
	par := technique(t, "T1100", "Parent")
	sub1 := technique(t, "T1100.001", "Sub one")
	sub2 := technique(t, "T1100.002", "Sub two")
	other := technique(t, "T1200", "Other")
	g1 := group(t, "intrusion-set", "G0001", "One")
	g2 := group(t, "intrusion-set", "G0002", "Two")
	g3 := group(t, "intrusion-set", "G0003", "Three")
	k := attrib.NewKnowledge([]*stix.Object{base, par, sub1, sub2, other, g1, g2, g3,
		rel(t, "uses", g1.ID, sub1.ID, "r1"), rel(t, "uses", g1.ID, base.ID, "r1"), rel(t, "uses", g1.ID, other.ID, "r1"),
		rel(t, "uses", g2.ID, base.ID, "r2"), rel(t, "uses", g2.ID, sub1.ID, "r2"),
		rel(t, "uses", g3.ID, par.ID, "r3"),
	}, nil, attrib.KnowledgeOptions{})
	score := func(t *testing.T, p attrib.Params, g *stix.Object, techs ...string) float64 {
		t.Helper()
		res, err := k.Attribute(&casefile.Case{Name: "c", Techniques: items(techs...)}, attrib.Options{Params: p, Explain: -1, Next: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hypotheses {
			if h.ID == g.ID {
				return h.Score
			}
		}
		t.Fatalf("no hypothesis %s", g.Name)
		return 0
	}
	def := attrib.DefaultParams()
	def.SiblingWeight, def.ChildWeight, def.Neighbours, def.Floor = 0, 0, 0, 0
	tests := []struct {
		name  string
		set   func(p *attrib.Params)
		g     *stix.Object
		techs []string
	}{
		{"sibling", func(p *attrib.Params) { p.SiblingWeight = 0.5 }, g2, []string{"T1100.002"}},
		{"child", func(p *attrib.Params) { p.ChildWeight = 0.5 }, g2, []string{"T1100"}},
		{"neighbours", func(p *attrib.Params) { p.Neighbours = 0.5 }, g2, []string{"T1200"}},
		{"floor", func(p *attrib.Params) { p.Floor = 0.5 }, g3, []string{"T1000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := def
			tc.set(&p)
			without, with := score(t, def, tc.g, tc.techs...), score(t, p, tc.g, tc.techs...)
			if with <= without {
				t.Errorf("score of %s for %v: %.4f with the parameter, want more than %.4f without", tc.g.Name, tc.techs, with, without)
			}
		})
	}
}
