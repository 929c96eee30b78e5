package extract

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/stix"
)

func starterMatcher(t testing.TB, extra ...Pattern) *Matcher {
	t.Helper()
	objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter knowledge")
	if err != nil {
		t.Fatal(err)
	}
	pats := extra
	for _, o := range objs {
		pats = append(pats, PatternsOf(o)...)
	}
	return NewMatcher(pats)
}

// TestSonyArticle runs the extractor over a news article written for this
// test (not copied) about the 2014 Sony Pictures attack, with the facts of
// examples/sony-2014/README.md.
func TestSonyArticle(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "sony-news.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := starterMatcher(t, Pattern{Name: "Turla", ID: "intrusion-set--turla", Type: "intrusion-set"})
	items, err := All(bytes.NewReader(text), Options{Names: m, OwnDomains: []string{"example-security.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	for _, it := range items {
		if got := string(text[it.Offset : it.Offset+int64(len(it.Text))]); it.Kind != KindStatement && got != it.Text {
			t.Errorf("%s %q at offset %d: the input there is %q", it.Kind, it.Text, it.Offset, got)
		}
		if err := enc.Encode(it); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "sony-news.golden", buf.String())

	// The statements the article makes, each with its kind and hedging.
	type want struct {
		subject, typ, source, hedge, context string
	}
	wants := []want{
		{subject: "Guardians of Peace", typ: StatementSelfClaim},
		{subject: "North Korea", typ: StatementOfficial, source: "The United States government"},
		{subject: "Unit 121", typ: StatementPress, hedge: "strongly suspected"},
		{subject: "DarkSeoul", typ: StatementInvestigator, source: "A private cyber-security investigator", context: "St. Regis Hotel"},
		{subject: "DarkSeoul", hedge: "not yet clear"},
		{subject: "Lazarus Group", hedge: "is believed to"},
	}
	var sts []*Statement
	for _, it := range items {
		if it.Statement != nil {
			sts = append(sts, it.Statement)
		}
	}
	for _, w := range wants {
		ok := false
		for _, st := range sts {
			if st.Subject != w.subject || w.typ != "" && st.Type != w.typ || w.source != "" && st.Source != w.source {
				continue
			}
			if w.hedge != "" && !strings.Contains(strings.Join(st.Hedges, "|"), w.hedge) {
				continue
			}
			if w.context != "" && !strings.Contains(strings.Join(st.Context, "|"), w.context) {
				continue
			}
			ok = true
		}
		if !ok {
			t.Errorf("no statement %+v", w)
		}
	}
	for _, it := range items {
		if it.Kind == KindName && strings.Contains(it.Value, "Turla") {
			t.Errorf("Turla inside a domain reported as a mention: %+v", it)
		}
	}
}
