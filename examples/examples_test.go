package examples

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

const (
	lazarusID = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
	mitreID   = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
)

// starterObjects decodes the starter knowledge with package stix, as the
// binary does.
func starterObjects(t *testing.T) []*stix.Object {
	t.Helper()
	dec := stix.NewDecoder(bytes.NewReader(StarterKnowledge()), "knowledge.json")
	var objs []*stix.Object
	for {
		o, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("decode starter knowledge: %v", err)
		}
		objs = append(objs, o)
	}
}

func index(objs []*stix.Object) map[string]*stix.Object {
	m := make(map[string]*stix.Object, len(objs))
	for _, o := range objs {
		m[o.ID] = o
	}
	return m
}

func TestStarterKnowledgeValidates(t *testing.T) {
	stixschema.Validate(t, StarterKnowledge())
}

func TestStarterKnowledgeIsSelfContained(t *testing.T) {
	objs := starterObjects(t)
	byID := index(objs)
	if got, want := len(byID), len(objs); got != want {
		t.Errorf("starter knowledge has %d distinct ids among %d objects, want no duplicates", got, want)
	}
	for _, o := range objs {
		for _, ref := range append([]string{o.CreatedBy, o.SourceRef, o.TargetRef}, o.ObjectMarkingRefs...) {
			if ref != "" && byID[ref] == nil {
				t.Errorf("%s refers to %s, which is not in the starter knowledge", o.ID, ref)
			}
		}
		if o.Type == "relationship" && o.CreatedBy != mitreID {
			// Our own statements: each carries its confidence and sources.
			if o.Confidence == nil {
				t.Errorf("relationship %s (%s) has no confidence", o.ID, o.RelationshipType)
			}
			if len(o.ExternalReferences) == 0 {
				t.Errorf("relationship %s (%s) cites no source", o.ID, o.RelationshipType)
			}
		}
	}
}

// folded returns the names of the actor id and of the actors linked to it
// by same-as links strong enough for the attribution engine to fold them
// into one hypothesis (attrib.DefaultLinkThreshold).
func folded(objs []*stix.Object, id string) map[string]bool {
	byID := index(objs)
	names := map[string]bool{}
	add := func(o *stix.Object) {
		names[o.Name] = true
		for _, a := range o.Aliases {
			names[a] = true
		}
	}
	add(byID[id])
	for _, l := range kb.Link(objs) {
		if (l.A == id || l.B == id) && l.Confidence >= attrib.DefaultLinkThreshold {
			add(byID[l.Other(id)])
		}
	}
	return names
}

func TestLazarusNames(t *testing.T) {
	objs := starterObjects(t)
	names := folded(objs, lazarusID)
	for _, want := range []string{"Lazarus Group", "HIDDEN COBRA", "Guardians of Peace", "Unit 121", "Bureau 121"} {
		if !names[want] {
			t.Errorf("names folded into Lazarus Group = %v, want them to include %q", names, want)
		}
	}
	// The competing hypotheses stay separate.
	for _, other := range []string{"APT38", "Sandworm Team", "APT28"} {
		if names[other] {
			t.Errorf("names folded into Lazarus Group include %q, want it kept apart", other)
		}
	}
}

