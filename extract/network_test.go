package extract

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/netenrich"
)

// TestNetworkEnrichment checks that Options.Network fills Item.Network
// for addresses (also in a URL's host), and the registrable domain of
// hosts, on AS data written for the test (documentation ranges).
func TestNetworkEnrichment(t *testing.T) {
	db, err := netenrich.Build(strings.NewReader("192.0.2.0,192.0.2.255,64496,Example Hosting\n198.51.100.0,198.51.100.255,64497,Example VPN\n"),
		strings.NewReader("2001:db8::,2001:db8::ffff,64498,Example IPv6\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	text := "The implant beacons to 192.0.2.10 and hxxp://198.51.100.7/gate.php, " +
		"then to 2001:db8::5 and cdn.evil.example.co.uk; mail from ops@mx.example.org; example.com is plain; 203.0.113.9 is unknown."
	items, err := All(strings.NewReader(text), Options{Network: db, NoStatements: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range items {
		if it.Network != nil {
			got[string(it.Kind)+" "+it.Value] = it.Network.String()
		}
	}
	want := map[string]string{
		"ipv4-addr 192.0.2.10":               "AS64496 Example Hosting (192.0.2.0/24)",
		"ipv4-addr 198.51.100.7":             "AS64497 Example VPN (198.51.100.0/24)",
		"url http://198.51.100.7/gate.php":   "AS64497 Example VPN (198.51.100.0/24)",
		"ipv6-addr 2001:db8::5":              "AS64498 Example IPv6 (2001:db8::/112)",
		"domain-name cdn.evil.example.co.uk": "registrable domain example.co.uk",
		"email-addr ops@mx.example.org":      "registrable domain example.org",
		"domain-name mx.example.org":         "registrable domain example.org",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("enrichment (-want +got):\n%s", diff)
	}
	plain, _ := All(strings.NewReader(text), Options{NoStatements: true})
	for _, it := range plain {
		if it.Network != nil {
			t.Errorf("without Options.Network, %s has %+v", it.Value, it.Network)
		}
	}
}
