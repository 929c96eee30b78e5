package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/ioc"
)

// TestSideBySide compares culprit with the npm package ioc-extractor on
// the ESET IOC write-ups, in the same run: docs/benchmarks.md gives the
// command, which runs ioc-extractor first and writes its output to the
// file named by $CULPRIT_IOCX_JSON. Without it the test is skipped.
func TestSideBySide(t *testing.T) {
	p := os.Getenv("CULPRIT_IOCX_JSON")
	if p == "" {
		t.Skip("CULPRIT_IOCX_JSON not set (see docs/benchmarks.md for the side-by-side run)")
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var them struct {
		Version string              `json:"version"`
		Bytes   int                 `json:"bytes"`
		Seconds float64             `json:"seconds_per_pass"`
		IOCs    map[string][]string `json:"iocs"`
	}
	if err := json.Unmarshal(raw, &them); err != nil {
		t.Fatal(err)
	}
	dir := refdata.Path(t, "ioc", "eset-malware-ioc")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var text []byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n, "README.adoc"))
		if err != nil {
			continue
		}
		text = append(append(text, b...), '\n')
	}
	if len(text) != them.Bytes {
		t.Fatalf("text of %d bytes, ioc-extractor read %d: not the same input", len(text), them.Bytes)
	}
	const passes = 5
	var items []Item
	start := time.Now()
	for i := 0; i < passes; i++ {
		items, err = All(bytes.NewReader(text), Options{NoStatements: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	ours := time.Since(start).Seconds() / passes
	got := map[ioc.Type]map[string]bool{}
	for _, it := range items {
		typ := ioc.Type(it.Kind)
		if got[typ] == nil {
			got[typ] = map[string]bool{}
		}
		got[typ][it.Value] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ioc-extractor %s: %.1f ms per pass; culprit: %.1f ms per pass; ratio %.1fx (%d bytes)\n\n",
		them.Version, them.Seconds*1e3, ours*1e3, them.Seconds/ours, len(text))
	fmt.Fprintf(&b, "| type | both | only ioc-extractor | only culprit |\n|---|---|---|---|\n")
	fields := []string{"asns", "btcs", "cves", "domains", "emails", "ipv4s", "ipv6s", "md5s", "sha1s", "sha256s", "sha512s", "ssdeeps", "urls", "xmrs"}
	for _, f := range fields {
		typ := corpusFields[f]
		want := map[string]bool{}
		for _, v := range them.IOCs[f] {
			if typ == ioc.URL {
				// AsciiDoc's `code` and ++passthrough++ marks stick to
				// the end of ioc-extractor's URLs; compare without them.
				v = strings.TrimRight(v, "`+")
			}
			want[canon(typ, v)] = true
		}
		both, onlyThem, onlyUs := 0, 0, 0
		var exThem, exUs []string
		for v := range want {
			if got[typ][v] {
				both++
			} else {
				onlyThem++
				exThem = append(exThem, v)
			}
		}
		for v := range got[typ] {
			if !want[v] {
				onlyUs++
				exUs = append(exUs, v)
			}
		}
		sort.Strings(exThem)
		sort.Strings(exUs)
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", typ, both, onlyThem, onlyUs)
		t.Logf("%s: only ioc-extractor e.g. %q; only culprit e.g. %q", typ, exThem[:min(6, len(exThem))], exUs[:min(6, len(exUs))])
	}
	t.Log("\n" + b.String())
}
