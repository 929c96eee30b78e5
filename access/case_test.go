package access_test

import (
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/stix"
)

func TestMark(t *testing.T) {
	const base = `{"type":"incident","spec_version":"2.1","id":"incident--00000001-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"x"`
	for _, tc := range []struct {
		name, extra string
		level       access.Level
		want        []string // the marking refs of the result
	}{
		{"unmarked", ``, access.Amber, []string{stix.TLP2Amber}},
		{"lower marking kept, level added", `,"object_marking_refs":["` + stix.TLP2Green + `"]`, access.Red, []string{stix.TLP2Green, stix.TLP2Red}},
		{"marked at the level already", `,"object_marking_refs":["` + stix.TLP2Amber + `"]`, access.Amber, []string{stix.TLP2Amber}},
		{"marked above the level", `,"object_marking_refs":["` + stix.TLP2Red + `"]`, access.Green, []string{stix.TLP2Red}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := stix.ParseObject([]byte(base + tc.extra + "}"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := access.Mark(o, tc.level)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.ObjectMarkingRefs, " ") != strings.Join(tc.want, " ") {
				t.Errorf("Mark(%s, %v) marking refs = %v, want %v", tc.name, tc.level, got.ObjectMarkingRefs, tc.want)
			}
			if got.Name != "x" || got.ID != o.ID {
				t.Errorf("Mark changed the object: %s", got.Raw)
			}
		})
	}
}
