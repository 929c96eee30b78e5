package web_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/stixschema"
	"github.com/culprit-cti/culprit/stix"
)

// TestCaseWorkspaceForms uses the case workspace's forms as an analyst
// would, without a browser: a case from an uploaded report file, a review
// that edits an item before accepting it, items added by hand (technique
// from the picker's "id name" value, software, indicator, rated claim),
// the attribution, a confirmation to a known actor (listed on its actor
// page; the case's STIX bundle attributes its incident to the actor, every
// object marked GREEN as the case is, and validates against the OASIS
// schemas), a reopening and a confirmation to a new actor.
func TestCaseWorkspaceForms(t *testing.T) {
	f := newWebFixture(t)
	c, csrf := f.loggedIn("alice")
	report, err := os.ReadFile(filepath.Join("testdata", "wiper-report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r := c.postFile("/ui/cases", map[string]string{"csrf": csrf, "name": "Uploaded wiper report", "tlp": "TLP:GREEN"},
		"file", "northbridge.txt", report)
	m := regexp.MustCompile(`^/ui/cases/(case-[0-9a-f]+)/review/(report-1\.yaml)$`).FindStringSubmatch(r.header.Get("Location"))
	if r.code != http.StatusSeeOther || m == nil {
		t.Fatalf("create a case from an uploaded file: %d, Location %q\n%s", r.code, r.header.Get("Location"), r.body)
	}
	id, casePath := m[1], "/ui/cases/"+m[1]
	reviewPath := casePath + "/review/" + m[2]
	page := c.get(reviewPath)
	if page.code != http.StatusOK || !strings.Contains(page.body, "Source: northbridge.txt") {
		t.Fatalf("the review of the uploaded file: %d, items sourced to its name %v", page.code, strings.Contains(page.body, "Source: northbridge.txt"))
	}

	// Accept every item, the first technique (T1021.002, named by id)
	// edited to T1021.001 as picked from the list, every claim rated B2.
	form := url.Values{"csrf": {csrf}}
	first := regexp.MustCompile(`name="v(\d+)" value="T1021.002"`).FindStringSubmatch(page.body)
	if first == nil {
		t.Fatalf("the review lists no T1021.002:\n%s", page.body)
	}
	for _, m := range regexp.MustCompile(`name="d(\d+)" value="accept"`).FindAllStringSubmatch(page.body, -1) {
		form.Set("d"+m[1], "accept")
		form.Set("rel"+m[1], "B")
		form.Set("cred"+m[1], "2")
	}
	form.Set("v"+first[1], "T1021.001 Remote Desktop Protocol")
	if r := c.post(reviewPath, form); r.code != http.StatusSeeOther {
		t.Fatalf("POST the review: %d\n%s", r.code, r.body)
	}

	// Items by hand.
	for _, item := range []url.Values{
		{"kind": {"technique"}, "value": {"T1486 Data Encrypted for Impact"}, "source": {"disk image"}},
		{"kind": {"software"}, "value": {"Destover"}, "source": {"the responders' notes"}},
		{"kind": {"indicator"}, "type": {"domain-name"}, "value": {"staging.northbridge-cdn.example"}, "source": {"proxy logs"}},
		{"kind": {"claim"}, "actor": {"Lazarus Group"}, "source": {"a national CERT"}, "reliability": {"A"}, "credibility": {"2"}, "note": {"the CERT's alert"}},
	} {
		item.Set("csrf", csrf)
		if r := c.post(casePath+"/items", item); r.code != http.StatusSeeOther {
			t.Fatalf("add the %s %v: %d\n%s", item.Get("kind"), item, r.code, r.body)
		}
	}
	page = c.get(casePath)
	evidence := regexp.MustCompile(`(?s)<section id="evidence".*?</section>`).FindString(page.body)
	for _, want := range []string{"<li>T1021.001 <small>(northbridge.txt)</small>", "<li>T1486 <small>(disk image)</small>",
		"<li>Destover <small>(the responders&#39; notes)</small>", "<code>staging.northbridge-cdn.example</code> <small>domain-name</small>",
		"Lazarus Group <small>by a national CERT, rated A2</small>", "Lazarus Group <small>by The FBI, as reported in northbridge.txt, rated B2</small>"} {
		if !strings.Contains(evidence, want) {
			t.Errorf("the case's evidence has no %q:\n%s", want, evidence)
		}
	}
	if strings.Contains(evidence, "<li>T1021.002") {
		t.Error("the edited technique T1021.002 joined the case as extracted, not as edited")
	}

	if r := c.post(casePath+"/attribute", url.Values{"csrf": {csrf}}); r.code != http.StatusSeeOther {
		t.Fatalf("attribute: %d\n%s", r.code, r.body)
	}
	confirm := func(form url.Values) string {
		t.Helper()
		form.Set("csrf", csrf)
		if r := c.post(casePath+"/confirm", form); r.code != http.StatusSeeOther {
			t.Fatalf("confirm %v: %d\n%s", form, r.code, r.body)
		}
		return c.get(casePath).body
	}
	page.body = confirm(url.Values{"which": {"known"}, "actor": {"Lazarus Group"}, "confidence": {"80"}, "reason": {"the FBI's attribution and the wiper"}})
	if !regexp.MustCompile(`confirmed to <a href="/ui/actors/[^"]+">Lazarus Group</a> \(confidence 80, by alice\)`).MatchString(page.body) {
		t.Errorf("the case page does not show the confirmation to Lazarus Group:\n%s", page.body)
	}
	if strings.Contains(page.body, `action="/ui/cases/`+id+`/confirm"`) || !strings.Contains(page.body, `action="/ui/cases/`+id+`/reopen"`) {
		t.Error("a confirmed case offers the confirmation form, or no reopening")
	}
	if actor := c.get("/ui/actors/" + url.PathEscape(lazarus)); !strings.Contains(actor.body, `<a href="/ui/cases/`+id+`">Uploaded wiper report</a>`) {
		t.Errorf("Lazarus Group's page does not list the case it was confirmed with:\n%s", actor.body)
	}

	// The STIX export of the confirmed case: the incident, attributed to
	// Lazarus Group, marked GREEN as the case is.
	bundle := c.get(casePath + "/export/stix.json")
	if bundle.code != http.StatusOK || !strings.HasPrefix(bundle.header.Get("Content-Type"), "application/stix+json") {
		t.Fatalf("GET the STIX export: %d %s\n%s", bundle.code, bundle.header.Get("Content-Type"), bundle.body)
	}
	objs, err := stix.ReadAll(strings.NewReader(bundle.body), "the case's bundle")
	if err != nil {
		t.Fatalf("the STIX export does not read: %v\n%s", err, bundle.body)
	}
	var incident, attributed bool
	for _, o := range objs {
		incident = incident || o.Type == "incident"
		attributed = attributed || (o.Type == "relationship" && o.RelationshipType == "attributed-to" && o.TargetRef == lazarus)
		if o.Type != "identity" && o.Type != "marking-definition" && !slices.Contains(o.ObjectMarkingRefs, stix.TLP2Green) {
			t.Errorf("the bundle's %s is not marked TLP:GREEN (%v)", o.ID, o.ObjectMarkingRefs)
		}
	}
	if !incident || !attributed {
		t.Errorf("the bundle of the confirmed case: incident %v, attributed to Lazarus Group %v\n%s", incident, attributed, bundle.body)
	}
	stixBundle := bundle.body

	if r := c.post(casePath+"/reopen", url.Values{"csrf": {csrf}, "reason": {"a second wiper with other code"}}); r.code != http.StatusSeeOther {
		t.Fatalf("reopen: %d\n%s", r.code, r.body)
	}
	page = c.get(casePath)
	if !strings.Contains(page.body, "</span> · open ·") || !strings.Contains(page.body, "a second wiper with other code") {
		t.Errorf("the reopened case is not open with the reason in its history:\n%s", page.body)
	}
	page.body = confirm(url.Values{"which": {"new"}, "new_actor": {"Northbridge Wiper Crew"}, "confidence": {"55"}, "reason": {"not the known groups"}})
	if !regexp.MustCompile(`confirmed to <a href="/ui/actors/[^"]+">Northbridge Wiper Crew</a> \(confidence 55, by alice\)`).MatchString(page.body) {
		t.Errorf("the case page does not show the confirmation to the new actor:\n%s", page.body)
	}
	if s := c.get("/ui/search?q=Northbridge+Wiper+Crew"); !strings.Contains(s.body, "Northbridge Wiper Crew") || !strings.Contains(s.body, "/ui/actors/") {
		t.Errorf("the search finds no new actor Northbridge Wiper Crew:\n%s", s.body)
	}
	stixschema.Validate(t, []byte(stixBundle)) // last: it skips without the schemas
}
