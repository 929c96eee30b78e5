package stix

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/google/go-cmp/cmp"
)

// decodeAll decodes every object of r.
func decodeAll(t testing.TB, r io.Reader, name string) ([]*Object, error) {
	t.Helper()
	d := NewDecoder(r, name)
	var objs []*Object
	for {
		o, err := d.Next()
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return objs, err
		}
		objs = append(objs, o)
	}
}

// rawObjects reads the objects of a bundle with encoding/json alone, as an
// independent reference: each object as a generic value, or for step > 1,
// every step-th object and nil for the others.
func rawObjects(t testing.TB, r io.Reader, step int) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("reading bundle: %v", err)
		}
		if tok == "objects" {
			break
		}
	}
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for i := 0; dec.More(); i++ {
		if i%step != 0 {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
			out = append(out, nil)
			continue
		}
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func openTB(t testing.TB, path string) io.ReadCloser {
	t.Helper()
	r, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// attackCache holds the decoded ATT&CK bundles, shared by the tests.
var attackCache sync.Map // file name -> func() ([]*Object, error)

// decodeATTACK decodes the ATT&CK bundle file once per test binary.
func decodeATTACK(t *testing.T, file string) []*Object {
	t.Helper()
	path := refdata.Path(t, "attack", file)
	f, _ := attackCache.LoadOrStore(file, sync.OnceValues(func() ([]*Object, error) {
		r, _, err := Open(path)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return decodeAll(t, r, file)
	}))
	objs, err := f.(func() ([]*Object, error))()
	if err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	return objs
}

// sampleStep is the step between the objects that a heavy test checks in
// full: all of them, or one in 10 under the race detector.
func sampleStep() int {
	if raceEnabled {
		return 10
	}
	return 1
}

func TestDecodeATTACK(t *testing.T) {
	tests := []struct {
		file   string
		counts map[string]int
	}{
		{
			file: "enterprise-attack-18.1.json.gz",
			counts: map[string]int{"attack-pattern": 835, "campaign": 52, "course-of-action": 268, "identity": 1,
				"intrusion-set": 187, "malware": 696, "marking-definition": 1, "relationship": 20048, "tool": 91,
				"x-mitre-analytic": 1739, "x-mitre-data-component": 109, "x-mitre-data-source": 38,
				"x-mitre-detection-strategy": 691, "x-mitre-matrix": 1, "x-mitre-tactic": 14},
		},
		{
			file: "enterprise-attack-12.1.json.gz",
			counts: map[string]int{"attack-pattern": 737, "campaign": 13, "course-of-action": 267, "identity": 1,
				"intrusion-set": 147, "malware": 542, "marking-definition": 1, "relationship": 16453, "tool": 80,
				"x-mitre-data-component": 109, "x-mitre-data-source": 38, "x-mitre-matrix": 1, "x-mitre-tactic": 14},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := refdata.Path(t, "attack", tt.file)
			objs := decodeATTACK(t, tt.file)
			counts := map[string]int{}
			for _, o := range objs {
				counts[o.Type]++
				if o.SpecVersion != "2.1" || !bytes.Contains(o.Raw, []byte(`"spec_version":"2.1"`)) {
					t.Fatalf("object %s not upgraded to 2.1: %.200s", o.ID, o.Raw)
				}
			}
			if diff := cmp.Diff(tt.counts, counts); diff != "" {
				t.Errorf("objects per type (-want +got):\n%s", diff)
			}

			var lazarus *Object
			for _, o := range objs {
				if o.Type == "intrusion-set" && o.ExternalID("mitre-attack") == "G0032" {
					lazarus = o
				}
			}
			if lazarus == nil {
				t.Fatal("no intrusion-set G0032")
			}
			if lazarus.Name != "Lazarus Group" || !slices.Contains(lazarus.Aliases, "Guardians of Peace") {
				t.Errorf("G0032: name %q, aliases %q; want Lazarus Group with Guardians of Peace", lazarus.Name, lazarus.Aliases)
			}
			if lazarus.Created.IsZero() || lazarus.Modified.Before(lazarus.Created) || lazarus.CreatedBy == "" {
				t.Errorf("G0032: created %v modified %v created_by %q", lazarus.Created, lazarus.Modified, lazarus.CreatedBy)
			}

			// Every object is the input object, upgraded: compare the
			// generic values of Raw with those of the input (under the
			// race detector, a sample of the newest release only).
			if raceEnabled && !strings.Contains(tt.file, "18.1") {
				return
			}
			want := rawObjects(t, openTB(t, path), sampleStep())
			if len(want) != len(objs) {
				t.Fatalf("decoded %d objects, input has %d", len(objs), len(want))
			}
			for i, o := range objs {
				if want[i] == nil {
					continue // not in the sample
				}
				var got map[string]any
				if err := json.Unmarshal(o.Raw, &got); err != nil {
					t.Fatalf("object %d (%s): Raw: %v", i+1, o.ID, err)
				}
				if got["spec_version"] != "2.1" || o.SpecVersion != "2.1" {
					t.Fatalf("object %d (%s): spec_version = %v (field %q), want 2.1", i+1, o.ID, got["spec_version"], o.SpecVersion)
				}
				w := want[i]
				w["spec_version"] = "2.1"
				if o.Type == "malware" {
					if _, ok := w["is_family"]; !ok {
						w["is_family"] = true
					}
				}
				if !reflect.DeepEqual(w, got) {
					t.Fatalf("object %d (%s): Raw differs from input (-want +got):\n%s", i+1, o.ID, cmp.Diff(w, got))
				}
				if o.Type == "relationship" && (o.SourceRef == "" || o.TargetRef == "" || o.RelationshipType == "") {
					t.Fatalf("relationship %s: empty source, target or type", o.ID)
				}
			}

		})
	}
}

func TestDecodeUpgrade(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // Raw
	}{
		{
			name: "2.0 bundle object gets spec_version after type",
			in:   `{"type":"bundle","id":"bundle--9b4a4f1d-3b7e-4c1e-9f4b-2a5c6d7e8f90","spec_version":"2.0","objects":[{"type":"intrusion-set","id":"intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","name":"X","x_custom":{"a":[1,2]}}]}`,
			want: `{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","name":"X","x_custom":{"a":[1,2]}}`,
		},
		{
			name: "explicit 2.0 replaced, malware gets is_family",
			in:   `[{"id":"malware--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","spec_version":"2.0","type":"malware","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","name":"X","labels":["malware"]}]`,
			want: `{"id":"malware--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","spec_version":"2.1","type":"malware","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","name":"X","labels":["malware"],"is_family":true}`,
		},
		{
			name: "indicator gets pattern_type, whitespace compacted",
			in: `[ {
			  "type": "indicator", "id": "indicator--c93fccb1-e8e8-42cf-ae33-2ad1d183913a",
			  "created": "2017-05-31T21:32:03.807Z", "modified": "2017-05-31T21:32:03.807Z",
			  "pattern": "[ipv4-addr:value = '10.0.0.1']", "valid_from": "2017-05-31T21:32:03Z", "labels": ["malicious-activity"] } ]`,
			want: `{"type":"indicator","spec_version":"2.1","id":"indicator--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","pattern":"[ipv4-addr:value = '10.0.0.1']","valid_from":"2017-05-31T21:32:03Z","labels":["malicious-activity"],"pattern_type":"stix"}`,
		},
		{
			name: "2.1 object unchanged",
			in:   `{"type":"malware","spec_version":"2.1","id":"malware--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","is_family":false,"x_y":"\u00e9"}`,
			want: `{"type":"malware","spec_version":"2.1","id":"malware--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","is_family":false,"x_y":"\u00e9"}`,
		},
		{
			name: "2.1 SCO without spec_version unchanged",
			in:   `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`,
			want: `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`,
		},
		{
			name: "custom 2.0 object upgraded",
			in:   `{"type":"bundle","id":"bundle--9b4a4f1d-3b7e-4c1e-9f4b-2a5c6d7e8f90","objects":[{"type":"x-mitre-tactic","id":"x-mitre-tactic--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","x_mitre_shortname":"execution"}],"spec_version":"2.0"}`,
			want: `{"type":"x-mitre-tactic","spec_version":"2.1","id":"x-mitre-tactic--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","x_mitre_shortname":"execution"}`,
		},
		{
			name: "custom SCO-like object without created unchanged",
			in:   `[{"type":"x-foo-obs","id":"x-foo-obs--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","value":{"nested":true}}]`,
			want: `{"type":"x-foo-obs","id":"x-foo-obs--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","value":{"nested":true}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decodeAll(t, strings.NewReader(tt.in), "in.json")
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 1 {
				t.Fatalf("got %d objects, want 1", len(objs))
			}
			if got := string(objs[0].Raw); got != tt.want {
				t.Errorf("Raw =\n%s\nwant\n%s", got, tt.want)
			}
			if objs[0].SpecVersion != "2.1" {
				t.Errorf("SpecVersion = %q, want 2.1", objs[0].SpecVersion)
			}
		})
	}
}

const (
	okBundleStart = `{"type":"bundle","id":"bundle--9b4a4f1d-3b7e-4c1e-9f4b-2a5c6d7e8f90","objects":[`
	okObject      = `{"type":"campaign","spec_version":"2.1","id":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","name":"Green Group Attacks Against Finance"}`
)

func bundle(objs ...string) string {
	return okBundleStart + strings.Join(objs, ",") + "]}"
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	big := bundle(okObject, strings.Replace(okObject, `"name":`, `"description":"`+strings.Repeat("x", 5000)+`","name":`, 1))
	zipped := gz(t, bundle(okObject, okObject, okObject))
	corrupt := bytes.Clone(zipped)
	for i := 20; i < len(corrupt)-8; i += 7 {
		corrupt[i] ^= 0x55
	}
	rel := `{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"uses","source_ref":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`

	tests := []struct {
		name  string
		input []byte
		max   int64
		want  DecodeError // File is always checked; Offset only when not 0
		msg   []string    // substrings of the message
		isErr error       // errors.Is target, if any
	}{
		{
			name:  "objects not a list",
			input: []byte(`{"objects": "notalist"}`),
			msg:   []string{`"objects" is a string: want an array of STIX objects`},
		},
		{
			name:  "bundle objects an object",
			input: []byte(`{"type":"bundle","id":"bundle--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f","objects": {}}`),
			msg:   []string{`"objects" is an object: want an array`},
		},
		{
			name:  "truncated gzip",
			input: zipped[:len(zipped)/2],
			want:  DecodeError{Index: 1},
			msg:   []string{"in.json.gz", "unexpected"},
		},
		{
			name:  "corrupt gzip",
			input: corrupt,
			msg:   []string{"in.json.gz", "read "},
		},
		{
			name:  "invalid JSON",
			input: []byte(bundle(okObject, `{"type":"campaign",}`)),
			want:  DecodeError{Index: 2, Offset: int64(len(okBundleStart) + len(okObject) + 1 + 19)},
			msg:   []string{"object 2 at byte ", "invalid character '}'"},
		},
		{
			name:  "object without id",
			input: []byte(bundle(okObject, `{"type":"campaign","name":"x"}`)),
			want:  DecodeError{Index: 2, ObjectType: "campaign", Offset: int64(len(okBundleStart) + len(okObject) + 1)},
			msg:   []string{"object 2 (type campaign) at byte ", `missing "id"`},
		},
		{
			name:  "object without type",
			input: []byte(bundle(`{"id":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`)),
			want:  DecodeError{Index: 1, ObjectID: "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Offset: int64(len(okBundleStart))},
			msg:   []string{"object 1 (campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f)", `missing "type"`},
		},
		{
			name:  "id and type mismatch",
			input: []byte(bundle(strings.Replace(okObject, `"type":"campaign"`, `"type":"intrusion-set"`, 1))),
			want:  DecodeError{Index: 1, ObjectID: "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", ObjectType: "intrusion-set"},
			msg:   []string{"object 1 (campaign--8e2e2d2b", `does not match type "intrusion-set"`},
		},
		{
			name:  "bad UUID",
			input: []byte(bundle(strings.Replace(okObject, "8e2e2d2b-17d4-4cbf", "8e2e2d2b-17d4-0cbf", 1))),
			want:  DecodeError{Index: 1, ObjectID: "campaign--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f", ObjectType: "campaign"},
			msg:   []string{"not an RFC 4122 UUID"},
		},
		{
			name:  "unknown spec_version",
			input: []byte(bundle(okObject, strings.Replace(okObject, `"2.1"`, `"2.2"`, 1))),
			want:  DecodeError{Index: 2, ObjectID: "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", ObjectType: "campaign"},
			msg:   []string{"object 2", `unknown spec_version "2.2"`},
		},
		{
			name:  "unknown bundle spec_version",
			input: []byte(strings.Replace(bundle(okObject), `"objects"`, `"spec_version":"3.0","objects"`, 1)),
			msg:   []string{`unknown bundle spec_version "3.0"`},
		},
		{
			name:  "relationship without target_ref",
			input: []byte(bundle(okObject, rel)),
			want:  DecodeError{Index: 2, ObjectID: "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", ObjectType: "relationship"},
			msg:   []string{"object 2 (relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad)", `missing "target_ref"`},
		},
		{
			name:  "relationship with bad source_ref",
			input: []byte(bundle(strings.Replace(rel, `"source_ref":"campaign--8e2e2d2b`, `"target_ref":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","source_ref":"campaign--zz`, 1))),
			want:  DecodeError{Index: 1, ObjectID: "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", ObjectType: "relationship"},
			msg:   []string{`source_ref: invalid identifier`},
		},
		{
			name:  "missing created",
			input: []byte(bundle(strings.Replace(okObject, `"created":"2016-04-06T20:03:00.000Z",`, "", 1))),
			want:  DecodeError{Index: 1, ObjectID: "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", ObjectType: "campaign"},
			msg:   []string{`missing "created"`},
		},
		{
			name:  "bad timestamp",
			input: []byte(bundle(strings.Replace(okObject, `"2016-04-06T20:03:00.000Z"`, `"2016-04-06 20:03"`, 1))),
			want:  DecodeError{Index: 1, ObjectID: "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", ObjectType: "campaign"},
			msg:   []string{`"created": invalid timestamp`},
		},
		{
			name:  "object beyond MaxObjectSize",
			input: []byte(big),
			max:   4096,
			want:  DecodeError{Index: 2},
			msg:   []string{"object 2", "object too large"},
			isErr: ErrObjectTooLarge,
		},
		{
			name:  "bundle property beyond MaxObjectSize",
			input: []byte(`{"type":"bundle","x_pad":"` + strings.Repeat("y", 300<<10) + `","objects":[]}`),
			max:   1024,
			isErr: ErrObjectTooLarge,
		},
		{
			name:  "trailing data",
			input: []byte(bundle(okObject) + `{}`),
			msg:   []string{"unexpected data after the end"},
		},
		{
			name:  "truncated JSON",
			input: []byte(bundle(okObject)[:200]),
			want:  DecodeError{Index: 1},
			msg:   []string{"unexpected end of input"},
		},
		{
			name:  "empty input",
			input: nil,
			msg:   []string{"empty input"},
		},
		{
			name:  "not an object",
			input: []byte(`[1]`),
			want:  DecodeError{Index: 1},
			msg:   []string{"not a JSON object"},
		},
		{
			name:  "duplicate property",
			input: []byte(bundle(strings.Replace(okObject, `"name":`, `"name":"a","name":`, 1))),
			want:  DecodeError{Index: 1},
			msg:   []string{`duplicate property "name"`},
		},
		{
			name:  "wrong JSON type of a known property",
			input: []byte(bundle(strings.Replace(okObject, `"name":"Green Group Attacks Against Finance"`, `"name":7`, 1))),
			want:  DecodeError{Index: 1, ObjectID: "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", ObjectType: "campaign"},
			msg:   []string{`property "name": JSON number where a string is expected`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "in.json"
			if bytes.HasPrefix(tt.input, []byte{0x1f, 0x8b}) {
				name = "in.json.gz"
			}
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, tt.input, 0o600); err != nil {
				t.Fatal(err)
			}
			r, _, err := Open(path)
			if err != nil {
				if strings.Contains(err.Error(), name) && len(tt.msg) > 0 && strings.Contains(err.Error(), tt.msg[0]) {
					return // a gzip header error surfaces in Open
				}
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			d := NewDecoder(r, path)
			d.MaxObjectSize = tt.max
			var n int
			for {
				_, err = d.Next()
				if err != nil {
					break
				}
				n++
			}
			if err == io.EOF {
				t.Fatalf("decoded %d objects without error", n)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			if de.File != path || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q: File = %q, want %q in both", err, de.File, path)
			}
			got := DecodeError{Index: de.Index, ObjectID: de.ObjectID, ObjectType: de.ObjectType}
			want := tt.want
			want.Offset = 0
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return true })); diff != "" {
				t.Errorf("error %q fields (-want +got):\n%s", err, diff)
			}
			if tt.want.Offset != 0 && de.Offset != tt.want.Offset {
				t.Errorf("error %q: Offset = %d, want %d", err, de.Offset, tt.want.Offset)
			}
			for _, s := range tt.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if tt.isErr != nil && !errors.Is(err, tt.isErr) {
				t.Errorf("error %q is not %v", err, tt.isErr)
			}
			if _, again := d.Next(); again != err {
				t.Errorf("Next after error = %v, want the same error", again)
			}
		})
	}
}

func TestDecodeInputForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"bundle", bundle(okObject, okObject), 2},
		{"empty bundle", `{"type":"bundle","id":"bundle--9b4a4f1d-3b7e-4c1e-9f4b-2a5c6d7e8f90"}`, 0},
		{"bundle with empty objects", bundle(), 0},
		{"array", "[" + okObject + "," + okObject + "]", 2},
		{"empty array", "[]", 0},
		{"single object", okObject, 1},
		{"single object with white space", "\n  " + okObject + "\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decodeAll(t, strings.NewReader(tt.in), "in")
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != tt.want {
				t.Fatalf("got %d objects, want %d", len(objs), tt.want)
			}
			for _, o := range objs {
				if string(o.Raw) != okObject || o.Name != "Green Group Attacks Against Finance" {
					t.Errorf("object = %s, want %s", o.Raw, okObject)
				}
			}
		})
	}
}

