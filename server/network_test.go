package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/netenrich"
	"github.com/culprit-cti/culprit/stix"
)

// networkKnowledge is an open actor whose C2 is 45.77.1.2 and a RED one
// whose C2 is 45.77.9.9, both in AS64496 (two announced /24s).
const networkKnowledge = `{"type":"bundle","id":"bundle--00000700-0000-4000-8000-000000000700","objects":[
{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--00000701-0000-4000-8000-000000000701","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Net Heron"},
{"type":"indicator","spec_version":"2.1","id":"indicator--00000702-0000-4000-8000-000000000702","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.77.1.2']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
{"type":"relationship","spec_version":"2.1","id":"relationship--00000703-0000-4000-8000-000000000703","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--00000702-0000-4000-8000-000000000702","target_ref":"intrusion-set--00000701-0000-4000-8000-000000000701"},
{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--00000704-0000-4000-8000-000000000704","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Crimson Net","object_marking_refs":["` + stix.TLP2Red + `"]},
{"type":"indicator","spec_version":"2.1","id":"indicator--00000705-0000-4000-8000-000000000705","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.77.9.9']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + stix.TLP2Red + `"]},
{"type":"relationship","spec_version":"2.1","id":"relationship--00000706-0000-4000-8000-000000000706","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--00000705-0000-4000-8000-000000000705","target_ref":"intrusion-set--00000704-0000-4000-8000-000000000704","object_marking_refs":["` + stix.TLP2Red + `"]}
]}`

// TestNetworkData checks that the server's network data enrich an
// extracted address and give network evidence to attributions, through
// the caller's level: a GREEN caller never learns of the RED actor's
// network, not even as the netblock it holds.
func TestNetworkData(t *testing.T) {
	net, err := netenrich.Build(strings.NewReader(
		"45.77.1.0,45.77.1.255,64496,Example Hosting\n"+
			"45.77.9.0,45.77.9.255,64496,Example Hosting\n"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Config{Network: net})
	objs, err := stix.ReadAll(strings.NewReader(networkKnowledge), "network knowledge")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Import(context.Background(), kb.Source{Kind: kb.SourceFile, Name: "network.json"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Load(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Extraction: the address carries its network and the data's credit.
	code, _, b := f.do("POST", "reader-green", "/api/extract?name=r.txt", "text/plain", []byte("It beaconed to 45.77.1.50 daily.\n"))
	var ex struct {
		Items []struct {
			Value   string          `json:"value"`
			Network *netenrich.Info `json:"network"`
		} `json:"items"`
	}
	decodeJSON(t, b, &ex)
	var got *netenrich.Info
	for _, it := range ex.Items {
		if it.Value == "45.77.1.50" {
			got = it.Network
		}
	}
	if code != 200 || got == nil || got.ASN != 64496 || got.Network != "45.77.1.0/24" || got.Credit != netenrich.Credit {
		t.Errorf("extract: %d, network of 45.77.1.50 = %+v\n%s", code, got, b)
	}

	// Attribution: an address in each actor's /24.
	const c = "name: neighbours\nindicators:\n  - {type: ipv4-addr, value: 45.77.1.50}\n  - {type: ipv4-addr, value: 45.77.9.50}\n"
	network := func(key string) (map[string][]attrib.Evidence, string) {
		t.Helper()
		code, _, b := f.do("POST", key, "/api/attribute?top=20", "application/yaml", []byte(c))
		if code != 200 {
			t.Fatalf("attribute as %s: %d %s", key, code, b)
		}
		var r attrib.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("attribute as %s: %v\n%s", key, err, b)
		}
		out := map[string][]attrib.Evidence{}
		for _, h := range r.Hypotheses {
			for _, ev := range h.Evidence {
				if strings.HasPrefix(ev.Item, "network of ") {
					out[h.Name] = append(out[h.Name], ev)
				}
			}
		}
		return out, string(b)
	}
	red, _ := network("reader-red")
	if len(red["Net Heron"]) == 0 || len(red["Crimson Net"]) == 0 {
		t.Errorf("RED: network evidence %+v, want some for Net Heron and for Crimson Net", red)
	}
	green, body := network("reader-green")
	if len(green["Net Heron"]) == 0 || len(green) != 1 {
		t.Errorf("GREEN: network evidence %+v, want it for Net Heron only", green)
	}
	for _, hidden := range []string{"Crimson Net", "45.77.9.9", "00000704", "00000705"} {
		if strings.Contains(body, hidden) {
			t.Errorf("GREEN's attribution shows the RED %q:\n%s", hidden, body)
		}
	}
}
