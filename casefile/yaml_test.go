package casefile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	tlshT1 = "T1A0C3B0E2F74C2D5E2B4A1E8F0C5B6A7D9E3F1C2B4A6D8E0F2A4C6E8B0D2F4A6C8E0F2A"
	ssdeep = "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"
	sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func TestParseFileYAML(t *testing.T) {
	got, warns, err := ParseFile("testdata/full.yaml")
	if err != nil {
		t.Fatalf("ParseFile(full.yaml) error: %v", err)
	}
	want := &Case{
		Name: "Example intrusion",
		Techniques: []Item{
			{Ref: "T1059.001", Line: 4},
			{Ref: "T1021.002", Source: "IR report", Note: "lateral movement over admin shares", Line: 5},
			{Ref: "Data Destruction", Line: 8},
		},
		Software: []Item{
			{Ref: "S0364", Line: 10},
			{Ref: "Destover", Source: "IR report", Line: 11},
		},
		Indicators: []Indicator{
			{Type: TypeIPv4, Value: "203.0.113.7", Line: 14},
			{Type: TypeDomain, Value: "evil.example.com", Line: 15},
			{Type: TypeURL, Value: "http://bad.example.com/x", Source: "proxy logs", Note: "beacon", Line: 16},
			{Type: TypeSHA256, Value: sha256, Line: 20},
			{Type: TypeEmail, Value: "attacker@example.org", Line: 21},
			{Type: TypeIPv6, Value: "2001:db8::1", Line: 22},
		},
		Samples: []Sample{{Name: "wiper.exe", SHA256: sha256, TLSH: tlshT1, SSDEEP: ssdeep, Source: "disk image", Line: 24}},
		Claims: []Claim{
			{Actor: "Example Group", Statement: "the intrusion is attributed to Example Group", Source: "National CERT", Reliability: "B", Credibility: 2, Line: 30},
			{Actor: "Example Group", Statement: "we did it", Source: "Example Group", Reliability: "F", Credibility: 6, SelfClaim: true, Line: 35},
		},
		Victim: Victim{Name: "Example Corp", Sector: "entertainment", Country: "US"},
		Notes:  "Free text.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseFile(full.yaml) case mismatch (-want +got):\n%s", diff)
	}
	if len(warns) != 0 {
		t.Errorf("ParseFile(full.yaml) warnings = %v, want none", warns)
	}
}

// wantWarning identifies a warning by its line and field, and a part of its
// message.
type wantWarning struct {
	line  int
	field string
	msg   string
}

