package extract

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/ioc"
)

// TestTraps measures the classic false positives on the ESET write-ups:
// domains that are file names, version strings taken for addresses, and
// the author's own domains (ESET's), with and without warninglists. The
// figures are in testdata/traps.golden and docs/extraction.md.
func TestTraps(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(refdata.Path(t, "ioc", "eset-malware-ioc"), "*", "README.adoc"))
	sort.Strings(files)
	var text []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text = append(append(text, b...), '\n')
	}
	lists, err := LoadWarninglists(refdata.Path(t, "misp-warninglists", "lists"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, run := range []struct {
		name string
		opt  Options
	}{
		{"no warninglists, no own domains", Options{NoStatements: true}},
		{"own domains eset.com, welivesecurity.com", Options{NoStatements: true, OwnDomains: []string{"eset.com", "welivesecurity.com"}}},
		{"own domains and the 39 warninglists", Options{NoStatements: true, OwnDomains: []string{"eset.com", "welivesecurity.com"}, Warninglists: lists}},
	} {
		st := &Stats{}
		run.opt.Stats = st
		items, err := All(bytes.NewReader(text), run.opt)
		if err != nil {
			t.Fatal(err)
		}
		domains, marked := map[string]bool{}, map[string]bool{}
		byList := map[string]int{}
		for _, it := range items {
			if it.Kind != Kind(ioc.Domain) {
				continue
			}
			domains[it.Value] = true
			if len(it.Benign) > 0 {
				marked[it.Value] = true
				for _, b := range it.Benign {
					byList[b]++
				}
			}
		}
		fmt.Fprintf(&out, "%s: %d distinct domains, %d marked probably benign\n", run.name, len(domains), len(marked))
		var keys []string
		for k := range byList {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&out, "  domain mentions marked by %s: %d\n", k, byList[k])
		}
		keys = keys[:0]
		for k := range st.Traps {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&out, "  trap %s: %d\n", k, st.Traps[k])
		}
	}
	golden(t, "traps.golden", out.String())
}
