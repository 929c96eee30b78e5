package web

import (
	"fmt"
	"io"
	"strings"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/ioc"
)

// The UI extracts a report with package extract and the names of the
// user's own knowledge (the catalog's matcher, built from the same view),
// and turns what it finds into an unreviewed case file the way culprit
// extract --format yaml does (cmd/culprit/cmd_extract.go): ATT&CK ids and
// technique names as techniques, software names and ids as software, the
// indicators a case file holds, and attribution statements as unrated
// claims. Probably benign indicators are left out, as are items that are
// not evidence of an actor (places, vulnerabilities).

// caseIndicatorKinds are the indicator types a case file holds.
var caseIndicatorKinds = map[extract.Kind]bool{
	extract.Kind(ioc.IPv4): true, extract.Kind(ioc.IPv6): true, extract.Kind(ioc.Domain): true,
	extract.Kind(ioc.URL): true, extract.Kind(ioc.Email): true, extract.Kind(ioc.MD5): true,
	extract.Kind(ioc.SHA1): true, extract.Kind(ioc.SHA256): true, extract.Kind(ioc.SHA512): true,
}

// extractReport finds the evidence in a report.
func extractReport(cat *catalog, name string, r io.Reader, max int64) (*casefile.Case, error) {
	text, _, err := extract.OpenText(name, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer text.Close()
	items, err := extract.All(text, extract.Options{Names: cat.matcher, MaxBytes: max})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &casefile.Case{}
	seen := map[string]bool{}
	once := func(k string) bool {
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	for _, it := range items {
		where := fmt.Sprintf("%s offset %d", name, it.Offset)
		switch {
		case it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "T") && !strings.HasPrefix(it.Value, "TA"):
			if once("t" + it.Value) {
				c.Techniques = append(c.Techniques, casefile.Item{Ref: it.Value, Source: name, Note: where + ": " + it.Snippet})
			}
		case it.Kind == extract.KindTechnique:
			var ids []string
			for _, cd := range it.Candidates {
				if cd.ExternalID != "" {
					ids = append(ids, cd.ExternalID)
				}
			}
			if len(ids) == 0 || !once("t"+ids[0]) {
				continue
			}
			note := fmt.Sprintf("%s: named %q", where, it.Text)
			if len(ids) > 1 {
				note += "; ambiguous name, also " + strings.Join(ids[1:], ", ")
			}
			c.Techniques = append(c.Techniques, casefile.Item{Ref: ids[0], Source: name, Note: note + ": " + it.Sentence})
		case it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "S"):
			if once("s" + it.Value) {
				c.Software = append(c.Software, casefile.Item{Ref: it.Value, Source: name, Note: where})
			}
		case caseIndicatorKinds[it.Kind]:
			if len(it.Benign) == 0 && once("i"+string(it.Kind)+it.Value) {
				c.Indicators = append(c.Indicators, casefile.Indicator{Type: string(it.Kind), Value: it.Value, Source: name, Note: where + ": " + it.Snippet})
			}
		case it.Kind == extract.KindName:
			software := false
			for _, cd := range it.Candidates {
				software = software || cd.Type == "malware" || cd.Type == "tool"
			}
			if software && once("n"+strings.ToLower(it.Value)) {
				c.Software = append(c.Software, casefile.Item{Ref: it.Value, Source: name, Note: where + ": " + it.Snippet})
			}
		case it.Kind == extract.KindStatement:
			cl := assess.StatementClaim(it.Statement, name, it.Offset, true)
			if cl.Actor == "" {
				continue
			}
			c.Claims = append(c.Claims, cl)
		}
	}
	return c, nil
}
