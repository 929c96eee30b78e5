package kb

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/stix"
)

// from gives an actor object the catalogue of a source: a MISP galaxy, or
// a creator identity.
func from(o *stix.Object, source string) *stix.Object {
	if g, ok := strings.CutPrefix(source, "misp:"); ok {
		o.Raw = []byte(fmt.Sprintf(`{"type":%q,"id":%q,"x_misp_galaxy":%q}`, o.Type, o.ID, g))
		return o
	}
	o.CreatedBy = source
	return o
}

// clusterNames describes the clusters as "primary: member, member".
func clusterNames(cs *Clusters) []string {
	var out []string
	for _, c := range cs.All() {
		var names []string
		for _, m := range c.Members {
			names = append(names, m.Name+"@"+shortCat(m))
		}
		out = append(out, strings.Join(names, ", "))
	}
	return out
}

func shortCat(o *stix.Object) string {
	c := Catalogue(o)
	src, _, _ := strings.Cut(c, "/")
	return strings.TrimPrefix(strings.TrimPrefix(src, "identity--"), "misp-galaxy:")
}

// The umbrella defect of issue 7: a MISP galaxy lists "Grizzly Steppe"
// among the synonyms of both APT28 and APT29, and ATT&CK has both groups.
// Neither the umbrella name nor any chain of links may fold them.
func TestClustersUmbrellaNameNeverFolds(t *testing.T) {
	attack := "identity--attack"
	apt28 := from(actorObj("a28", "intrusion-set", "APT28", []string{"APT28", "Fancy Bear"}, mitre("G0007")), attack)
	apt29 := from(actorObj("a29", "intrusion-set", "APT29", []string{"APT29", "Cozy Bear"}, mitre("G0016")), attack)
	m28 := from(actorObj("m28", "intrusion-set", "APT28", []string{"Fancy Bear", "Grizzly Steppe"}), "misp:threat-actor")
	m29 := from(actorObj("m29", "intrusion-set", "APT29", []string{"Cozy Bear", "Grizzly Steppe"}), "misp:threat-actor")
	// A third source that links the two MISP clusters explicitly: still
	// two clusters of one galaxy.
	conf := 90
	rel := &stix.Object{Type: "relationship", ID: stix.DeterministicID("relationship", "sim"), RelationshipType: "similar",
		SourceRef: m28.ID, TargetRef: m29.ID, Confidence: &conf}
	objs := []*stix.Object{apt28, apt29, m28, m29, rel}
	links := Link(objs)
	for _, l := range links {
		if l.Source == "Grizzly Steppe" {
			t.Errorf("Link made %+v from the ambiguous name Grizzly Steppe", l)
		}
	}
	cs := NewClusters(objs, links, 0)
	got := clusterNames(cs)
	want := []string{"APT28@attack, APT28@threat-actor", "APT29@attack, APT29@threat-actor"}
	if apt29.ID < apt28.ID {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clusters (-want +got):\n%s", diff)
	}
	// The explicit relation is kept as "possibly the same", with why.
	u := cs.Unfolded(m28.ID)
	if len(u) != 1 || u[0].Reason != ReasonRelation || !strings.Contains(u[0].Why, "lists as distinct") {
		t.Errorf("Unfolded(m28) = %+v, want the similar relation, refused as joining two clusters of one galaxy", u)
	}
	cand := cs.Candidates("grizzly-steppe")
	if len(cand) != 2 {
		t.Fatalf("Candidates(Grizzly Steppe) = %d clusters, want 2", len(cand))
	}
	amb := cs.Ambiguous(cs.Of(apt28.ID))
	if len(amb) != 1 || amb[0].Name != "Grizzly Steppe" || len(amb[0].Candidates) != 2 {
		t.Errorf("Ambiguous(APT28) = %+v, want Grizzly Steppe with 2 candidates", amb)
	}
}

// A galaxy that has its own APT38 cluster and lists APT38 as a synonym of
// Lazarus Group: the name belongs to its own cluster, so ATT&CK's APT38
// links to that one, and Lazarus Group keeps its members.
func TestClustersNameOwner(t *testing.T) {
	attack := "identity--attack"
	laz := from(actorObj("laz", "intrusion-set", "Lazarus Group", []string{"Lazarus Group", "Guardians of Peace"}, mitre("G0032")), attack)
	apt38 := from(actorObj("apt38", "intrusion-set", "APT38", nil, mitre("G0082")), attack)
	mlaz := from(actorObj("mlaz", "intrusion-set", "Lazarus Group", []string{"APT38", "Andariel"}), "misp:threat-actor")
	m38 := from(actorObj("m38", "intrusion-set", "APT38", []string{"Bluenoroff"}), "misp:threat-actor")
	objs := []*stix.Object{laz, apt38, mlaz, m38}
	cs := NewClusters(objs, Link(objs), 0)
	if c := cs.Of(apt38.ID); c == nil || !c.Has(m38.ID) || c.Has(mlaz.ID) {
		t.Errorf("cluster of ATT&CK APT38 = %v, want it with MISP APT38 only", clusterNames(cs))
	}
	if c := cs.Of(laz.ID); c == nil || !c.Has(mlaz.ID) || len(c.Members) != 2 || c.ID != laz.ID {
		t.Errorf("cluster of Lazarus Group = %v, want ATT&CK (primary) and MISP Lazarus Group", clusterNames(cs))
	}
}

