package stix

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	uuid4 = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	ts    = `"created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z"`
)

// sdo returns a 2.1 object of type typ with the given extra properties.
func sdo(typ, extra string) string {
	s := `{"type":"` + typ + `","spec_version":"2.1","id":"` + typ + `--` + uuid4 + `",` + ts
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

// sco returns a 2.1 SCO of type typ with the given extra properties.
func sco(typ, extra string) string {
	s := `{"type":"` + typ + `","id":"` + typ + `--` + uuid4 + `"`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func TestParseObjectValid(t *testing.T) {
	ref := `"object_refs":["campaign--` + uuid4 + `"]`
	tests := []struct {
		name string
		in   string
		kind Kind
	}{
		{"attack-pattern", sdo("attack-pattern", `"name":"x"`), KindSDO},
		{"campaign", sdo("campaign", `"name":"x"`), KindSDO},
		{"course-of-action", sdo("course-of-action", `"name":"x"`), KindSDO},
		{"grouping", sdo("grouping", `"context":"suspicious-activity",`+ref), KindSDO},
		{"identity", sdo("identity", `"name":"x","identity_class":"organization"`), KindSDO},
		{"incident", sdo("incident", `"name":"x"`), KindSDO},
		{"indicator", sdo("indicator", `"pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix","valid_from":"2016-04-06T20:03:00Z"`), KindSDO},
		{"infrastructure", sdo("infrastructure", `"name":"x"`), KindSDO},
		{"intrusion-set", sdo("intrusion-set", `"name":"x","aliases":["y"]`), KindSDO},
		{"location", sdo("location", `"country":"KP"`), KindSDO},
		{"location lat long", sdo("location", `"latitude":1.5,"longitude":2`), KindSDO},
		{"malware family", sdo("malware", `"name":"x","is_family":true`), KindSDO},
		{"malware instance without name", sdo("malware", `"is_family":false`), KindSDO},
		{"malware-analysis", sdo("malware-analysis", `"product":"av","result":"malicious"`), KindSDO},
		{"note", sdo("note", `"content":"x",`+ref), KindSDO},
		{"observed-data", sdo("observed-data", `"first_observed":"2016-04-06T20:03:00Z","last_observed":"2016-04-06T20:03:00Z","number_observed":1,`+ref), KindSDO},
		{"opinion", sdo("opinion", `"opinion":"agree",`+ref), KindSDO},
		{"report", sdo("report", `"name":"x","published":"2016-04-06T20:03:00Z",`+ref), KindSDO},
		{"threat-actor", sdo("threat-actor", `"name":"x"`), KindSDO},
		{"tool", sdo("tool", `"name":"x"`), KindSDO},
		{"vulnerability", sdo("vulnerability", `"name":"CVE-2014-0160"`), KindSDO},
		{"relationship", sdo("relationship", `"relationship_type":"uses","source_ref":"campaign--`+uuid4+`","target_ref":"malware--`+uuid4+`"`), KindSRO},
		{"sighting", sdo("sighting", `"sighting_of_ref":"indicator--`+uuid4+`","where_sighted_refs":["identity--`+uuid4+`"]`), KindSRO},
		{"ipv4-addr", sco("ipv4-addr", `"value":"198.51.100.0/24"`), KindSCO},
		{"ipv6-addr", sco("ipv6-addr", `"value":"2001:db8::1"`), KindSCO},
		{"domain-name", sco("domain-name", `"value":"example.com"`), KindSCO},
		{"url", sco("url", `"value":"https://example.com/x"`), KindSCO},
		{"email-addr", sco("email-addr", `"value":"a@example.com"`), KindSCO},
		{"file with fuzzy hashes", sco("file", `"hashes":{"SHA-256":"`+strings.Repeat("ab", 32)+`","TLSH":"T1`+strings.Repeat("0F", 35)+`","SSDEEP":"96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO"}`), KindSCO},
		{"file with name only", sco("file", `"name":"a.exe"`), KindSCO},
		{"autonomous-system", sco("autonomous-system", `"number":15139`), KindSCO},
		{"x509-certificate", sco("x509-certificate", `"serial_number":"36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06"`), KindSCO},
		{"TLP 1.0 white", `{"type":"marking-definition","spec_version":"2.1","id":"` + TLPWhite + `","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:WHITE","definition":{"tlp":"white"}}`, KindMarking},
		{"TLP 2.0 amber+strict", `{"type":"marking-definition","spec_version":"2.1","id":"` + TLP2AmberStrict + `","created":"2022-10-01T00:00:00.000Z","name":"TLP:AMBER+STRICT","extensions":{"` + TLP2Extension + `":{"extension_type":"property-extension","tlp_2_0":"amber+strict"}}}`, KindMarking},
		{"statement marking", `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--` + uuid4 + `","created":"2017-01-20T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright"}}`, KindMarking},
		{"custom object", sdo("x-mitre-tactic", `"x_mitre_shortname":"execution"`), KindUnknown},
		{"custom object with odd value", `{"type":"x-thing","spec_version":"2.1","id":"x-thing--` + uuid4 + `","value":{"a":1},"hashes":[1]}`, KindUnknown},
		{"spec type not modelled", sco("mutex", `"name":"x"`), KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseObject([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseObject(%s) = %v", tt.in, err)
			}
			if o.Kind() != tt.kind {
				t.Errorf("Kind = %v, want %v", o.Kind(), tt.kind)
			}
			if string(o.Raw) != tt.in {
				t.Errorf("Raw = %s, want the input unchanged", o.Raw)
			}
		})
	}
}

func TestParseObjectFields(t *testing.T) {
	in := `{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--` + uuid4 + `","created":"2016-04-06T20:03:00.000Z","modified":"2017-04-06T20:03:00.5Z","created_by_ref":"identity--` + uuid4 + `",` +
		`"name":"Lazarus Group","description":"d","aliases":["Lazarus Group","HIDDEN COBRA"],"x_mitre_aliases":["HIDDEN COBRA","Guardians of Peace"],"revoked":true,"x_mitre_deprecated":true,"confidence":85,"labels":["l"],` +
		`"external_references":[{"source_name":"mitre-attack","external_id":"G0032","url":"https://attack.mitre.org/groups/G0032"}],"object_marking_refs":["` + TLPWhite + `"],"kill_chain_phases":[{"kill_chain_name":"k","phase_name":"p"}]}`
	o, err := ParseObject([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	c := 85
	want := &Object{
		Type: "intrusion-set", ID: "intrusion-set--" + uuid4, SpecVersion: "2.1",
		Created:     time.Date(2016, 4, 6, 20, 3, 0, 0, time.UTC),
		Modified:    time.Date(2017, 4, 6, 20, 3, 0, 5e8, time.UTC),
		CreatedBy:   "identity--" + uuid4,
		Name:        "Lazarus Group",
		Description: "d",
		Aliases:     []string{"Lazarus Group", "HIDDEN COBRA", "Guardians of Peace"},
		Revoked:     true, Deprecated: true, Confidence: &c, Labels: []string{"l"},
		ExternalReferences: []ExternalReference{{SourceName: "mitre-attack", ExternalID: "G0032", URL: "https://attack.mitre.org/groups/G0032"}},
		ObjectMarkingRefs:  []string{TLPWhite},
		KillChainPhases:    []KillChainPhase{{KillChainName: "k", PhaseName: "p"}},
		Raw:                []byte(in),
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("ParseObject (-want +got):\n%s", diff)
	}
	if got := o.ExternalID("mitre-attack"); got != "G0032" {
		t.Errorf("ExternalID = %q, want G0032", got)
	}
	if label, v, ok := TLP(o.ObjectMarkingRefs[0]); label != "TLP:WHITE" || v != 1 || !ok {
		t.Errorf("TLP(%s) = %q, %d, %v", o.ObjectMarkingRefs[0], label, v, ok)
	}
}

func TestParseObjectInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"not JSON", `{"type":`, "invalid JSON"},
		{"array", `[]`, "not a JSON object"},
		{"type too short", `{"type":"ab","id":"ab--` + uuid4 + `"}`, "invalid type"},
		{"type with capital", `{"type":"Campaign","id":"Campaign--` + uuid4 + `"}`, "invalid type"},
		{"type with --", `{"type":"x--y","id":"x--y--` + uuid4 + `"}`, "invalid type"},
		{"id without --", `{"type":"campaign","id":"campaign-` + uuid4 + `"}`, "invalid id"},
		{"uuid variant", sdo("campaign", `"name":"x"`)[0:0] + strings.Replace(sdo("campaign", `"name":"x"`), "938f", "738f", 1), "not an RFC 4122 UUID"},
		{"property name upper case", sdo("campaign", `"Name":"x"`), "invalid property name"},
		{"property name escaped", sdo("campaign", `"na\u006de":"x"`), "invalid property name"},
		{"spec_version number", strings.Replace(sdo("campaign", `"name":"x"`), `"2.1"`, `2.1`, 1), `property "spec_version"`},
		{"modified before created", strings.Replace(sdo("campaign", `"name":"x"`), `"modified":"2016`, `"modified":"2015`, 1), "before"},
		{"timestamp with offset", strings.Replace(sdo("campaign", `"name":"x"`), `00.000Z"`, `00.000+01:00"`, 1), "invalid timestamp"},
		{"confidence out of range", sdo("campaign", `"name":"x","confidence":101`), "out of range"},
		{"campaign without name", sdo("campaign", ""), `missing "name"`},
		{"malware without is_family", sdo("malware", `"name":"x"`), `missing "is_family"`},
		{"malware family without name", sdo("malware", `"is_family":true`), `missing "name"`},
		{"indicator without pattern_type", sdo("indicator", `"pattern":"[x]","valid_from":"2016-04-06T20:03:00Z"`), `missing "pattern_type"`},
		{"indicator without valid_from", sdo("indicator", `"pattern":"[x]","pattern_type":"stix"`), `missing "valid_from"`},
		{"report without object_refs", sdo("report", `"name":"x","published":"2016-04-06T20:03:00Z"`), `missing "object_refs"`},
		{"report bad object_refs", sdo("report", `"name":"x","published":"2016-04-06T20:03:00Z","object_refs":["x"]`), `object_refs[0]: invalid identifier`},
		{"opinion bad value", sdo("opinion", `"opinion":"maybe","object_refs":["campaign--`+uuid4+`"]`), `"opinion"`},
		{"note without content", sdo("note", `"object_refs":["campaign--`+uuid4+`"]`), `missing "content"`},
		{"location without place", sdo("location", `"name":"x"`), `missing "region"`},
		{"observed-data count 0", sdo("observed-data", `"first_observed":"2016-04-06T20:03:00Z","last_observed":"2016-04-06T20:03:00Z","number_observed":0,"object_refs":["ipv4-addr--`+uuid4+`"]`), "number_observed"},
		{"sighting without sighting_of_ref", sdo("sighting", ""), `missing "sighting_of_ref"`},
		{"relationship without type", sdo("relationship", `"source_ref":"campaign--`+uuid4+`","target_ref":"campaign--`+uuid4+`"`), `missing "relationship_type"`},
		{"SDO without modified", strings.Replace(sdo("tool", `"name":"x"`), `,"modified":"2016-04-06T20:03:00.000Z"`, "", 1), `missing "modified"`},
		{"bad created_by_ref", sdo("tool", `"name":"x","created_by_ref":"me"`), "created_by_ref"},
		{"bad marking ref", sdo("tool", `"name":"x","object_marking_refs":["tlp:white"]`), "object_marking_refs[0]"},
		{"external reference without source", sdo("tool", `"name":"x","external_references":[{"url":"https://x"}]`), "source_name"},
		{"ipv4 with v6 value", sco("ipv4-addr", `"value":"::1"`), "not an ipv4 address"},
		{"ipv4 garbage", sco("ipv4-addr", `"value":"1.2.3"`), "not an IP address"},
		{"ipv6 with v4 value", sco("ipv6-addr", `"value":"10.0.0.1"`), "not an ipv6 address"},
		{"url without value", sco("url", ""), `missing "value"`},
		{"file without hashes or name", sco("file", `"size":1`), `missing "hashes" or "name"`},
		{"bad SHA-256", sco("file", `"hashes":{"SHA-256":"abc"}`), "invalid SHA-256"},
		{"bad TLSH", sco("file", `"hashes":{"TLSH":"T1XYZ"}`), "invalid TLSH"},
		{"bad SSDEEP", sco("file", `"hashes":{"SSDEEP":"abc"}`), "invalid SSDEEP"},
		{"AS number negative", sco("autonomous-system", `"number":-1`), "not an AS number"},
		{"x509 empty", sco("x509-certificate", ""), "x509-certificate without"},
		{"TLP white with red content", `{"type":"marking-definition","spec_version":"2.1","id":"` + TLPWhite + `","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"red"}}`, "predefined TLP 1.0"},
		{"TLP 2 red with clear level", `{"type":"marking-definition","spec_version":"2.1","id":"` + TLP2Red + `","created":"2022-10-01T00:00:00.000Z","extensions":{"` + TLP2Extension + `":{"extension_type":"property-extension","tlp_2_0":"clear"}}}`, "TLP 2.0 marking"},
		{"marking without definition", `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--` + uuid4 + `","created":"2017-01-20T00:00:00.000Z"}`, "definition"},
		{"unknown spec_version", strings.Replace(sdo("campaign", `"name":"x"`), `"2.1"`, `"2.2"`, 1), `unknown spec_version "2.2"`},
		{"custom object bad created", `{"type":"x-a-b","id":"x-a-b--` + uuid4 + `","created":"yesterday"}`, "invalid timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseObject([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseObject(%s) = %s, want an error with %q", tt.in, o.Raw, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset != -1 || de.File != "" {
				t.Errorf("error %v: want a *DecodeError without file and offset", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseObject(%s) = %v, want an error with %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindUnknown: "unknown", KindSDO: "SDO", KindSRO: "SRO", KindSCO: "SCO", KindMarking: "marking-definition"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestTLP(t *testing.T) {
	tests := []struct {
		id      string
		label   string
		version int
	}{
		{TLPWhite, "TLP:WHITE", 1}, {TLPGreen, "TLP:GREEN", 1}, {TLPAmber, "TLP:AMBER", 1}, {TLPRed, "TLP:RED", 1},
		{TLP2Clear, "TLP:CLEAR", 2}, {TLP2Green, "TLP:GREEN", 2}, {TLP2Amber, "TLP:AMBER", 2},
		{TLP2AmberStrict, "TLP:AMBER+STRICT", 2}, {TLP2Red, "TLP:RED", 2},
		{"marking-definition--" + uuid4, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			label, v, ok := TLP(tt.id)
			if label != tt.label || v != tt.version || ok != (tt.version != 0) {
				t.Errorf("TLP(%s) = %q, %d, %v; want %q, %d", tt.id, label, v, ok, tt.label, tt.version)
			}
			if ok && !IsIdentifier(tt.id) {
				t.Errorf("%s is not a valid identifier", tt.id)
			}
		})
	}
}
