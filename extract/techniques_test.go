package extract

import (
	"sort"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/stix"
)

// TestTechniqueNames finds ATT&CK technique and sub-technique names in a
// text written for the test, with the word-boundary and case rules of
// actor names, each with its sentence.
func TestTechniqueNames(t *testing.T) {
	objs, err := stix.ReadFile(refdata.Path(t, "attack", "enterprise-attack-18.1.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	var pats []Pattern
	for _, o := range objs {
		pats = append(pats, TechniquePatterns(o)...)
		pats = append(pats, PatternsOf(o)...)
	}
	text := "The first e-mails carried a spearphishing attachment. The loader then used Process Injection " +
		"into explorer.exe, and PowerShell scripts ran from a scheduled task.\n\n" +
		"Malware was dropped on servers; the domains were registered with a proxy. " +
		"Nothing here is PowerShellGet or processinjection.example.com. Lazarus Group was blamed."
	items, err := All(strings.NewReader(text), Options{Names: NewMatcher(pats)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, it := range items {
		switch it.Kind {
		case KindTechnique:
			for _, c := range it.Candidates {
				if c.Type != "attack-pattern" || c.ExternalID == "" {
					t.Errorf("%q: candidate %+v, want an attack pattern with its ATT&CK id", it.Text, c)
				}
				got[c.ExternalID] = it.Sentence
			}
		case KindName:
			names = append(names, it.Value)
		case KindStatement:
			if strings.Contains(it.Statement.Subject, "Process") {
				t.Errorf("a technique became the subject of a statement: %+v", it.Statement)
			}
		}
	}
	var ids []string
	for id := range got {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// T1053.005 Scheduled Task, T1055 Process Injection, T1059.001
	// PowerShell, T1566.001 and T1598.002 Spearphishing Attachment (two
	// sub-techniques share the name: both are candidates); not Malware
	// (T1587.001), Domains (T1583.001), Proxy (T1090) or Server: they name
	// things, not behaviours.
	if want := "T1053.005 T1055 T1059.001 T1566.001 T1598.002"; strings.Join(ids, " ") != want {
		t.Errorf("techniques %s, want %s", strings.Join(ids, " "), want)
	}
	if s := got["T1055"]; !strings.HasPrefix(s, "The loader then used Process Injection into explorer.exe") {
		t.Errorf("T1055 sentence %q", s)
	}
	if strings.Join(names, ",") != "Lazarus Group" {
		t.Errorf("names %q, want only Lazarus Group", names)
	}
}
