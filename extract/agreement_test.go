package extract

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/ioc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// corpusFields maps the field names of the labelled corpora to indicator
// types. Fields of types culprit does not extract (Ethereum, Google ids,
// MAC addresses, user agents, imphashes, XMPP) are not compared.
var corpusFields = map[string]ioc.Type{
	"md5s": ioc.MD5, "sha1s": ioc.SHA1, "sha256s": ioc.SHA256, "sha512s": ioc.SHA512,
	"ssdeeps": ioc.SSDEEP, "asns": ioc.ASN, "ipv4s": ioc.IPv4, "ipv6s": ioc.IPv6,
	"domains": ioc.Domain, "urls": ioc.URL, "emails": ioc.Email, "email_addresses": ioc.Email,
	"btcs": ioc.Bitcoin, "bitcoin_addresses": ioc.Bitcoin, "xmrs": ioc.Monero, "monero_addresses": ioc.Monero,
	"cves": ioc.CVE, "registry_key_paths": ioc.RegistryKey, "file_paths": ioc.WindowsPath,
	"attack_techniques": ioc.AttackID, "attack_tactics": ioc.AttackID, "attack_mitigations": ioc.AttackID,
}

type corpusCase struct {
	corpus, id, text string
	expected         map[ioc.Type][]string
	checked          map[ioc.Type]bool // types the case asserts
}

func loadCorpora(t *testing.T) []corpusCase {
	var out []corpusCase
	dir := refdata.Path(t, "ioc")
	// ioc-extractor checks only the fields it lists.
	var ie []struct {
		ID       string              `json:"id"`
		Text     string              `json:"text"`
		TextFile string              `json:"text_file"`
		Options  map[string]any      `json:"options"`
		Expected map[string][]string `json:"expected"`
	}
	readJSON(t, filepath.Join(dir, "ioc-extractor", "cases.json"), &ie)
	for _, c := range ie {
		if len(c.Options) > 0 {
			continue // strict and no-refang modes: culprit has one mode
		}
		text := c.Text
		if c.TextFile != "" {
			b, err := os.ReadFile(filepath.Join(dir, "ioc-extractor", c.TextFile))
			if err != nil {
				t.Fatal(err)
			}
			text = string(b)
		}
		cc := corpusCase{corpus: "ioc-extractor", id: c.ID, text: text, expected: map[ioc.Type][]string{}, checked: map[ioc.Type]bool{}}
		for f, vs := range c.Expected {
			if typ, ok := corpusFields[f]; ok {
				cc.checked[typ] = true
				cc.expected[typ] = append(cc.expected[typ], vs...)
			}
		}
		out = append(out, cc)
	}
	// ioc-finder checks every field: a missing one must be empty.
	var fi []struct {
		ID       string                     `json:"id"`
		Text     string                     `json:"text"`
		Options  map[string]any             `json:"options"`
		Expected map[string]json.RawMessage `json:"expected"`
	}
	readJSON(t, filepath.Join(dir, "ioc-finder", "cases.json"), &fi)
	for _, c := range fi {
		cc := corpusCase{corpus: "ioc-finder", id: c.ID, text: c.Text, expected: map[ioc.Type][]string{}, checked: map[ioc.Type]bool{}}
		for _, typ := range corpusFields {
			cc.checked[typ] = true
		}
		if len(c.Options) > 0 {
			// Options that drop the domains of URLs and addresses:
			// culprit always reports them, so domains are not compared.
			delete(cc.checked, ioc.Domain)
		}
		for f, raw := range c.Expected {
			typ, ok := corpusFields[f]
			if !ok {
				continue
			}
			var vs []string
			if err := json.Unmarshal(raw, &vs); err != nil {
				var byMatrix map[string][]string
				if err := json.Unmarshal(raw, &byMatrix); err != nil {
					t.Fatalf("%s: field %s: %v", c.ID, f, err)
				}
				for _, m := range byMatrix {
					vs = append(vs, m...)
				}
			}
			cc.expected[typ] = append(cc.expected[typ], vs...)
		}
		out = append(out, cc)
	}
	return out
}

func readJSON(t *testing.T, p string, v any) {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

// canon puts an expected value in culprit's canonical form, so that the
// comparison is about what is found, not how it is spelt (IPv6 as
// written, "ASN1234", upper-case hashes).
func canon(t ioc.Type, v string) string {
	if c, err := ioc.Normalize(t, v); err == nil {
		return c
	}
	return v
}

// TestAgreement computes the agreement with the labelled corpora per
// type and compares the disagreements with testdata/disagreements.golden,
// each of which docs/extraction.md explains. A new disagreement, or one
// fixed, fails the test until the file (and the docs) are updated.
func TestAgreement(t *testing.T) {
	cases := loadCorpora(t)
	type counts struct{ both, onlyThem, onlyUs int }
	table := map[ioc.Type]*counts{}
	var diffs []string
	for _, c := range cases {
		items, err := All(strings.NewReader(c.text), Options{NoStatements: true})
		if err != nil {
			t.Fatalf("%s %s: %v", c.corpus, c.id, err)
		}
		got := map[ioc.Type]map[string]bool{}
		for _, it := range items {
			typ := ioc.Type(it.Kind)
			if got[typ] == nil {
				got[typ] = map[string]bool{}
			}
			got[typ][it.Value] = true
		}
		for typ := range c.checked {
			want := map[string]bool{}
			for _, v := range c.expected[typ] {
				want[canon(typ, v)] = true
			}
			if table[typ] == nil {
				table[typ] = &counts{}
			}
			for v := range want {
				if got[typ][v] {
					table[typ].both++
				} else {
					table[typ].onlyThem++
					diffs = append(diffs, fmt.Sprintf("%s %s %s missed %q", c.corpus, c.id, typ, v))
				}
			}
			for v := range got[typ] {
				if !want[v] {
					table[typ].onlyUs++
					diffs = append(diffs, fmt.Sprintf("%s %s %s extra %q", c.corpus, c.id, typ, v))
				}
			}
		}
	}
	sort.Strings(diffs)
	var types []string
	for typ := range table {
		types = append(types, string(typ))
	}
	sort.Strings(types)
	var tb strings.Builder
	fmt.Fprintf(&tb, "| type | agreed | only the corpus | only culprit | agreement |\n|---|---|---|---|---|\n")
	var all counts
	for _, typ := range types {
		c := table[ioc.Type(typ)]
		all.both += c.both
		all.onlyThem += c.onlyThem
		all.onlyUs += c.onlyUs
		fmt.Fprintf(&tb, "| %s | %d | %d | %d | %s |\n", typ, c.both, c.onlyThem, c.onlyUs, ratio(c.both, c.both+c.onlyThem+c.onlyUs))
	}
	fmt.Fprintf(&tb, "| all | %d | %d | %d | %s |\n", all.both, all.onlyThem, all.onlyUs, ratio(all.both, all.both+all.onlyThem+all.onlyUs))
	golden(t, "agreement.golden", tb.String())
	golden(t, "disagreements.golden", strings.Join(diffs, "\n")+"\n")
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./extract -run %s -update to accept):\n--- got\n%s", p, t.Name(), got)
	}
}
