package stix

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseBriefATTACK: every object of ATT&CK 18.1, as a store holds it
// (ParseObject's Raw), reads briefly as the brief copy of the whole
// decode, and through ParseBrief's own reading, not ParseObject's.
func TestParseBriefATTACK(t *testing.T) {
	objs := decodeATTACK(t, "enterprise-attack-18.1.json.gz")
	refs := 0
	for i := 0; i < len(objs); i += sampleStep() {
		o := objs[i]
		got, ok := parseBrief(o.Raw)
		if !ok {
			t.Fatalf("parseBrief(%s) left it to ParseObject", o.ID)
		}
		if diff := cmp.Diff(o.Brief(), got); diff != "" {
			t.Fatalf("ParseBrief(%s) mismatch (-Brief +ParseBrief):\n%s", o.ID, diff)
		}
		refs += len(got.ExternalReferences)
	}
	if refs == 0 {
		t.Fatal("no external reference read")
	}
}

// TestParseBrief covers what ParseBrief reads itself and what it leaves to
// ParseObject: the result is the brief copy of ParseObject's either way,
// and ParseObject's error for what it rejects.
func TestParseBrief(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		own  bool // read by parseBrief itself
	}{
		{"technique", sdo("attack-pattern", `"name":"Phishing","description":"long \"text\"","x_mitre_deprecated":true,"object_marking_refs":["marking-definition--`+uuid4+`"],"external_references":[{"source_name":"mitre-attack","external_id":"T1566","url":"https://attack.mitre.org/techniques/T1566"},{"source_name":"cite","description":"(Citation: x)","hashes":{"MD5":"d41d8cd98f00b204e9800998ecf8427e"}}]`), true},
		{"relationship", sdo("relationship", `"relationship_type":"uses","source_ref":"intrusion-set--`+uuid4+`","target_ref":"attack-pattern--`+uuid4+`","revoked":true,"created_by_ref":"identity--`+uuid4+`"`), true},
		{"report refs", sdo("report", `"name":"R","published":"2016-04-06T20:03:00.000Z","object_refs":["malware--`+uuid4+`"]`), true},
		{"custom type keeps no specific property", `{"type":"x-custom","spec_version":"2.1","id":"x-custom--` + uuid4 + `",` + ts + `,"source_ref":"malware--` + uuid4 + `","name":"c"}`, true},
		{"no references", sdo("tool", `"name":"T","external_references":[]`), true},
		{"escaped name", sdo("tool", `"name":"T\u00e9"`), true},
		{"escaped key in a reference", sdo("tool", `"name":"T","external_references":[{"source_name":"mitre-attack","external\u005fid":"S0001"}]`), false},
		{"duplicate key in a reference", sdo("tool", `"name":"T","external_references":[{"source_name":"a","external_id":"S1","external_id":"S2"}]`), false},
		{"null in a reference", sdo("tool", `"name":"T","external_references":[{"source_name":"a","url":null}]`), false},
		{"spaces around references", sdo("tool", `"name":"T","external_references": [ {"source_name":"a"} , {"source_name":"b"} ] `), true},
		{"invalid JSON", `{"type":"tool",`, false},
		{"not a reference", sdo("tool", `"name":"T","external_references":["x"]`), false},
		{"number where a name is", sdo("tool", `"name":1`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.raw)
			if _, own := parseBrief(raw); own != tt.own {
				t.Errorf("parseBrief read it itself: %v, want %v", own, tt.own)
			}
			want, wantErr := ParseObject(raw)
			got, err := ParseBrief(raw)
			if wantErr != nil {
				var de *DecodeError
				if err == nil || !errors.As(err, &de) || err.Error() != wantErr.Error() {
					t.Fatalf("ParseBrief = %v, %v; want ParseObject's error %v", got, err, wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBrief: %v", err)
			}
			w := want.Brief()
			if tt.own {
				w.Raw = raw // not compacted: raw itself
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("ParseBrief mismatch (-ParseObject.Brief +ParseBrief):\n%s", diff)
			}
			if got.Description != "" || got.Aliases != nil || got.KillChainPhases != nil {
				t.Errorf("ParseBrief filled what it leaves out: %+v", got)
			}
		})
	}
}

// FuzzParseBrief checks that ParseBrief never panics and that it reads
// whatever ParseObject accepts, as stored, as the brief copy of
// ParseObject's object.
func FuzzParseBrief(f *testing.F) {
	f.Add([]byte(okObject))
	f.Add([]byte(sdo("attack-pattern", `"name":"P","external_references":[{"source_name":"mitre-attack","external_id":"T1","url":"u"},{"source_name":"c","description":"d"}]`)))
	f.Add([]byte(sdo("relationship", `"relationship_type":"uses","source_ref":"intrusion-set--`+uuid4+`","target_ref":"tool--`+uuid4+`"`)))
	addExampleSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseBrief(data) // must not panic, whatever data is
		o, err := ParseObject(data)
		if err != nil {
			return
		}
		got, err := ParseBrief(o.Raw)
		if err != nil {
			t.Fatalf("ParseBrief(%s) = %v; ParseObject accepts it", o.Raw, err)
		}
		if diff := cmp.Diff(o.Brief(), got); diff != "" {
			t.Fatalf("ParseBrief(%s) mismatch (-Brief +ParseBrief):\n%s", o.Raw, diff)
		}
	})
}

// BenchmarkParseBrief reads the stored form of ATT&CK 18.1's techniques
// and "uses" relationships (what an actor card reads) with ParseObject and
// with ParseBrief.
func BenchmarkParseBrief(b *testing.B) {
	d := NewDecoder(bytes.NewReader(readAttack(b, "enterprise-attack-18.1.json.gz")), "attack")
	var raws [][]byte
	for {
		o, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if o.Type == "attack-pattern" || o.RelationshipType == "uses" {
			raws = append(raws, o.Raw)
		}
	}
	for _, p := range []struct {
		name  string
		parse func([]byte) (*Object, error)
	}{{"ParseObject", ParseObject}, {"ParseBrief", ParseBrief}} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := p.parse(raws[i%len(raws)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
