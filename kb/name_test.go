package kb

import (
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/stix"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lower case", "guardians of peace", "guardiansofpeace"},
		{"hyphens", "Guardians-of-Peace", "guardiansofpeace"},
		{"underscores and caps", "GUARDIANS_OF_PEACE", "guardiansofpeace"},
		{"space in APT 38", "APT 38", "apt38"},
		{"no space", "APT38", "apt38"},
		{"attack id", "G0032", "g0032"},
		{"sub-technique", "T1059.001", "t1059001"},
		{"punctuation only", "--- ...", ""},
		{"empty", "", ""},
		{"tabs and newlines", "\tLazarus\nGroup ", "lazarusgroup"},
		{"non-latin kept", "Кошмар-Группа", "кошмаргруппа"},
		{"accented letters", "Équipe Ñ", "équipeñ"},
		{"cjk", "海莲花 (OceanLotus)", "海莲花oceanlotus"},
		{"symbols dropped", "APT-C-26 ™ ©", "aptc26"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzNormalize checks the properties lookups rely on: the result is
// idempotent, holds only lower-case letters and digits, and does not depend
// on punctuation or case.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Guardians of Peace", "APT 38", "T1059.001", "Кошмар", "\xff\xfe", "İstanbul", "ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Errorf("Normalize not idempotent: %q -> %q -> %q", s, n, again)
		}
		for _, r := range n {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				t.Errorf("Normalize(%q) = %q holds %q", s, n, r)
			}
		}
		if got := Normalize("-(" + s + ") ."); got != n {
			t.Errorf("Normalize(%q) = %q, but with punctuation around it %q", s, n, got)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Normalize("Guardians of Peace")
	}
}

func TestNamesOf(t *testing.T) {
	o := &stix.Object{
		Type: "intrusion-set", ID: "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a",
		Name:    "Lazarus Group",
		Aliases: []string{"Lazarus Group", "Guardians of Peace", "guardians-of-peace", "---", strings.Repeat("x", MaxNameLen+1)},
		ExternalReferences: []stix.ExternalReference{
			{SourceName: "mitre-attack", ExternalID: "G0032"},
			{SourceName: "Guardians of Peace", Description: "citation"},
		},
	}
	want := []Name{
		{Norm: "g0032", Name: "G0032", Kind: KindExternalID},
		{Norm: "lazarusgroup", Name: "Lazarus Group", Kind: KindPrimary},
		{Norm: "guardiansofpeace", Name: "Guardians of Peace", Kind: KindAlias},
	}
	if diff := cmp.Diff(want, NamesOf(o)); diff != "" {
		t.Errorf("NamesOf mismatch (-want +got):\n%s", diff)
	}
}

func TestLooksLikeID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a", true},
		{"x-custom--C93FCCB1-E8E8-42CF-AE33-2AD1D183913A", true},
		{"--c93fccb1-e8e8-42cf-ae33-2ad1d183913a", false},
		{"intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913", false},
		{"intrusion-set--c93fccb1xe8e8-42cf-ae33-2ad1d183913a", false},
		{"intrusion-set--g93fccb1-e8e8-42cf-ae33-2ad1d183913a", false},
		{"Lazarus Group", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := LooksLikeID(tc.in); got != tc.want {
				t.Errorf("LooksLikeID(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestSortMatches(t *testing.T) {
	in := []NameMatch{
		{ID: "b", Type: "malware", Kind: KindAlias},
		{ID: "a", Type: "intrusion-set", Kind: KindAlias},
		{ID: "a", Type: "intrusion-set", Kind: KindPrimary},
		{ID: "c", Type: "intrusion-set", Kind: KindExternalID},
		{ID: "d", Type: "campaign", Kind: KindAlias},
	}
	want := []NameMatch{
		{ID: "c", Type: "intrusion-set", Kind: KindExternalID},
		{ID: "a", Type: "intrusion-set", Kind: KindPrimary},
		{ID: "d", Type: "campaign", Kind: KindAlias},
		{ID: "b", Type: "malware", Kind: KindAlias},
	}
	if diff := cmp.Diff(want, SortMatches(in)); diff != "" {
		t.Errorf("SortMatches mismatch (-want +got):\n%s", diff)
	}
}
