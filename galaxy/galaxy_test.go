package galaxy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/stix"
)

// galaxyJSON returns a cluster file of galaxy type typ and version 7 with
// the given values (JSON array elements).
func galaxyJSON(typ string, values ...string) string {
	return fmt.Sprintf(`{"authors":["a"],"category":"actor","description":"d","name":"N","source":"S","type":%q,"uuid":"7cdff317-a673-4474-84ec-4f1754947823","values":[%s],"version":7}`,
		typ, strings.Join(values, ","))
}

const (
	uuidA = "11111111-1111-4111-8111-111111111111"
	uuidB = "22222222-2222-4222-8222-222222222222"
	uuidX = "99999999-9999-4999-8999-999999999999" // not in any test file
)

// rawMap decodes an object's Raw JSON for comparison.
func rawMap(t *testing.T, o *stix.Object) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(o.Raw, &m); err != nil {
		t.Fatalf("object %s: Raw is not JSON: %v", o.ID, err)
	}
	return m
}

func TestDecodeObjects(t *testing.T) {
	created := "2015-01-01T00:00:00.000Z"
	modified := "2015-01-01T00:00:07.000Z"
	idA := stix.DeterministicID("intrusion-set", "misp-galaxy:threat-actor:"+uuidA)
	idB := stix.DeterministicID("intrusion-set", "misp-galaxy:threat-actor:"+uuidB)
	tests := []struct {
		name  string
		input string
		want  []map[string]any // Raw of each object, in order
	}{
		{
			name: "threat actor with every mapped meta field",
			input: galaxyJSON("threat-actor", `{
				"value": "Lazarus Group", "uuid": "`+strings.ToUpper(uuidA)+`", "description": "North Korean group",
				"meta": {
					"synonyms": ["Dark Seoul", "lazarus group", "Unit 121", "DARK SEOUL", " ", "Hidden Cobra"],
					"country": "KP",
					"cfr-suspected-state-sponsor": "Korea (Democratic People's Republic of)",
					"cfr-suspected-victims": ["South Korea", "Sony"],
					"cfr-target-category": ["Government"],
					"cfr-type-of-incident": "Espionage",
					"attribution-confidence": "50",
					"refs": ["https://example.org/a", "https://example.org/a", "https://example.org/b"]
				}}`),
			want: []map[string]any{{
				"type": "intrusion-set", "spec_version": "2.1", "id": idA,
				"created": created, "modified": modified,
				"name": "Lazarus Group", "description": "North Korean group",
				"aliases": []any{"Dark Seoul", "Unit 121", "Hidden Cobra"},
				"external_references": []any{
					map[string]any{"source_name": "misp-galaxy:threat-actor", "external_id": uuidA},
					map[string]any{"source_name": "reference", "url": "https://example.org/a"},
					map[string]any{"source_name": "reference", "url": "https://example.org/b"},
				},
				"x_misp_galaxy":                      "threat-actor",
				"x_misp_cluster_uuid":                uuidA,
				"x_misp_value":                       "Lazarus Group",
				"x_misp_country":                     "KP",
				"x_misp_cfr_suspected_state_sponsor": "Korea (Democratic People's Republic of)",
				"x_misp_cfr_suspected_victims":       []any{"South Korea", "Sony"},
				"x_misp_cfr_target_category":         []any{"Government"},
				"x_misp_attribution_confidence":      float64(50),
				"x_misp_meta":                        map[string]any{"cfr-type-of-incident": "Espionage"},
			}},
		},
		{
			name: "unparseable meta stays verbatim in x_misp_meta",
			input: galaxyJSON("threat-actor", `{"value": "X", "uuid": "`+uuidA+`", "meta": {
				"country": "Korea", "attribution-confidence": "high", "refs": ["not a url"],
				"cfr-suspected-victims": "one", "synonyms": "Y"}}`),
			want: []map[string]any{{
				"type": "intrusion-set", "spec_version": "2.1", "id": idA,
				"created": created, "modified": modified, "name": "X", "aliases": []any{"Y"},
				"external_references": []any{
					map[string]any{"source_name": "misp-galaxy:threat-actor", "external_id": uuidA},
				},
				"x_misp_galaxy": "threat-actor", "x_misp_cluster_uuid": uuidA, "x_misp_value": "X",
				"x_misp_meta": map[string]any{
					"country": "Korea", "attribution-confidence": "high", "refs": []any{"not a url"},
					"cfr-suspected-victims": "one",
				},
			}},
		},
		{
			name: "related clusters in and out of the file",
			input: galaxyJSON("threat-actor",
				`{"value": "A", "uuid": "`+uuidA+`", "related": [
					{"dest-uuid": "`+uuidB+`", "type": "similar", "tags": ["estimative-language:likelihood-probability=\"likely\""]},
					{"dest-uuid": "`+uuidB+`", "type": "similar"},
					{"dest-uuid": "`+uuidX+`", "type": "uses"}]}`,
				`{"value": "B", "uuid": "`+uuidB+`", "related": [{"dest-uuid": "`+uuidA+`", "type": "Part Of"}]}`),
			want: []map[string]any{
				{
					"type": "intrusion-set", "spec_version": "2.1", "id": idA,
					"created": created, "modified": modified, "name": "A",
					"external_references": []any{map[string]any{"source_name": "misp-galaxy:threat-actor", "external_id": uuidA}},
					"x_misp_galaxy":       "threat-actor", "x_misp_cluster_uuid": uuidA, "x_misp_value": "A",
					"x_misp_related": []any{map[string]any{"dest-uuid": uuidX, "type": "uses"}},
				},
				{
					"type": "intrusion-set", "spec_version": "2.1", "id": idB,
					"created": created, "modified": modified, "name": "B",
					"external_references": []any{map[string]any{"source_name": "misp-galaxy:threat-actor", "external_id": uuidB}},
					"x_misp_galaxy":       "threat-actor", "x_misp_cluster_uuid": uuidB, "x_misp_value": "B",
				},
				{
					"type": "relationship", "spec_version": "2.1",
					"id":      stix.DeterministicID("relationship", "misp-galaxy:threat-actor:"+uuidA+":similar:threat-actor:"+uuidB),
					"created": created, "modified": modified,
					"relationship_type": "similar", "source_ref": idA, "target_ref": idB,
					"confidence":    float64(70),
					"x_misp_galaxy": "threat-actor",
					"x_misp_tags":   []any{`estimative-language:likelihood-probability="likely"`},
				},
				{
					"type": "relationship", "spec_version": "2.1",
					"id":      stix.DeterministicID("relationship", "misp-galaxy:threat-actor:"+uuidB+":part-of:threat-actor:"+uuidA),
					"created": created, "modified": modified,
					"relationship_type": "part-of", "source_ref": idB, "target_ref": idA,
					"x_misp_galaxy": "threat-actor", "x_misp_type": "Part Of",
				},
			},
		},
		{
			name: "mitre intrusion set gets its ATT&CK id and loses the id suffix",
			input: galaxyJSON("mitre-intrusion-set", `{"value": "Lazarus Group - G0032", "uuid": "`+uuidA+`", "revoked": true,
				"meta": {"external_id": "G0032", "synonyms": ["Lazarus Group", "HIDDEN COBRA"]}}`),
			want: []map[string]any{{
				"type": "intrusion-set", "spec_version": "2.1",
				"id":      stix.DeterministicID("intrusion-set", "misp-galaxy:mitre-intrusion-set:"+uuidA),
				"created": created, "modified": modified, "revoked": true,
				"name": "Lazarus Group", "aliases": []any{"HIDDEN COBRA"},
				"external_references": []any{
					map[string]any{"source_name": "misp-galaxy:mitre-intrusion-set", "external_id": uuidA},
					map[string]any{"source_name": "mitre-attack", "external_id": "G0032"},
				},
				"x_misp_galaxy": "mitre-intrusion-set", "x_misp_cluster_uuid": uuidA, "x_misp_value": "Lazarus Group - G0032",
			}},
		},
		{
			name:  "malpedia gives a malware family",
			input: galaxyJSON("malpedia", `{"value": "WannaCryptor", "uuid": "`+uuidA+`", "description": "", "meta": {"synonyms": ["WannaCry"], "type": []}}`),
			want: []map[string]any{{
				"type": "malware", "spec_version": "2.1",
				"id":      stix.DeterministicID("malware", "misp-galaxy:malpedia:"+uuidA),
				"created": created, "modified": modified,
				"name": "WannaCryptor", "aliases": []any{"WannaCry"}, "is_family": true,
				"external_references": []any{map[string]any{"source_name": "misp-galaxy:malpedia", "external_id": uuidA}},
				"x_misp_galaxy":       "malpedia", "x_misp_cluster_uuid": uuidA, "x_misp_value": "WannaCryptor",
				"x_misp_meta": map[string]any{"type": []any{}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Decode(strings.NewReader(tt.input), "test.json")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var got []map[string]any
			for _, o := range f.Objects {
				got = append(got, rawMap(t, o))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode objects (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeFields checks the parsed stix.Object fields against Raw.
func TestDecodeFields(t *testing.T) {
	in := galaxyJSON("mitre-intrusion-set",
		`{"value": "A - G0001", "uuid": "`+uuidA+`", "description": "d", "meta": {"external_id": "G0001", "synonyms": ["B"]},
		  "related": [{"dest-uuid": "`+uuidB+`", "type": "similar", "tags": ["estimative-language:likelihood-probability=\"almost-certain\""]}]}`,
		`{"value": "C", "uuid": "`+uuidB+`", "revoked": true}`)
	f, err := Decode(strings.NewReader(in), "test.json")
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	wantTime := func(s int64) time.Time { return Timestamp(s) }
	conf := 95
	idA, idB := ObjectID("mitre-intrusion-set", uuidA), ObjectID("mitre-intrusion-set", uuidB)
	want := []*stix.Object{
		{
			Type: "intrusion-set", ID: idA, SpecVersion: "2.1", Created: wantTime(0), Modified: wantTime(7),
			Name: "A", Description: "d", Aliases: []string{"B"},
			ExternalReferences: []stix.ExternalReference{
				{SourceName: "misp-galaxy:mitre-intrusion-set", ExternalID: uuidA},
				{SourceName: "mitre-attack", ExternalID: "G0001"},
			},
		},
		{
			Type: "intrusion-set", ID: idB, SpecVersion: "2.1", Created: wantTime(0), Modified: wantTime(7),
			Name: "C", Revoked: true,
			ExternalReferences: []stix.ExternalReference{{SourceName: "misp-galaxy:mitre-intrusion-set", ExternalID: uuidB}},
		},
		{
			Type: "relationship", SpecVersion: "2.1", Created: wantTime(0), Modified: wantTime(7),
			ID:               stix.DeterministicID("relationship", "misp-galaxy:mitre-intrusion-set:"+uuidA+":similar:mitre-intrusion-set:"+uuidB),
			RelationshipType: "similar", SourceRef: idA, TargetRef: idB, Confidence: &conf,
		},
	}
	if diff := cmp.Diff(want, f.Objects, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Raw" }, cmp.Ignore())); diff != "" {
		t.Errorf("Decode objects (-want +got):\n%s", diff)
	}
	if got, want := f.Objects[0].ExternalID("mitre-attack"), "G0001"; got != want {
		t.Errorf("ExternalID(mitre-attack) = %q, want %q", got, want)
	}
	gotMeta := File{Type: f.Type, Name: f.Name, UUID: f.UUID, Version: f.Version, Source: f.Source, Category: f.Category, Description: f.Description, Authors: f.Authors, Clusters: f.Clusters}
	wantMeta := File{Type: "mitre-intrusion-set", Name: "N", UUID: "7cdff317-a673-4474-84ec-4f1754947823", Version: 7, Source: "S", Category: "actor", Description: "d", Authors: []string{"a"}, Clusters: 2}
	if diff := cmp.Diff(wantMeta, gotMeta, cmpopts.IgnoreUnexported(File{})); diff != "" {
		t.Errorf("Decode file metadata (-want +got):\n%s", diff)
	}
}

func TestDecodeVersions(t *testing.T) {
	v := `{"value": "A", "uuid": "` + uuidA + `"}`
	old := strings.Replace(galaxyJSON("threat-actor", v), `"version":7`, `"version":349`, 1)
	newer := strings.Replace(galaxyJSON("threat-actor", v), `"version":7`, `"version":350`, 1)
	a, err := Decode(strings.NewReader(old), "old")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode(strings.NewReader(old), "again")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(strings.NewReader(newer), "newer")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Objects[0].Raw, b.Objects[0].Raw) {
		t.Errorf("decoding the same file twice gave\n%s\nand\n%s", a.Objects[0].Raw, b.Objects[0].Raw)
	}
	if a.Objects[0].ID != c.Objects[0].ID {
		t.Errorf("id changed with the version: %s, then %s", a.Objects[0].ID, c.Objects[0].ID)
	}
	if !c.Objects[0].Modified.After(a.Objects[0].Modified) {
		t.Errorf("modified of version 350 = %v, want after version 349's %v", c.Objects[0].Modified, a.Objects[0].Modified)
	}
	if !a.Objects[0].Created.Equal(c.Objects[0].Created) {
		t.Errorf("created changed with the version: %v, then %v", a.Objects[0].Created, c.Objects[0].Created)
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func TestDecodeGzip(t *testing.T) {
	in := galaxyJSON("malpedia", `{"value": "A", "uuid": "`+uuidA+`"}`)
	f, err := Decode(bytes.NewReader(gzipped(in)), "a.json.gz")
	if err != nil {
		t.Fatalf("Decode(gzip): %v", err)
	}
	if got, want := len(f.Objects), 1; got != want {
		t.Errorf("Decode(gzip) gave %d objects, want %d", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	ok := `{"value": "A", "uuid": "` + uuidA + `"}`
	big := `{"value": "A", "uuid": "` + uuidA + `", "description": "` + strings.Repeat("x", 2000) + `"}`
	tests := []struct {
		name    string
		input   []byte
		dec     Decoder
		index   int    // want Error.Index
		wantMsg string // regular expression matching part of the message
	}{
		{"empty", nil, Decoder{}, -1, "empty input"},
		{"not an object", []byte(`[1]`), Decoder{}, -1, "want \"{\""},
		{"invalid JSON", []byte(`{"type": "threat-actor", "values": [` + ok + `,]}`), Decoder{}, 1, "invalid character"},
		{"truncated JSON", []byte(galaxyJSON("threat-actor", ok)[:60]), Decoder{}, -1, "unexpected EOF"},
		{"truncated gzip", gzipped(galaxyJSON("threat-actor", ok))[:40], Decoder{}, -1, "unexpected EOF"},
		{"corrupt gzip header", []byte{0x1f, 0x8b, 0, 0}, Decoder{}, -1, "gzip"},
		{"no values", []byte(`{"type": "threat-actor", "version": 1}`), Decoder{}, -1, `no "values"`},
		{"values not an array", []byte(`{"type": "threat-actor", "values": {}}`), Decoder{}, -1, `"values"`},
		{"no type", []byte(`{"values": []}`), Decoder{}, -1, `no galaxy "type"`},
		{"unsupported type", []byte(galaxyJSON("sector", ok)), Decoder{}, -1, `unsupported galaxy type "sector"`},
		{"invalid type", []byte(galaxyJSON("Threat Actor", ok)), Decoder{}, -1, `invalid galaxy type`},
		{"bad version", []byte(`{"type": "threat-actor", "values": [], "version": 1.5}`), Decoder{}, -1, `"version" 1.5`},
		{"duplicate key", []byte(`{"type": "threat-actor", "type": "malpedia", "values": []}`), Decoder{}, -1, `duplicate key "type"`},
		{"trailing data", []byte(galaxyJSON("threat-actor", ok) + `{}`), Decoder{}, -1, "data after"},
		{"no value", []byte(galaxyJSON("threat-actor", ok, `{"uuid": "`+uuidB+`"}`)), Decoder{}, 1, `cluster 1 \(uuid ` + uuidB + `\) at byte \d+: no "value"`},
		{"no uuid", []byte(galaxyJSON("threat-actor", `{"value": "B"}`)), Decoder{}, 0, `cluster 0 "B" at byte \d+: no "uuid"`},
		{"invalid uuid", []byte(galaxyJSON("threat-actor", `{"value": "B", "uuid": "xyz"}`)), Decoder{}, 0, `invalid uuid "xyz"`},
		{"duplicate uuid", []byte(galaxyJSON("threat-actor", ok, `{"value": "B", "uuid": "`+strings.ToUpper(uuidA)+`"}`)), Decoder{}, 1, `duplicate uuid: also cluster 0 "A"`},
		{"wrong value type", []byte(galaxyJSON("threat-actor", `{"value": 3, "uuid": "`+uuidA+`"}`)), Decoder{}, 0, "cannot unmarshal number"},
		{"cluster too large", []byte(galaxyJSON("threat-actor", ok, big)), Decoder{MaxValueSize: 1000}, 1, "over the limit of 1000"},
		{"file too large", []byte(galaxyJSON("threat-actor", ok, big)), Decoder{MaxFileSize: 1000}, -1, `over the limit of 1000 bytes \(uncompressed\)`},
		{"gzip bomb", gzipped(galaxyJSON("threat-actor", ok, big, big)), Decoder{MaxFileSize: 3000}, -1, `over the limit of 3000 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.dec.Decode(bytes.NewReader(tt.input), "bad.json")
			if err == nil {
				t.Fatalf("Decode = %d objects, want an error containing %q", len(f.Objects), tt.wantMsg)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode error %v (%T), want *Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), "bad.json: ") || !regexp.MustCompile(tt.wantMsg).MatchString(err.Error()) {
				t.Errorf("Decode error %q, want it to start with the file name and match %q", err, tt.wantMsg)
			}
			if e.Index != tt.index {
				t.Errorf("Decode error index = %d, want %d (%v)", e.Index, tt.index, err)
			}
			if strings.Contains(tt.wantMsg, "limit") && !errors.Is(err, ErrTooLarge) {
				t.Errorf("Decode error %v does not wrap ErrTooLarge", err)
			}
		})
	}
}

func TestLink(t *testing.T) {
	ta := galaxyJSON("threat-actor", `{"value": "A", "uuid": "`+uuidA+`", "related": [
		{"dest-uuid": "`+strings.ToUpper(uuidB)+`", "type": "similar", "tags": ["estimative-language:likelihood-probability=\"very-likely\""]},
		{"dest-uuid": "`+uuidX+`", "type": "uses"}]}`)
	mis := galaxyJSON("mitre-intrusion-set", `{"value": "B - G0001", "uuid": "`+uuidB+`", "meta": {"external_id": "G0001"},
		"related": [{"dest-uuid": "`+uuidA+`", "type": "similar"}]}`)
	a, err := Decode(strings.NewReader(ta), "threat-actor.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode(strings.NewReader(mis), "mitre-intrusion-set.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Unresolved+b.Unresolved, 3; got != want {
		t.Errorf("unresolved related entries = %d, want %d", got, want)
	}
	rels, err := Link(a, b, nil)
	if err != nil {
		t.Fatalf("Link: %v", err)
	}
	var got []map[string]any
	for _, o := range rels {
		got = append(got, rawMap(t, o))
	}
	idA, idB := ObjectID("threat-actor", uuidA), ObjectID("mitre-intrusion-set", uuidB)
	want := []map[string]any{
		{
			"type": "relationship", "spec_version": "2.1",
			"id":      stix.DeterministicID("relationship", "misp-galaxy:threat-actor:"+uuidA+":similar:mitre-intrusion-set:"+uuidB),
			"created": "2015-01-01T00:00:00.000Z", "modified": "2015-01-01T00:00:07.000Z",
			"relationship_type": "similar", "source_ref": idA, "target_ref": idB, "confidence": float64(85),
			"x_misp_galaxy": "threat-actor", "x_misp_tags": []any{`estimative-language:likelihood-probability="very-likely"`},
		},
		{
			"type": "relationship", "spec_version": "2.1",
			"id":      stix.DeterministicID("relationship", "misp-galaxy:mitre-intrusion-set:"+uuidB+":similar:threat-actor:"+uuidA),
			"created": "2015-01-01T00:00:00.000Z", "modified": "2015-01-01T00:00:07.000Z",
			"relationship_type": "similar", "source_ref": idB, "target_ref": idA,
			"x_misp_galaxy": "mitre-intrusion-set",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Link (-want +got):\n%s", diff)
	}
	// Relate gives the same relationships one object at a time.
	var related []*stix.Object
	for _, pair := range [][2]*stix.Object{{a.Objects[0], b.Objects[0]}, {b.Objects[0], a.Objects[0]}} {
		pend, err := Pending(pair[0])
		if err != nil {
			t.Fatalf("Pending(%s): %v", pair[0].Name, err)
		}
		for _, r := range pend {
			if !strings.EqualFold(r.DestUUID, uuidA) && !strings.EqualFold(r.DestUUID, uuidB) {
				continue
			}
			rel, err := Relate(pair[0], r, pair[1])
			if err != nil {
				t.Fatalf("Relate(%s, %+v, %s): %v", pair[0].Name, r, pair[1].Name, err)
			}
			related = append(related, rel)
		}
	}
	if diff := cmp.Diff(rels, related); diff != "" {
		t.Errorf("Relate differs from Link (-Link +Relate):\n%s", diff)
	}
	if _, err := Relate(a.Objects[0], Related{DestUUID: uuidX, Type: "uses"}, b.Objects[0]); err == nil {
		t.Errorf("Relate to an object of another cluster succeeded, want an error")
	}
	if rels, err := Link(a); err != nil || len(rels) != 0 {
		t.Errorf("Link of one file = %d relationships, %v, want none", len(rels), err)
	}
}

func TestLikelihood(t *testing.T) {
	tests := []struct {
		tag    string
		want   int
		wantOK bool
	}{
		{`estimative-language:likelihood-probability="almost-no-chance"`, 5, true},
		{`estimative-language:likelihood-probability="very-unlikely"`, 15, true},
		{`estimative-language:likelihood-probability="unlikely"`, 30, true},
		{`estimative-language:likelihood-probability="roughly-even-chance"`, 50, true},
		{`estimative-language:likelihood-probability="likely"`, 70, true},
		{`estimative-language:likelihood-probability="very-likely"`, 85, true},
		{`estimative-language:likelihood-probability="almost-certain"`, 95, true},
		{`estimative-language:likelihood-probability="maybe"`, 0, false},
		{`tlp:white`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			got, ok := Likelihood(tt.tag)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Likelihood(%q) = %d, %v, want %d, %v", tt.tag, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

var relTypeRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// TestReferenceData decodes the three galaxy files of the shared reference
// data and checks what the knowledge base relies on.
func TestReferenceData(t *testing.T) {
	files := []struct {
		name     string
		clusters int
		stixType string
	}{
		{"threat-actor.json.gz", 1041, "intrusion-set"},
		{"malpedia.json.gz", 3683, "malware"},
		{"mitre-intrusion-set.json.gz", 191, "intrusion-set"},
	}
	decoded := map[string]*File{}
	for _, tf := range files {
		t.Run(tf.name, func(t *testing.T) {
			f, err := referenceFile(t, tf.name)
			if err != nil {
				t.Fatalf("DecodeFile: %v", err)
			}
			decoded[tf.name] = f
			if f.Clusters != tf.clusters {
				t.Errorf("%s: %d clusters, want %d", tf.name, f.Clusters, tf.clusters)
			}
			ids := map[string]bool{}
			for i, o := range f.Objects {
				if ids[o.ID] {
					t.Errorf("object %d: duplicate id %s", i, o.ID)
				}
				ids[o.ID] = true
				if i < f.Clusters && o.Type != tf.stixType {
					t.Errorf("object %d %q: type %s, want %s", i, o.Name, o.Type, tf.stixType)
				}
				if o.Type == "relationship" && !relTypeRE.MatchString(o.RelationshipType) {
					t.Errorf("relationship %s: relationship_type %q does not match %s", o.ID, o.RelationshipType, relTypeRE)
				}
				if !json.Valid(o.Raw) {
					t.Errorf("object %s: Raw is not valid JSON", o.ID)
				}
			}
		})
	}

	ta, mis := decoded["threat-actor.json.gz"], decoded["mitre-intrusion-set.json.gz"]
	if ta != nil {
		t.Run("Lazarus Group threat actor", func(t *testing.T) {
			o := findName(ta, "Lazarus Group")
			if o == nil {
				t.Fatal("no Lazarus Group in threat-actor")
			}
			for _, a := range []string{"Unit 121", "Dark Seoul", "Operation DarkSeoul", "APT38"} {
				if !hasAlias(o, a) {
					t.Errorf("Lazarus Group aliases %q, want %q among them", o.Aliases, a)
				}
			}
			m := rawMap(t, o)
			if got, want := m["x_misp_country"], "KP"; got != want {
				t.Errorf("x_misp_country = %v, want %v", got, want)
			}
			if got, want := m["x_misp_attribution_confidence"], float64(50); got != want {
				t.Errorf("x_misp_attribution_confidence = %v, want %v", got, want)
			}
		})
		// The task expected a second cluster listing DarkSeoul. In this
		// snapshot (threat-actor v349, malpedia v25472, mitre-intrusion-set
		// v40) only the threat-actor Lazarus Group cluster does, as "Dark
		// Seoul" and "Operation DarkSeoul"; the ATT&CK group mentions
		// DarkSeoul in its description only. Pin that down, so a newer
		// snapshot that adds one is noticed.
		t.Run("DarkSeoul carriers", func(t *testing.T) {
			var got []string
			for _, name := range []string{"threat-actor.json.gz", "malpedia.json.gz", "mitre-intrusion-set.json.gz"} {
				f := decoded[name]
				if f == nil {
					t.Skipf("%s not decoded", name)
				}
				for _, o := range f.Objects {
					for _, a := range append([]string{o.Name}, o.Aliases...) {
						if squash(a) == "darkseoul" {
							got = append(got, f.Type+": "+o.Name+": "+a)
						}
					}
				}
			}
			want := []string{"threat-actor: Lazarus Group: Dark Seoul"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("objects with the alias DarkSeoul (-want +got):\n%s", diff)
			}
		})
	}
	if ta != nil && mis != nil {
		t.Run("Lazarus Group links", func(t *testing.T) {
			rels, err := Link(ta, mis, decoded["malpedia.json.gz"])
			if err != nil {
				t.Fatalf("Link: %v", err)
			}
			if len(rels) < 100 {
				t.Errorf("Link gave %d relationships between the reference galaxies, want at least 100", len(rels))
			}
			misp, attack := findName(ta, "Lazarus Group"), findName(mis, "Lazarus Group")
			if misp == nil || attack == nil {
				t.Fatal("no Lazarus Group")
			}
			var got []string
			for _, r := range rels {
				if r.SourceRef == misp.ID && r.TargetRef == attack.ID || r.SourceRef == attack.ID && r.TargetRef == misp.ID {
					got = append(got, fmt.Sprintf("%s %s %d", r.SourceRef[:20], r.RelationshipType, *r.Confidence))
				}
			}
			want := []string{
				fmt.Sprintf("%s similar 70", misp.ID[:20]),
				fmt.Sprintf("%s similar 70", attack.ID[:20]),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("relationships between the two Lazarus Group objects (-want +got):\n%s", diff)
			}
		})
	}
	if mis != nil {
		t.Run("Lazarus Group ATT&CK group", func(t *testing.T) {
			o := findName(mis, "Lazarus Group")
			if o == nil {
				t.Fatal("no Lazarus Group in mitre-intrusion-set")
			}
			if got, want := o.ExternalID("mitre-attack"), "G0032"; got != want {
				t.Errorf("ExternalID(mitre-attack) = %q, want %q", got, want)
			}
			if !hasAlias(o, "Guardians of Peace") {
				t.Errorf("aliases %q, want Guardians of Peace among them", o.Aliases)
			}
			if o.ID == ObjectID("threat-actor", "68391641-859f-4a9a-9a1e-3e5cf71ec376") {
				t.Errorf("ATT&CK and threat-actor Lazarus Group share the id %s", o.ID)
			}
		})
	}
}

func findName(f *File, name string) *stix.Object {
	for _, o := range f.Objects {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func hasAlias(o *stix.Object, a string) bool {
	for _, x := range o.Aliases {
		if x == a {
			return true
		}
	}
	return false
}

// squash lower-cases s and drops everything but letters and digits.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(galaxyJSON("threat-actor", `{"value": "A", "uuid": "`+uuidA+`", "meta": {"synonyms": ["B"], "country": "KP", "refs": ["https://x.y/"]},
		"related": [{"dest-uuid": "`+uuidB+`", "type": "similar", "tags": ["estimative-language:likelihood-probability=\"likely\""]}]}`,
		`{"value": "B", "uuid": "`+uuidB+`"}`)))
	f.Add([]byte(galaxyJSON("mitre-intrusion-set", `{"value": "A - G1", "uuid": "`+uuidA+`", "meta": {"external_id": "G1"}}`)))
	f.Add(gzipped(galaxyJSON("malpedia", `{"value": "A", "uuid": "`+uuidA+`"}`)))
	f.Add([]byte(`{"values": [{}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := Decoder{MaxFileSize: 1 << 20, MaxValueSize: 64 << 10}.Decode(bytes.NewReader(in), "fuzz.json")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		for _, o := range file.Objects {
			if !json.Valid(o.Raw) {
				t.Fatalf("object %s: invalid JSON %s", o.ID, o.Raw)
			}
			if o.Type == "relationship" && !relTypeRE.MatchString(o.RelationshipType) {
				t.Fatalf("relationship_type %q", o.RelationshipType)
			}
			if o.ID == "" || o.Name == "" && o.Type != "relationship" {
				t.Fatalf("object without id or name: %s", o.Raw)
			}
		}
	})
}

// BenchmarkDecode decodes each reference galaxy file from memory (gzip
// included). SetBytes counts uncompressed bytes; cpu-ns/op is the process
// CPU time per decode, which stays meaningful on a loaded machine.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"threat-actor.json.gz", "malpedia.json.gz", "mitre-intrusion-set.json.gz"} {
		b.Run(strings.TrimSuffix(name, ".json.gz"), func(b *testing.B) {
			data, err := os.ReadFile(refdata.Path(b, "misp-galaxy", name))
			if err != nil {
				b.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, zr)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := Decode(bytes.NewReader(data), name); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkParseOnly is the floor BenchmarkDecode is measured against:
// gunzip and encoding/json into a generic tree, with no validation or
// mapping.
func BenchmarkParseOnly(b *testing.B) {
	for _, name := range []string{"threat-actor.json.gz", "malpedia.json.gz", "mitre-intrusion-set.json.gz"} {
		b.Run(strings.TrimSuffix(name, ".json.gz"), func(b *testing.B) {
			data, err := os.ReadFile(refdata.Path(b, "misp-galaxy", name))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				var v any
				if err := json.NewDecoder(zr).Decode(&v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