func TestParseYAMLWarnings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []wantWarning
	}{
		{"unknown top-level key", "techniques: [T1485]\nactors: [x]\n", []wantWarning{{2, "actors", "unknown key"}}},
		{"unknown item key", "techniques:\n  - id: T1485\n    tactic: impact\n", []wantWarning{{3, "techniques[0].tactic", "unknown key"}}},
		{"malformed technique id", "techniques: [T148]\n", []wantWarning{{1, "techniques[0]", "not of the form T####"}}},
		{"malformed sub-technique id", "techniques: [T1485.1]\n", []wantWarning{{1, "techniques[0]", "T####.###"}}},
		{"malformed software id", "software: [S12345]\n", []wantWarning{{1, "software[0]", "not of the form S####"}}},
		{"duplicate technique", "techniques:\n  - T1485\n  - t1485\n", []wantWarning{{3, "techniques[1]", "listed twice (first at line 2)"}}},
		{"item without ref", "techniques:\n  - T1485\n  - source: x\n", []wantWarning{{3, "techniques[1]", "no id or name"}}},
		{"item is a list", "techniques:\n  - T1485\n  - [a]\n", []wantWarning{{3, "techniques[1]", "found a list"}}},
		{"techniques is a mapping", "software: [x]\ntechniques: {a: b}\n", []wantWarning{{2, "techniques", "expected a list"}}},
		{"bad ipv4", "indicators:\n  - ipv4-addr: 300.1.2.3\n", []wantWarning{{2, "indicators[0]", "not an ipv4-addr address"}}},
		{"ipv6 given as ipv4", "indicators:\n  - {type: ipv4, value: '2001:db8::1'}\n", []wantWarning{{2, "indicators[0]", "not an ipv4-addr"}}},
		{"bad ipv6", "indicators:\n  - ipv6: 2001:db8::zz\n", []wantWarning{{2, "indicators[0]", "not an ipv6-addr"}}},
		{"bad domain", "indicators:\n  - domain: exa mple.com\n", []wantWarning{{2, "indicators[0]", "not a domain name"}}},
		{"single-label domain", "indicators:\n  - domain: localhost\n", []wantWarning{{2, "indicators[0]", "not a domain name"}}},
		{"relative url", "indicators:\n  - url: /x/y\n", []wantWarning{{2, "indicators[0]", "not an absolute URL"}}},
		{"bad email", "indicators:\n  - email: 'Bob <bob@example.com>'\n", []wantWarning{{2, "indicators[0]", "not an email address"}}},
		{"bad sha256", "indicators:\n  - sha256: abcd\n", []wantWarning{{2, "indicators[0]", "not a SHA-256 hash"}}},
		{"bad md5", "indicators:\n  - md5: " + strings.Repeat("g", 32) + "\n", []wantWarning{{2, "indicators[0]", "not a MD5 hash"}}},
		{"unknown indicator type", "indicators:\n  - mutex: Global\\\\x\n", []wantWarning{{2, "indicators[0]", "unknown indicator type \"mutex\""}}},
		{"untyped unguessable value", "indicators:\n  - 'not an indicator'\n", []wantWarning{{2, "indicators[0]", "cannot tell the type"}}},
		{"indicator without value", "software: [x]\nindicators:\n  - {type: url, source: me}\n", []wantWarning{{3, "indicators[0]", "no value"}}},
		{"indicator unknown key", "indicators:\n  - {type: url, value: 'http://a.example/', seen: today}\n", []wantWarning{{2, "indicators[0].seen", "unknown key"}}},
		{"shorthand with two types", "indicators:\n  - {ipv4: 192.0.2.1, domain: a.example}\n", []wantWarning{{2, "indicators[0].domain", "one type: value pair"}}},
		{"duplicate indicator", "indicators:\n  - 192.0.2.1\n  - ip: 192.0.2.1\n", []wantWarning{{3, "indicators[1]", "listed twice"}}},
		{"sample without hash", "software: [x]\nsamples:\n  - name: a.exe\n", []wantWarning{{3, "samples[0]", "no valid sha256"}}},
		{"sample bad tlsh", "samples:\n  - {sha256: " + sha256 + ", tlsh: T1ABC}\n", []wantWarning{{2, "samples[0].tlsh", "not a TLSH digest"}}},
		{"sample bad ssdeep", "samples:\n  - {sha256: " + sha256 + ", ssdeep: 'nope'}\n", []wantWarning{{2, "samples[0].ssdeep", "not an ssdeep digest"}}},
		{"sample unknown key", "samples:\n  - {sha256: " + sha256 + ", imphash: x}\n", []wantWarning{{2, "samples[0].imphash", "unknown key"}}},
		{"reliability out of range", "claims:\n  - {actor: X, source: S, reliability: G}\n", []wantWarning{{2, "claims[0].reliability", "not an Admiralty letter"}}},
		{"credibility out of range", "claims:\n  - {actor: X, source: S, credibility: 7}\n", []wantWarning{{2, "claims[0].credibility", "not an Admiralty digit"}}},
		{"credibility not a number", "claims:\n  - {actor: X, source: S, credibility: high}\n", []wantWarning{{2, "claims[0].credibility", "not an Admiralty digit"}}},
		{"admiralty malformed", "claims:\n  - {actor: X, source: S, admiralty: B}\n", []wantWarning{{2, "claims[0].admiralty", "not an Admiralty code"}}},
		{"self_claim not a bool", "claims:\n  - {actor: X, source: X, self_claim: maybe}\n", []wantWarning{{2, "claims[0].self_claim", "expected true or false"}}},
		{"claim without actor", "software: [x]\nclaims:\n  - {source: S}\n", []wantWarning{{3, "claims[0]", "names no actor"}}},
		{"claim without source", "claims:\n  - {actor: X}\n", []wantWarning{{2, "claims[0]", "unknown provenance"}}},
		{"claim unknown key", "claims:\n  - {actor: X, source: S, date: 2014}\n", []wantWarning{{2, "claims[0].date", "unknown key"}}},
		{"contradictory claims from one source", "claims:\n  - {actor: X, source: S}\n  - {actor: Y, source: s}\n", []wantWarning{
			{3, "claims[1]", "contradictory claims: s names Y here and X (line 2)"},
		}},
		{"same claim rated differently", "claims:\n  - {actor: X, source: S, admiralty: A1}\n  - {actor: X, source: S, admiralty: C3}\n", []wantWarning{{3, "claims[1]", "different rating (line 2)"}}},
		// Whether X and Y are one actor is the knowledge base's to say:
		// the engine warns, not the parser.
		{"claims from different sources disagree", "claims:\n  - {actor: X, source: S}\n  - {actor: Y, source: T}\n", nil},
		{"victim unknown key", "software: [x]\nvictim: {name: V, size: big}\n", []wantWarning{{2, "victim.size", "unknown key"}}},
		{"victim country not a code", "software: [x]\nvictim: {country: United States}\n", []wantWarning{{2, "victim.country", "not an ISO 3166-1 alpha-2"}}},
		{"victim not a mapping", "software: [x]\nvictim: [a]\n", []wantWarning{{2, "victim", "expected a mapping"}}},
		{"name not a string", "software: [x]\nname: [a]\n", []wantWarning{{2, "name", "expected a string"}}},
		{"duplicate key", "software: [x]\nsoftware: [y]\n", []wantWarning{{2, "software", "duplicate key (first at line 1)"}}},
		{"second document", "software: [x]\n---\nsoftware: [y]\n", []wantWarning{{2, "", "only the first YAML document"}}},
		{"non-string key", "software: [x]\n[a]: b\n", []wantWarning{{2, "", "a key must be a string"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, warns, err := Parse("case.yaml", strings.NewReader(tt.in))
			if err != nil && !errors.Is(err, ErrNoEvidence) {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			_ = c
			if len(warns) != len(tt.want) {
				t.Fatalf("Parse(%q) warnings = %q, want %d warnings like %v", tt.in, warns, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				got := warns[i]
				if got.Line != w.line || got.Field != w.field || !strings.Contains(got.Message, w.msg) {
					t.Errorf("Parse(%q) warning %d = %q (line %d, field %q), want line %d, field %q, message containing %q",
						tt.in, i, got, got.Line, got.Field, w.line, w.field, w.msg)
				}
			}
		})
	}
}

func TestParseYAMLForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Case
	}{
		{
			name: "single scalar for a list",
			in:   "techniques: T1485\n",
			want: &Case{Name: "case", Techniques: []Item{{Ref: "T1485", Line: 1}}},
		},
		{
			name: "defanged and shorthand indicators",
			in:   "indicators:\n  - 192.0.2[.]1\n  - hostname: A.Example(.)ORG\n  - hxxps://x[.]example/p\n  - {value: 192.0.2.0/24}\n",
			want: &Case{Name: "case", Indicators: []Indicator{
				{Type: TypeIPv4, Value: "192.0.2.1", Line: 2},
				{Type: TypeDomain, Value: "a.example.org", Line: 3},
				{Type: TypeURL, Value: "https://x.example/p", Line: 4},
				{Type: TypeIPv4, Value: "192.0.2.0/24", Line: 5},
			}},
		},
		{
			name: "admiralty shorthand and quoted credibility",
			in:   "claims:\n  - {actor: X, source: S, admiralty: c3}\n  - {actor: X, source: T, reliability: d, credibility: '4'}\n",
			want: &Case{Name: "case", Claims: []Claim{
				{Actor: "X", Source: "S", Reliability: "C", Credibility: 3, Line: 2},
				{Actor: "X", Source: "T", Reliability: "D", Credibility: 4, Line: 3},
			}},
		},
		{
			name: "anchors and aliases",
			in:   "x: &s {name: Destover, source: r}\nsoftware: [*s]\n",
			want: &Case{Name: "case", Software: []Item{{Ref: "Destover", Source: "r", Line: 1}}},
		},
		{
			name: "flow mapping",
			in:   "{software: [Destover]}",
			want: &Case{Name: "case", Software: []Item{{Ref: "Destover", Line: 1}}},
		},
		{
			name: "id wins over name",
			in:   "techniques:\n  - {id: T1485, name: Data Destruction}\n",
			want: &Case{Name: "case", Techniques: []Item{{Ref: "T1485", Line: 2}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := Parse("dir/case.yaml", strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		is      error
	}{
		{"empty file", "", "case has no evidence", ErrNoEvidence},
		{"only comments", "# nothing\n", "case has no evidence", ErrNoEvidence},
		{"null document", "~\n", "case has no evidence", ErrNoEvidence},
		{"empty mapping", "a: ~\n", "case has no evidence", ErrNoEvidence},
		{"empty JSON object", "{}", "not a STIX bundle", nil},
		{"victim only", "victim: {name: V, country: US}\n", "case has no evidence", ErrNoEvidence},
		{"everything invalid", "techniques: [[]]\nindicators: ['??']\n", "case has no evidence", ErrNoEvidence},
		{"top-level list", "- T1485\n", "a case file is a YAML mapping", nil},
		{"top-level scalar", "T1485\n", "not a scalar", nil},
		{"syntax error", "techniques: [T1485\n", "yaml: line", nil},
		{"deep nesting", "techniques: " + strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000), "exceeded max depth", nil},
		{"alias expansion", "a: &a [" + strings.Repeat("x,", 1000) + "]\nb: &b [" + strings.Repeat("*a,", 1000) + "]\ntechniques: [" + strings.Repeat("*b,", 1000) + "]\n", "case has no evidence", ErrNoEvidence},
		{"json that is not a bundle", `{"type": "report", "id": "report--1"}`, `not a STIX bundle (type "report")`, nil},
		{"json array", `[1, 2]`, "a case file is a YAML mapping", nil},
		{"bundle with objects not a list", `{"type": "bundle", "objects": {}}`, "stix bundle: json: cannot unmarshal", nil},
		{"bundle of invalid objects", `{"type": "bundle", "objects": [{"type": "ipv4-addr"}]}`, "case has no evidence", ErrNoEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Parse("t.yaml", strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error containing %q", tt.in, c, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Parse(%q) error = %v, want errors.Is %v", tt.in, err, tt.is)
			}
			if c != nil {
				t.Errorf("Parse(%q) case = %+v, want nil on error", tt.in, c)
			}
		})
	}
}

func TestCaseName(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"from the case", "x.yaml", "Named"},
		{"from the file", "dir/sony-2014.case.yaml.gz", "sony-2014"},
		{"dot file", "dir/.hidden", ".hidden"},
		{"no file name", "", "case"},
		{"root", "/", "case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "software: [x]\n"
			if tt.want == "Named" {
				in += "name: Named\n"
			}
			c, _, err := Parse(tt.file, strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tt.want {
				t.Errorf("Parse(%q).Name = %q, want %q", tt.file, c.Name, tt.want)
			}
		})
	}
}

func TestWarningString(t *testing.T) {
	tests := []struct {
		w    Warning
		want string
	}{
		{Warning{Line: 3, Field: "techniques[1]", Message: "bad"}, "line 3: techniques[1]: bad"},
		{Warning{Field: "claims", Message: "bad"}, "claims: bad"},
		{Warning{Line: 2, Message: "bad"}, "line 2: bad"},
		{Warning{Message: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.w, got, tt.want)
		}
	}
}

func TestTooManyWarnings(t *testing.T) {
	var b strings.Builder
	b.WriteString("software: [x]\ntechniques:\n")
	for i := 0; i < 2*maxWarnings; i++ {
		b.WriteString("  - T1\n")
	}
	_, warns, err := Parse("many.yaml", strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	if got, want := len(warns), maxWarnings+1; got != want {
		t.Fatalf("got %d warnings, want %d", got, want)
	}
	if got := warns[maxWarnings].Message; !strings.Contains(got, "too many warnings") {
		t.Errorf("last warning = %q, want it to say there are too many", got)
	}
}
