package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
)

// testNetData writes offline network data in the layout culprit sync
// leaves: the starter knowledge's Lazarus C2 203.131.222.102 is in
// 203.131.222.0/24 of AS64500, which also announces 203.131.223.0/24.
func testNetData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "asn"), 0o755); err != nil {
		t.Fatal(err)
	}
	csv := "203.131.222.0,203.131.222.255,64500,Example Thai Hosting\n" +
		"203.131.223.0,203.131.223.255,64500,Example Thai Hosting\n"
	if err := os.WriteFile(filepath.Join(dir, "asn", "asn-ipv4.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// networkCase is a case whose only indicator is a neighbour of a known C2
// address: never an exact match, at most a shared network.
const networkCase = `name: neighbour of a known C2
techniques: [T1059]
indicators:
  - {type: ipv4-addr, value: 203.131.222.50, source: test}
`

func TestAttributeNetworkEvidence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.yaml")
	if err := os.WriteFile(path, []byte(networkCase), 0o644); err != nil {
		t.Fatal(err)
	}
	netdata := testNetData(t)
	attribute := func(args ...string) (attrib.Evidence, bool, string) {
		t.Helper()
		code, out, errOut := runCLI(t, append([]string{"attribute", "--format", "json", "--top", "20"}, append(args, path)...)...)
		if code != 0 {
			t.Fatalf("culprit attribute %q: exit %d\n%s", args, code, errOut)
		}
		var r attrib.Result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not a result: %v\n%s", err, out)
		}
		for _, h := range r.Hypotheses {
			for _, ev := range h.Evidence {
				if strings.HasPrefix(ev.Item, "network of ") {
					if h.ExternalID != "G0032" {
						t.Errorf("network evidence for %s (%s): %+v, want it only for Lazarus Group", h.Name, h.ExternalID, ev)
					}
					return ev, true, out
				}
			}
		}
		return attrib.Evidence{}, false, out
	}

	ev, ok, out := attribute("--netdata", netdata)
	if !ok {
		t.Fatalf("with --netdata: no network evidence\n%s", out)
	}
	if ev.Item != "network of 203.131.222.50" || ev.Cost != "cheap" || ev.Weight <= 0 ||
		!strings.Contains(ev.Detail, "203.131.222.0/24") || !strings.Contains(ev.Detail, "ip-location-db") {
		t.Errorf("network evidence = %+v, want the netblock as cheap weak evidence with the data's credit", ev)
	}
	if _, ok, out := attribute(); ok {
		t.Errorf("without network data: network evidence\n%s", out)
	}

	// A directory named explicitly that holds no data is an error that
	// says what to do, not a silent run without the evidence.
	code, _, errOut := runCLI(t, "attribute", "--netdata", t.TempDir(), path)
	if code == 0 || !strings.Contains(errOut, "culprit sync") {
		t.Errorf("--netdata of an empty directory: exit %d, stderr %q; want a failure naming culprit sync", code, errOut)
	}
}

func TestExtractCaseFileNetwork(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.txt")
	text := "The implant beaconed to 203.131.222[.]50 over port 443.\n"
	if err := os.WriteFile(report, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "extract", "--netdata", testNetData(t), report)
	if code != 0 {
		t.Fatalf("culprit extract: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"# Networks of addresses (offline): RouteViews, NRO, DB-IP (CC BY 4.0); IPtoASN (PDDL); via ip-location-db.\n",
		`value: "203.131.222.50"`,
		"AS64500 Example Thai Hosting",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("case file lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "extract", report)
	if code != 0 || strings.Contains(out, "Networks of addresses") || strings.Contains(out, "AS64500") {
		t.Errorf("without network data: exit %d\n%s", code, out)
	}
}
