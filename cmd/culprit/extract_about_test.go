package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
	"github.com/culprit-cti/culprit/stix"
)

// culprit extract --about: a report on APT28 becomes knowledge about it;
// once imported, a case like the report ranks APT28 higher.
func TestExtractAbout(t *testing.T) {
	c := newKBCLI(t)
	dir := t.TempDir()
	starter := filepath.Join(dir, "starter.json")
	if err := os.WriteFile(starter, examples.StarterKnowledge(), 0o644); err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "import", starter)
	report := filepath.Join("testdata", "extract", "apt28-report.txt")
	caseFile := filepath.Join(dir, "case.yaml")
	// A later incident like the one the report describes.
	if err := os.WriteFile(caseFile, []byte("name: later\ntechniques:\n  - {id: T1570}\n  - {id: T1571}\n  - {id: T1562.004}\n"+
		"indicators:\n  - {type: ipv4-addr, value: 203.0.113.77}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rank := func() (int, attrib.Result) {
		var res attrib.Result
		if err := json.Unmarshal([]byte(c.mustRun("", "attribute", "--json", caseFile)), &res); err != nil {
			t.Fatal(err)
		}
		for i, h := range res.Hypotheses {
			if h.Name == "APT28" {
				return i, res
			}
		}
		return len(res.Hypotheses), res
	}
	before, _ := rank()

	out := c.mustRun("", "extract", "--about", "G0007", "--format", "stix", "--time", "2026-01-02T03:04:05Z", report)
	objs, err := stix.ReadAll(strings.NewReader(out), "about")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var prov bool
	for _, o := range objs {
		k := o.Type
		if o.Type == "relationship" {
			k = o.RelationshipType
			if o.Confidence == nil || *o.Confidence != aboutConfidence {
				t.Errorf("%s %s: confidence %v, want %d", o.RelationshipType, o.ID, o.Confidence, aboutConfidence)
			}
		}
		counts[k]++
		if o.Type == "report" {
			for _, r := range o.ExternalReferences {
				prov = prov || r.ExternalID == "apt28-report.txt" && len(r.Hashes["SHA-256"]) == 64
			}
		}
	}
	// 3 techniques; 3 indicators (the address, the domain, the hash).
	if counts["report"] != 1 || counts["campaign"] != 1 || counts["attributed-to"] != 1 || counts["uses"] != 3 || counts["indicates"] != 3 {
		t.Errorf("objects %v, want a report, a campaign attributed-to APT28, 3 uses and 3 indicates", counts)
	}
	if !prov {
		t.Error("the report has no external reference with the file's name and SHA-256")
	}
	bundle := filepath.Join(dir, "about.json")
	if err := os.WriteFile(bundle, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "import", bundle)
	after, res := rank()
	if after >= before || after != 0 {
		t.Errorf("APT28 ranked %d before the report and %d after, want first after (hypotheses %+v)", before, after, res.Hypotheses)
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"extract", "--about", "Nobody Group", "--format", "stix", report}, "no actor of that name"},
		{[]string{"extract", "--about", "APT28", report}, "give --format stix"},
		{[]string{"extract", "--about", "APT28", "--format", "stix", "-"}, "not standard input"},
	} {
		if code, _, stderr := c.run("", tc.args...); code == 0 || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q, want an error saying %q", tc.args, code, stderr, tc.msg)
		}
	}
	// An ambiguous actor: two intrusion sets of one alias (and nothing else
	// in common).
	twins := filepath.Join(dir, "twins.json")
	if err := os.WriteFile(twins, []byte(`{"type":"bundle","id":"bundle--5b1c5a2e-0d1f-4a4e-9d47-0c2a1b3c4d5e","objects":[
{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--1b1c5a2e-0d1f-4a4e-9d47-0c2a1b3c4d5e","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Red Heron","aliases":["Twin Panda"]},
{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--2b1c5a2e-0d1f-4a4e-9d47-0c2a1b3c4d5e","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Blue Stork","aliases":["Twin Panda"]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c.mustRun("", "import", twins)
	if code, _, stderr := c.run("", "extract", "--about", "Twin Panda", "--format", "stix", report); code == 0 ||
		!strings.Contains(stderr, "ambiguous") || !strings.Contains(stderr, "Red Heron") || !strings.Contains(stderr, "Blue Stork") {
		t.Errorf("ambiguous --about: exit %d, stderr %q, want an error naming both", code, stderr)
	}

	refdata.Path(t, "stix") // the OASIS schemas: skips here, after the checks above, where they are absent
	stixschema.Validate(t, []byte(out))
}
