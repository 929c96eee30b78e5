package attrib_test

import (
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/netenrich"
)

// testNetwork is AS data written for the test: Group A's known C2
// (45.77.1.2, through its malware) is in AS64496's 45.77.1.0/24, which
// announces 45.77.2.0-45.77.255.255 too; AS64497 holds Google's resolver
// 8.8.8.8, on the built-in shared list, so it is a hosting network.
func testNetwork(t *testing.T) *netenrich.DB {
	t.Helper()
	d, err := netenrich.Build(strings.NewReader(
		"45.77.1.0,45.77.1.255,64496,Example Hosting\n"+
			"45.77.2.0,45.77.255.255,64496,Example Hosting\n"+
			"8.8.8.0,8.8.9.255,64497,Example Resolver Cloud\n"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// networkEvidence returns the network evidence of the hypothesis named.
func networkEvidence(res *attrib.Result, name string) []attrib.Evidence {
	var out []attrib.Evidence
	for _, h := range res.Hypotheses {
		if h.Name != name {
			continue
		}
		for _, e := range h.Evidence {
			if strings.HasPrefix(e.Item, "network of ") {
				out = append(out, e)
			}
		}
	}
	return out
}

func probOf(res *attrib.Result, name string) float64 {
	for _, h := range res.Hypotheses {
		if h.Name == name {
			return h.Probability
		}
	}
	return 0
}

func TestNetworkEvidence(t *testing.T) {
	f := newFixture(t)
	net := testNetwork(t)
	run := func(n attrib.Network, addrs ...string) *attrib.Result {
		t.Helper()
		c := &casefile.Case{Name: "net", Techniques: items("T1059")}
		for _, a := range addrs {
			c.Indicators = append(c.Indicators, casefile.Indicator{Type: "ipv4-addr", Value: a})
		}
		res, err := f.k.Attribute(c, attrib.Options{Network: n, Explain: 20})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// Same netblock as A's C2: weak evidence for A, and only A.
	without, with := run(nil, "45.77.1.99"), run(net, "45.77.1.99")
	ev := networkEvidence(with, "Group A")
	if len(ev) != 1 || ev[0].Matched != "netblock 45.77.1.0/24 of AS64496 Example Hosting" || ev[0].Cost != "cheap" {
		t.Fatalf("evidence for A = %+v, want one cheap netblock item", ev)
	}
	if len(networkEvidence(with, "Group B")) != 0 {
		t.Error("B got network evidence")
	}
	if len(networkEvidence(without, "Group A")) != 0 {
		t.Error("network evidence without network data")
	}
	pa0, pa1 := probOf(without, "Group A"), probOf(with, "Group A")
	if !(pa1 > pa0) || pa1 > 0.9 {
		t.Errorf("P(A) %.3f without the network, %.3f with: want higher, and not near certainty (weak evidence)", pa0, pa1)
	}
	t.Logf("P(A) %.3f without the network data, %.3f with (netblock evidence weight %.3f)", pa0, pa1, ev[0].Weight)
	netblockW := ev[0].Weight

	// Same AS, another prefix: weaker still.
	ev = networkEvidence(run(net, "45.77.200.1"), "Group A")
	if len(ev) != 1 || !strings.HasPrefix(ev[0].Matched, "AS64496 ") || !(ev[0].Weight < netblockW) || ev[0].Weight <= 0 {
		t.Errorf("same AS: %+v, want one item weaker than the netblock's %.3f", ev, netblockW)
	}

	// Two addresses of one network are one choice of hosting: one item.
	ev = networkEvidence(run(net, "45.77.1.98", "45.77.1.97", "45.77.99.1"), "Group A")
	if len(ev) != 1 || ev[0].Item != "network of 45.77.1.98, 45.77.1.97, 45.77.99.1" || ev[0].Weight != netblockW {
		t.Errorf("three addresses in one AS: %+v, want one netblock item", ev)
	}

	// The exact address: the exact match only.
	res := run(net, "45.77.1.2")
	if ev := networkEvidence(res, "Group A"); len(ev) != 0 {
		t.Errorf("exact match also gave network evidence: %+v", ev)
	}

	// A network that holds shared infrastructure (B's 8.8.8.8 is Google
	// Public DNS on the built-in list): no evidence, said so.
	res = run(net, "8.8.9.1")
	if ev := networkEvidence(res, "Group B"); len(ev) != 0 {
		t.Errorf("hosting network gave evidence: %+v", ev)
	}
	if !hasWarning(res, "AS64497 Example Resolver Cloud, a network that holds shared infrastructure (Google Public DNS)") {
		t.Errorf("warnings = %q, want the hosting network named", res.Warnings)
	}
	// An address on a warninglist itself is no network evidence either.
	shared := attrib.BuiltinShared()
	res, err := f.k.Attribute(&casefile.Case{Name: "private", Indicators: []casefile.Indicator{{Type: "ipv4-addr", Value: "10.1.2.3"}}},
		attrib.Options{Network: net, Shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hypotheses {
		if len(networkEvidence(res, h.Name)) > 0 {
			t.Errorf("private address gave network evidence for %s", h.Name)
		}
	}
}