func TestOffset(t *testing.T) {
	in := bundle(okObject, okObject)
	d := NewDecoder(strings.NewReader(in), "in")
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Offset(), int64(len(okBundleStart)+len(okObject)); got != want {
		t.Errorf("Offset after first object = %d, want %d", got, want)
	}
	for {
		if _, err := d.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := d.Offset(), int64(len(in)); got != want {
		t.Errorf("Offset at the end = %d, want %d", got, want)
	}
}

func TestManyProperties(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"x-many","id":"x-many--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`)
	for i := 0; i < 200000; i++ {
		b.WriteString(`,"x_` + strconv.Itoa(i) + `":1`)
	}
	dup := b.String() + `,"x_7":2}`
	ok := b.String() + "}"
	if _, err := ParseObject([]byte(ok)); err != nil {
		t.Errorf("ParseObject(200,000 properties) = %v", err)
	}
	if _, err := ParseObject([]byte(dup)); err == nil || !strings.Contains(err.Error(), `duplicate property "x_7"`) {
		t.Errorf("ParseObject(duplicate among 200,000 properties) = %v, want duplicate error", err)
	}
}

// endless repeats b forever.
type endless []byte

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], e)
	}
	return n, nil
}

func TestEndlessInput(t *testing.T) {
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"endless string", io.MultiReader(strings.NewReader(okBundleStart+`{"type":"`), endless("x"))},
		{"endless nesting", io.MultiReader(strings.NewReader(okBundleStart), endless(`{"a":[`))},
		{"endless bundle property", io.MultiReader(strings.NewReader(`{"type":"bundle","x_big":"`), endless("y"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(tt.r, "endless")
			d.MaxObjectSize = 1 << 20
			_, err := d.Next()
			if !errors.Is(err, ErrObjectTooLarge) {
				t.Fatalf("Next = %v, want %v", err, ErrObjectTooLarge)
			}
			if d.Offset() > 2<<20 {
				t.Errorf("Offset = %d after the error, want at most about MaxObjectSize", d.Offset())
			}
		})
	}
}