// A persona and the unit behind it, from one source, are different types:
// they may fold into the group of another catalogue. The Sony starter
// knowledge relies on it (Guardians of Peace and Unit 121 in Lazarus).
func TestClustersPersonaAndUnit(t *testing.T) {
	starter := "identity--starter"
	laz := from(actorObj("laz", "intrusion-set", "Lazarus Group", []string{"Lazarus Group", "Guardians of Peace"}, mitre("G0032")), "identity--attack")
	gop := from(actorObj("gop", "intrusion-set", "Guardians of Peace", nil), starter)
	unit := from(actorObj("unit", "threat-actor", "Unit 121", nil), starter)
	conf := 70
	rel := &stix.Object{Type: "relationship", ID: stix.DeterministicID("relationship", "u"), RelationshipType: "same-as",
		SourceRef: unit.ID, TargetRef: laz.ID, Confidence: &conf}
	objs := []*stix.Object{laz, gop, unit, rel}
	cs := NewClusters(objs, Link(objs), 0)
	c := cs.Of(unit.ID)
	if c == nil || c.ID != laz.ID || !c.Has(gop.ID) || len(c.Members) != 3 {
		t.Fatalf("clusters = %v, want Lazarus Group with Guardians of Peace and Unit 121", clusterNames(cs))
	}
	for i, m := range c.Members[1:] {
		j := c.Joined[i+1]
		if j.Other(m.ID) == m.ID || j.Confidence < DefaultFold {
			t.Errorf("member %s joined through %+v, want a folding link to another member", m.Name, j)
		}
	}
}

func TestClustersThreshold(t *testing.T) {
	a := from(actorObj("a", "intrusion-set", "Alpha", []string{"Shared"}), "identity--x")
	b := from(actorObj("b", "intrusion-set", "Beta", []string{"Shared"}), "identity--y")
	objs := []*stix.Object{a, b}
	links := Link(objs) // alias and alias: ConfidenceAliasAlias
	if cs := NewClusters(objs, links, 0); len(cs.All()) != 2 {
		t.Errorf("at the default fold: %v, want two clusters", clusterNames(cs))
	} else if u := cs.Unfolded(a.ID); len(u) != 1 || !strings.Contains(u[0].Why, "below the fold threshold") {
		t.Errorf("Unfolded(a) = %+v, want the alias link below the threshold", u)
	}
	if cs := NewClusters(objs, links, ConfidenceAliasAlias); len(cs.All()) != 1 {
		t.Errorf("at fold %d: %v, want one cluster", ConfidenceAliasAlias, clusterNames(cs))
	}
	// Inactive objects are in no cluster.
	a.Revoked = true
	if cs := NewClusters(objs, links, ConfidenceAliasAlias); cs.Of(a.ID) != nil {
		t.Errorf("revoked object in cluster %v", clusterNames(cs))
	}
}

// A chain of strong links through objects of three catalogues stops where
// it would bring a second object of one catalogue in, whatever the order
// of the input.
func TestClustersChainStopsAtCatalogue(t *testing.T) {
	x1 := from(actorObj("x1", "intrusion-set", "X1", nil), "identity--x")
	x2 := from(actorObj("x2", "intrusion-set", "X2", nil), "identity--x")
	y := from(actorObj("y", "intrusion-set", "Y", nil), "identity--y")
	z := from(actorObj("z", "intrusion-set", "Z", nil), "identity--z")
	links := []SameAs{
		sorted(SameAs{A: x1.ID, B: y.ID, Confidence: 90, Reason: ReasonRelation}),
		sorted(SameAs{A: y.ID, B: z.ID, Confidence: 85, Reason: ReasonRelation}),
		sorted(SameAs{A: z.ID, B: x2.ID, Confidence: 80, Reason: ReasonRelation}),
	}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		var ls []SameAs
		for _, i := range order {
			ls = append(ls, links[i])
		}
		cs := NewClusters([]*stix.Object{z, x2, y, x1}, ls, 0)
		c := cs.Of(x1.ID)
		if c == nil || !c.Has(y.ID) || !c.Has(z.ID) || c.Has(x2.ID) {
			t.Errorf("order %v: clusters %v, want X1, Y, Z together and X2 apart", order, clusterNames(cs))
		}
	}
}

func sorted(l SameAs) SameAs {
	if l.B < l.A {
		l.A, l.B = l.B, l.A
	}
	return l
}
