package casefile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/stix"
)

func TestParseBundle21(t *testing.T) {
	got, warns, err := ParseFile("testdata/bundle21.json")
	if err != nil {
		t.Fatalf("ParseFile(bundle21.json) error: %v", err)
	}
	const (
		cert   = "Example CERT"
		bundle = "bundle21"
	)
	want := &Case{
		Name:  "Wiper attack on Example Corp",
		Notes: "Incident report.",
		Techniques: []Item{
			{Ref: "T1485", Source: cert, Note: "attack-pattern--0a1b2c3d-0000-4000-8000-000000000003"},
			{Ref: "Brute force over SMB", Source: bundle, Note: "attack-pattern--0a1b2c3d-0000-4000-8000-000000000004"},
		},
		Software: []Item{
			{Ref: "Destover", Source: bundle, Note: "malware--0a1b2c3d-0000-4000-8000-000000000005"},
			{Ref: "S0364", Source: bundle, Note: "tool--0a1b2c3d-0000-4000-8000-000000000006"},
		},
		Indicators: []Indicator{
			{Type: TypeIPv4, Value: "203.0.113.7", Source: cert, Note: "C2 (indicator--0a1b2c3d-0000-4000-8000-000000000007)"},
			{Type: TypeDomain, Value: "evil.example.com", Source: cert, Note: "C2 (indicator--0a1b2c3d-0000-4000-8000-000000000007)"},
			{Type: TypeURL, Value: "http://evil.example.com/it's", Source: cert, Note: "C2 (indicator--0a1b2c3d-0000-4000-8000-000000000007)"},
			{Type: TypeSHA256, Value: sha256, Source: bundle, Note: "indicator--0a1b2c3d-0000-4000-8000-000000000008"},
			{Type: TypeIPv4, Value: "198.51.100.9", Source: bundle, Note: "ipv4-addr--0a1b2c3d-0000-4000-8000-00000000000b"},
			{Type: TypeMD5, Value: "e904bf93403c0fb08b9683a9e858c73e", Source: bundle, Note: "file--0a1b2c3d-0000-4000-8000-00000000000d"},
		},
		Samples: []Sample{
			{Name: "wiper.exe", SHA256: sha256, TLSH: tlshT1, Source: bundle},
			{Name: "igfxtrayex.exe", SSDEEP: ssdeep, Source: bundle},
		},
		Claims: []Claim{
			{Actor: "Example Group", Statement: "Wiper attack is attributed to Example Group", Source: cert, Credibility: 2},
			{Actor: "Other Group", Statement: "Wiper attack is attributed to Other Group", Source: "Example blog <https://blog.example.org/post>"},
		},
		Victim: Victim{Name: "Example Corp", Sector: "entertainment", Country: "US"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseFile(bundle21.json) mismatch (-want +got):\n%s", diff)
	}
	wantWarns := []Warning{
		{Field: "objects[12]", Message: `invalid STIX object ignored: (ipv4-addr--0a1b2c3d-0000-4000-8000-000000000017): "value": "999.1.1.1" is not an IP address or CIDR block`},
		{Field: "indicator--0a1b2c3d-0000-4000-8000-000000000009", Message: "comparison on process:name is not used"},
		{Field: "indicator--0a1b2c3d-0000-4000-8000-000000000009", Message: `no usable comparison in pattern "[process:name = 'evil.exe']"`},
		{Field: "indicator--0a1b2c3d-0000-4000-8000-00000000000a", Message: `pattern type "snort" is not read; only STIX patterns are`},
		{Field: "indicator--0a1b2c3d-0000-4000-8000-00000000000c", Message: `"999.1.1.1" is not an ipv4-addr address; ignored`},
	}
	if diff := cmp.Diff(wantWarns, warns); diff != "" {
		t.Errorf("ParseFile(bundle21.json) warnings mismatch (-want +got):\n%s", diff)
	}
}

func TestParseBundle20(t *testing.T) {
	got, warns, err := ParseFile("testdata/bundle20.json")
	if err != nil {
		t.Fatalf("ParseFile(bundle20.json) error: %v", err)
	}
	const od = "observed-data--0a1b2c3d-0000-4000-8000-000000000023"
	want := &Case{
		Name:       "bundle20",
		Techniques: []Item{{Ref: "T1561.002", Source: "bundle20", Note: "attack-pattern--0a1b2c3d-0000-4000-8000-000000000021"}},
		Indicators: []Indicator{
			{Type: TypeIPv4, Value: "203.0.113.8", Source: "bundle20", Note: "indicator--0a1b2c3d-0000-4000-8000-000000000022"},
			{Type: TypeDomain, Value: "c2.example.net", Source: "bundle20", Note: od + ".objects.0"},
			{Type: TypeSHA256, Value: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", Source: "bundle20", Note: od + ".objects.1"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseFile(bundle20.json) mismatch (-want +got):\n%s", diff)
	}
	if len(warns) != 0 {
		t.Errorf("ParseFile(bundle20.json) warnings = %q, want none", warns)
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseGzip(t *testing.T) {
	for _, name := range []string{"full.yaml", "bundle21.json"} {
		t.Run(name, func(t *testing.T) {
			plain, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := Parse(name, bytes.NewReader(plain))
			if err != nil {
				t.Fatalf("Parse(%s) error: %v", name, err)
			}
			p := filepath.Join(t.TempDir(), name+".gz")
			if err := os.WriteFile(p, gzipBytes(t, plain), 0o600); err != nil {
				t.Fatal(err)
			}
			got, _, err := ParseFile(p)
			if err != nil {
				t.Fatalf("ParseFile(%s.gz) error: %v", name, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseFile(%s.gz) differs from the plain file (-plain +gz):\n%s", name, diff)
			}
		})
	}
}

// endless is an endless stream of YAML list items that counts what is read
// from it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	const line = "  - T1485\n"
	for i := range p {
		p[i] = line[(e.n+int64(i))%int64(len(line))]
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestParseTooLarge(t *testing.T) {
	t.Run("stream", func(t *testing.T) {
		r := &endless{}
		_, _, err := Parse("huge.yaml", io.MultiReader(strings.NewReader("techniques:\n"), r))
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Parse(endless) error = %v, want ErrTooLarge", err)
		}
		if r.n > 2*MaxSize {
			t.Errorf("Parse(endless) read %d bytes, want at most about %d", r.n, MaxSize)
		}
	})
	t.Run("100 MB file is refused before reading", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "huge.yaml")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		// A sparse file: 100 MB long, almost nothing on disk.
		if err := f.Truncate(100 << 20); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, _, err = ParseFile(p)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("ParseFile(100 MB) error = %v, want ErrTooLarge", err)
		}
		if !strings.Contains(err.Error(), "104857600 bytes") {
			t.Errorf("ParseFile(100 MB) error = %q, want it to give the size", err)
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		big := bytes.Repeat([]byte("  - T1485\n"), (MaxSize/10)+10)
		_, _, err := Parse("bomb.yaml.gz", bytes.NewReader(gzipBytes(t, append([]byte("techniques:\n"), big...))))
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Parse(gzip bomb) error = %v, want ErrTooLarge", err)
		}
	})
	t.Run("ATT&CK bundle", func(t *testing.T) {
		// 7.9 MB compressed, 45 MB of JSON: a knowledge base, not a case.
		p := refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz")
		_, _, err := ParseFile(p)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("ParseFile(%s) error = %v, want ErrTooLarge", p, err)
		}
	})
}

func TestParseFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.yaml"), "open case"},
		{"directory", dir, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseFile(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseFile(%s) error = %v, want one containing %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestPatternComparisons(t *testing.T) {
	tests := []struct {
		pattern string
		want    []Indicator
	}{
		{`[ipv4-addr:value = '198.51.100.1']`, []Indicator{{Type: TypeIPv4, Value: "198.51.100.1"}}},
		{`[ipv6-addr:value = '2001:DB8::1']`, []Indicator{{Type: TypeIPv6, Value: "2001:db8::1"}}},
		{`[email-addr:value = 'a@Example.COM']`, []Indicator{{Type: TypeEmail, Value: "a@example.com"}}},
		{`[file:hashes.MD5 = 'E904BF93403C0FB08B9683A9E858C73E']`, []Indicator{{Type: TypeMD5, Value: "e904bf93403c0fb08b9683a9e858c73e"}}},
		{`[file:hashes.'SHA-1' = '` + strings.Repeat("a", 40) + `']`, []Indicator{{Type: TypeSHA1, Value: strings.Repeat("a", 40)}}},
		{`[file:hashes.SHA256 = '` + sha256 + `']`, []Indicator{{Type: TypeSHA256, Value: sha256}}},
		{`[domain-name:value = 'a.example' OR domain-name:value = 'b.example'] FOLLOWEDBY [url:value = 'http://c.example/']`, []Indicator{
			{Type: TypeDomain, Value: "a.example"}, {Type: TypeDomain, Value: "b.example"}, {Type: TypeURL, Value: "http://c.example/"}}},
		{`[ipv4-addr:value != '198.51.100.1']`, nil},
		{`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			b := &bundleParser{name: "p"}
			b.indicator(stixIndicator(tt.pattern))
			for i := range b.c.Indicators {
				b.c.Indicators[i].Source, b.c.Indicators[i].Note = "", ""
			}
			if diff := cmp.Diff(tt.want, b.c.Indicators); diff != "" {
				t.Errorf("indicators of %s mismatch (-want +got):\n%s", tt.pattern, diff)
			}
		})
	}
}

func stixIndicator(pattern string) *stix.Object {
	raw, _ := json.Marshal(map[string]string{"type": "indicator", "id": "indicator--1", "pattern": pattern, "pattern_type": "stix"})
	return &stix.Object{Type: "indicator", ID: "indicator--1", Raw: raw}
}