// TestDarkSeoulPath checks that the 2013 DarkSeoul attack ties to Unit 121
// and, through it and directly, to Lazarus Group, with a confidence on every
// step.
func TestDarkSeoulPath(t *testing.T) {
	objs := starterObjects(t)
	byName := map[string]*stix.Object{}
	for _, o := range objs {
		if o.Name != "" {
			byName[o.Name] = o
		}
	}
	darkSeoul, unit121 := byName["DarkSeoul"], byName["Unit 121"]
	if darkSeoul == nil || darkSeoul.Type != "campaign" {
		t.Fatalf("starter knowledge has no DarkSeoul campaign (got %+v)", darkSeoul)
	}
	if unit121 == nil {
		t.Fatal("starter knowledge has no Unit 121")
	}
	edge := func(src, rel, dst string) *stix.Object {
		for _, o := range objs {
			if o.Type == "relationship" && o.RelationshipType == rel && o.SourceRef == src && o.TargetRef == dst {
				return o
			}
		}
		return nil
	}
	steps := []struct {
		name          string
		src, rel, dst string
	}{
		{"DarkSeoul attributed to Unit 121", darkSeoul.ID, "attributed-to", unit121.ID},
		{"Unit 121 same as Lazarus Group", unit121.ID, "same-as", lazarusID},
		{"DarkSeoul attributed to Lazarus Group", darkSeoul.ID, "attributed-to", lazarusID},
		{"Guardians of Peace same as Lazarus Group", byName["Guardians of Peace"].ID, "same-as", lazarusID},
		{"Lazarus Group uses Destover", lazarusID, "uses", byName["Destover"].ID},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := edge(s.src, s.rel, s.dst)
			if r == nil {
				t.Fatalf("no %s relationship from %s to %s", s.rel, s.src, s.dst)
			}
			if r.Confidence == nil || *r.Confidence <= 0 || *r.Confidence > 100 {
				t.Errorf("%s: confidence = %v, want 1-100", r.ID, r.Confidence)
			}
		})
	}
	if got := darkSeoul.Aliases; !contains(got, "Operation Troy") {
		t.Errorf("DarkSeoul aliases = %q, want Operation Troy among them", got)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestTA14353AIndicators checks the published command and control addresses
// and that each indicates Destover.
func TestTA14353AIndicators(t *testing.T) {
	objs := starterObjects(t)
	byID := index(objs)
	want := []string{"203.131.222.102", "217.96.33.164", "88.53.215.64", "200.87.126.116", "58.185.154.99", "212.31.102.100", "208.105.226.235"}
	got := map[string]string{} // address -> indicator id
	for _, o := range objs {
		if o.Type != "indicator" {
			continue
		}
		var ind struct{ Pattern string }
		if err := json.Unmarshal(o.Raw, &ind); err != nil {
			t.Fatal(err)
		}
		ip := strings.TrimSuffix(strings.TrimPrefix(ind.Pattern, "[ipv4-addr:value = '"), "']")
		got[ip] = o.ID
		if o.ExternalID("US-CERT TA14-353A") != "TA14-353A" {
			t.Errorf("indicator %s does not cite TA14-353A", o.ID)
		}
	}
	for _, ip := range want {
		id, ok := got[ip]
		if !ok {
			t.Errorf("no indicator for %s", ip)
			continue
		}
		indicates := false
		for _, o := range objs {
			if o.Type == "relationship" && o.RelationshipType == "indicates" && o.SourceRef == id && byID[o.TargetRef].Name == "Destover" {
				indicates = true
			}
		}
		if !indicates {
			t.Errorf("indicator %s (%s) does not indicate Destover", id, ip)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d indicators, want %d", len(got), len(want))
	}
}

// attackObject is what the test reads of an ATT&CK object.
type attackObject struct {
	Type               string                   `json:"type"`
	ID                 string                   `json:"id"`
	Name               string                   `json:"name"`
	Modified           time.Time                `json:"modified"`
	Revoked            bool                     `json:"revoked"`
	ExternalReferences []stix.ExternalReference `json:"external_references"`
	RelationshipType   string                   `json:"relationship_type"`
	SourceRef          string                   `json:"source_ref"`
	TargetRef          string                   `json:"target_ref"`
}

func readATTACK(t *testing.T, release string) map[string]attackObject {
	t.Helper()
	f, err := os.Open(refdata.Path(t, "attack", "enterprise-attack-"+release+".json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Objects []attackObject `json:"objects"`
	}
	if err := json.NewDecoder(zr).Decode(&b); err != nil {
		t.Fatalf("read ATT&CK %s: %v", release, err)
	}
	m := make(map[string]attackObject, len(b.Objects))
	for _, o := range b.Objects {
		m[o.ID] = o
	}
	return m
}

// TestMirrorsATTACK checks that every object the starter knowledge takes
// from ATT&CK has ATT&CK's id, type, name, external id and ends, and is
// older than ATT&CK's own, so that an ATT&CK import replaces it.
func TestMirrorsATTACK(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the 45 MB ATT&CK bundle")
	}
	attack := readATTACK(t, "18.1")
	objs := starterObjects(t)
	n := 0
	for _, o := range objs {
		if o.CreatedBy != mitreID || o.Type == "marking-definition" {
			continue
		}
		n++
		a, ok := attack[o.ID]
		if !ok {
			t.Errorf("%s (%s) is not in ATT&CK 18.1", o.ID, o.Name)
			continue
		}
		if a.Revoked {
			t.Errorf("%s (%s) is revoked in ATT&CK 18.1", o.ID, o.Name)
		}
		if o.Type != a.Type || o.Name != a.Name || o.RelationshipType != a.RelationshipType || o.SourceRef != a.SourceRef || o.TargetRef != a.TargetRef {
			t.Errorf("%s differs from ATT&CK 18.1: type %q name %q rel %q %s->%s, ATT&CK has %q %q %q %s->%s",
				o.ID, o.Type, o.Name, o.RelationshipType, o.SourceRef, o.TargetRef, a.Type, a.Name, a.RelationshipType, a.SourceRef, a.TargetRef)
		}
		var aObj stix.Object
		aObj.ExternalReferences = a.ExternalReferences
		if got, want := o.ExternalID("mitre-attack"), aObj.ExternalID("mitre-attack"); got != want {
			t.Errorf("%s has mitre-attack id %q, ATT&CK has %q", o.ID, got, want)
		}
		if !o.Modified.Before(a.Modified) && !o.Modified.Equal(a.Modified) {
			t.Errorf("%s modified %v, after ATT&CK's %v: an ATT&CK import would not replace it", o.ID, o.Modified, a.Modified)
		}
	}
	if n < 50 {
		t.Errorf("only %d objects mirror ATT&CK, want the actors, techniques, software and their uses", n)
	}
	if laz := attack[lazarusID]; laz.Name != "Lazarus Group" {
		t.Errorf("ATT&CK 18.1 %s is %q, want Lazarus Group", lazarusID, laz.Name)
	}
}

// TestSonyCase parses the case file and checks that every technique,
// software and indicator in it is known to the starter knowledge, so that
// the example works on an empty database.
func TestSonyCase(t *testing.T) {
	c, warns, err := casefile.Parse("sony-2014/case.yaml", bytes.NewReader(SonyCase()))
	if err != nil {
		t.Fatalf("parse case.yaml: %v", err)
	}
	// No warning: that the claims name several actors is for the engine
	// to judge, and the knowledge base folds them into one hypothesis.
	if len(warns) != 0 {
		t.Errorf("case.yaml warnings = %q, want none", warns)
	}
	objs := starterObjects(t)
	known := map[string]bool{}
	for _, o := range objs {
		for _, n := range kb.NamesOf(o) {
			known[n.Norm] = true
		}
		if o.Type == "indicator" {
			var ind struct{ Pattern string }
			if err := json.Unmarshal(o.Raw, &ind); err != nil {
				t.Fatal(err)
			}
			known[ind.Pattern] = true
		}
	}
	for _, it := range append(append([]casefile.Item{}, c.Techniques...), c.Software...) {
		if !known[kb.Normalize(it.Ref)] {
			t.Errorf("case.yaml line %d: %s is not in the starter knowledge", it.Line, it.Ref)
		}
	}
	for _, in := range c.Indicators {
		if p := "[" + in.Type + ":value = '" + in.Value + "']"; !known[p] {
			t.Errorf("case.yaml line %d: no starter indicator %s", in.Line, p)
		}
	}
	for _, cl := range c.Claims {
		if !known[kb.Normalize(cl.Actor)] {
			t.Errorf("case.yaml line %d: claimed actor %q is not in the starter knowledge", cl.Line, cl.Actor)
		}
	}
	if c.Victim.Country != "US" || c.Victim.Sector != "entertainment" {
		t.Errorf("victim = %+v, want Sony Pictures Entertainment, entertainment, US", c.Victim)
	}
	var self []string
	for _, cl := range c.Claims {
		if cl.SelfClaim {
			self = append(self, cl.Actor)
		}
	}
	if len(self) != 1 || self[0] != "Guardians of Peace" {
		t.Errorf("self-claims = %q, want only Guardians of Peace", self)
	}
}

func TestStarterKnowledgeIsACopy(t *testing.T) {
	a := StarterKnowledge()
	a[0] = 'x'
	if b := StarterKnowledge(); b[0] != '{' {
		t.Errorf("StarterKnowledge()[0] = %q after a caller changed its copy, want '{'", b[0])
	}
}

// TestSonyCaseBundle checks that case.json, the STIX form of the case, is
// valid STIX 2.1 and carries the same evidence as case.yaml.
func TestSonyCaseBundle(t *testing.T) {
	data, err := os.ReadFile("sony-2014/case.json")
	if err != nil {
		t.Fatal(err)
	}
	stixschema.Validate(t, data)
	fromJSON, _, err := casefile.Parse("sony-2014/case.json", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse case.json: %v", err)
	}
	fromYAML, _, err := casefile.Parse("sony-2014/case.yaml", bytes.NewReader(SonyCase()))
	if err != nil {
		t.Fatalf("parse case.yaml: %v", err)
	}
	// Sources, notes and statements are worded differently; the evidence
	// is the same.
	type claim struct {
		Actor       string
		Credibility int
		SelfClaim   bool
	}
	type evidence struct {
		Name       string
		Techniques []string
		Software   []string
		Indicators []string
		Claims     []claim
		Victim     casefile.Victim
	}
	summary := func(c *casefile.Case) evidence {
		e := evidence{Name: c.Name, Victim: c.Victim}
		for _, it := range c.Techniques {
			e.Techniques = append(e.Techniques, it.Ref)
		}
		for _, it := range c.Software {
			e.Software = append(e.Software, it.Ref)
		}
		for _, in := range c.Indicators {
			e.Indicators = append(e.Indicators, in.Type+" "+in.Value)
		}
		for _, cl := range c.Claims {
			e.Claims = append(e.Claims, claim{cl.Actor, cl.Credibility, cl.SelfClaim})
		}
		return e
	}
	want := summary(fromYAML)
	// A STIX bundle carries no source reliability, and "cannot be judged"
	// (6) is the absence of a confidence.
	for i := range want.Claims {
		if want.Claims[i].Credibility == 6 {
			want.Claims[i].Credibility = 0
		}
	}
	if diff := cmp.Diff(want, summary(fromJSON)); diff != "" {
		t.Errorf("case.json and case.yaml differ (-yaml +json):\n%s", diff)
	}
}
