package kb

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/stix"
)

func actorObj(key, typ, name string, aliases []string, ext ...stix.ExternalReference) *stix.Object {
	return &stix.Object{Type: typ, ID: stix.DeterministicID(typ, key), Name: name, Aliases: aliases, ExternalReferences: ext}
}

func mitre(id string) stix.ExternalReference {
	return stix.ExternalReference{SourceName: "mitre-attack", ExternalID: id}
}

func link(a, b *stix.Object, conf int, reason, source string) SameAs {
	x, y := a.ID, b.ID
	if y < x {
		x, y = y, x
	}
	return SameAs{A: x, B: y, Confidence: conf, Reason: reason, Source: source}
}

func TestLink(t *testing.T) {
	attack := actorObj("attack", "intrusion-set", "Lazarus Group", []string{"Lazarus Group", "Guardians of Peace"}, mitre("G0032"))
	galaxy := actorObj("galaxy", "intrusion-set", "Lazarus Group", nil, mitre("G0032"))
	misp := actorObj("misp", "intrusion-set", "Lazarus", []string{"Guardians of Peace", "Unit 121", "G0082"})
	apt38 := actorObj("apt38", "intrusion-set", "APT38", nil, mitre("G0082"))
	other := actorObj("other", "threat-actor", "Somebody", []string{"unit-121"})
	gop := actorObj("gop", "threat-actor", "Guardians of Peace", nil)
	revoked := actorObj("revoked", "intrusion-set", "Lazarus Group", nil)
	revoked.Revoked = true
	malware := actorObj("malware", "malware", "Lazarus Group", nil)
	conf := 30
	similar := &stix.Object{Type: "relationship", ID: stix.DeterministicID("relationship", "similar"), RelationshipType: "similar",
		SourceRef: misp.ID, TargetRef: other.ID, Confidence: &conf}
	dupOf := &stix.Object{Type: "relationship", ID: stix.DeterministicID("relationship", "dup"), RelationshipType: "duplicate-of",
		SourceRef: apt38.ID, TargetRef: other.ID}
	uses := &stix.Object{Type: "relationship", ID: stix.DeterministicID("relationship", "uses"), RelationshipType: "uses",
		SourceRef: gop.ID, TargetRef: apt38.ID}

	tests := []struct {
		name string
		objs []*stix.Object
		want []SameAs
	}{
		{"nothing", nil, []SameAs{}},
		{"one actor", []*stix.Object{attack}, []SameAs{}},
		{"shared external id beats shared name", []*stix.Object{attack, galaxy},
			[]SameAs{link(attack, galaxy, ConfidenceExternalID, ReasonExternalID, "mitre-attack:G0032")}},
		{"alias and alias", []*stix.Object{attack, misp},
			[]SameAs{link(attack, misp, ConfidenceAliasAlias, ReasonAlias, "Guardians of Peace")}},
		{"name and alias", []*stix.Object{attack, gop},
			[]SameAs{link(attack, gop, ConfidenceNameAlias, ReasonAlias, "Guardians of Peace")}},
		{"alias and external id", []*stix.Object{misp, apt38},
			[]SameAs{link(misp, apt38, ConfidenceNameAlias, ReasonAlias, pick(misp, apt38, "G0082", "G0082"))}},
		{"explicit relation with its confidence", []*stix.Object{misp, other, similar},
			[]SameAs{link(misp, other, ConfidenceAliasAlias, ReasonAlias, pick(misp, other, "Unit 121", "unit-121"))}},
		{"explicit relation without confidence", []*stix.Object{apt38, other, dupOf},
			[]SameAs{link(apt38, other, ConfidenceRelation, ReasonRelation, dupOf.ID)}},
		{"other relationship types are no link", []*stix.Object{gop, apt38, uses}, []SameAs{}},
		{"revoked and non-actors ignored", []*stix.Object{attack, revoked, malware}, []SameAs{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Link(tc.objs)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Link mismatch (-want +got):\n%s", diff)
			}
			// Deterministic whatever the input order.
			rev := make([]*stix.Object, len(tc.objs))
			for i, o := range tc.objs {
				rev[len(rev)-1-i] = o
			}
			if diff := cmp.Diff(got, Link(rev)); diff != "" {
				t.Errorf("Link depends on input order (-forward +reversed):\n%s", diff)
			}
		})
	}
}

// pick returns the evidence as Link reports it: the name as written in A,
// the end with the smaller id.
func pick(a, b *stix.Object, inA, inB string) string {
	if a.ID < b.ID {
		return inA
	}
	return inB
}

func BenchmarkLink(b *testing.B) {
	var objs []*stix.Object
	for i := 0; i < 1500; i++ {
		objs = append(objs, actorObj(fmt.Sprint(i), "intrusion-set", fmt.Sprintf("Group %d", i),
			[]string{fmt.Sprintf("Alias %d", i%700), fmt.Sprintf("Other %d", i)}, mitre(fmt.Sprintf("G%04d", i%400))))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Link(objs)
	}
}
