package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
	"github.com/google/go-cmp/cmp"
)

// exampleBundles returns the 7 STIX 2.1 example bundles of the OASIS
// schema repository.
func exampleBundles(t *testing.T) []string {
	t.Helper()
	dir := refdata.Path(t, "stix", "examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	more, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	var out []string
	for _, f := range append(files, more...) {
		if !strings.HasSuffix(f, "interop-objectmarking-test.json") {
			out = append(out, f)
		}
	}
	if len(out) != 7 {
		t.Fatalf("found %d example bundles, want 7", len(out))
	}
	return out
}

func TestRoundTripExamples(t *testing.T) {
	for _, f := range exampleBundles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decodeAll(t, bytes.NewReader(in), f)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			w := NewBundleWriter(&out)
			for _, o := range objs {
				if err := w.Write(o); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			want := rawObjects(t, bytes.NewReader(in), 1)
			got := rawObjects(t, bytes.NewReader(out.Bytes()), 1)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("objects after a round trip (-want +got):\n%s", diff)
			}
			stixschema.Validate(t, out.Bytes())
		})
	}
}

// TestExportATTACKValidates exports the upgraded ATT&CK bundle and validates
// it against the OASIS schemas: all 24,771 objects, or under the race
// detector or -short the first 50 objects of each type.
func TestExportATTACKValidates(t *testing.T) {
	all := decodeATTACK(t, "enterprise-attack-18.1.json.gz")
	objs := all
	if raceEnabled || testing.Short() {
		objs = nil
		perType := map[string]int{}
		for _, o := range all {
			if perType[o.Type] < 50 {
				perType[o.Type]++
				objs = append(objs, o)
			}
		}
	}
	var out bytes.Buffer
	w := NewBundleWriter(&out)
	w.ID = DeterministicID("bundle", "test export")
	for _, o := range objs {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	stixschema.Validate(t, out.Bytes())

	// The export decodes again to the same objects.
	again, err := decodeAll(t, bytes.NewReader(out.Bytes()), "export")
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(objs) {
		t.Fatalf("re-decoded %d objects, want %d", len(again), len(objs))
	}
	for i := range objs {
		if !reflect.DeepEqual(objs[i], again[i]) {
			t.Fatalf("object %d changed on re-decoding:\n%s", i+1, cmp.Diff(objs[i], again[i]))
		}
	}
}

func TestBundleWriter(t *testing.T) {
	o, err := ParseObject([]byte(okObject))
	if err != nil {
		t.Fatal(err)
	}
	id := DeterministicID("bundle", "k")
	tests := []struct {
		name string
		objs []*Object
		want string
	}{
		{"empty", nil, `{"type":"bundle","id":"` + id + `","objects":[]}` + "\n"},
		{"two", []*Object{o, o}, `{"type":"bundle","id":"` + id + `","objects":[` + "\n" + okObject + ",\n" + okObject + "\n]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewBundleWriter(&b)
			w.ID = id
			for _, o := range tt.objs {
				if err := w.Write(o); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("bundle =\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid(b.Bytes()) {
				t.Error("bundle is not valid JSON")
			}
			if err := w.Write(o); err == nil {
				t.Error("Write after Close = nil error, want one")
			}
		})
	}
}

func TestBundleWriterErrors(t *testing.T) {
	t.Run("bad id", func(t *testing.T) {
		w := NewBundleWriter(new(bytes.Buffer))
		w.ID = "bundle--nope"
		if err := w.Close(); err == nil {
			t.Error("Close with a bad id = nil error, want one")
		}
	})
	t.Run("object without Raw", func(t *testing.T) {
		w := NewBundleWriter(new(bytes.Buffer))
		if err := w.Write(&Object{ID: "x"}); err == nil {
			t.Error("Write(no Raw) = nil error, want one")
		}
	})
	t.Run("writer error", func(t *testing.T) {
		o, _ := ParseObject([]byte(okObject))
		w := NewBundleWriter(failWriter{})
		for i := 0; i < 1000; i++ {
			if w.Write(o) != nil {
				break
			}
		}
		if err := w.Close(); !errors.Is(err, errFail) {
			t.Errorf("Close = %v, want %v", err, errFail)
		}
	})
	t.Run("random ids differ", func(t *testing.T) {
		a, b := NewBundleWriter(nil).ID, NewBundleWriter(nil).ID
		if a == b || !IsIdentifier(a) || !strings.HasPrefix(a, "bundle--") {
			t.Errorf("random bundle ids %q, %q: want two different bundle ids", a, b)
		}
	})
}

var errFail = errors.New("write failed")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

func TestDuplicates(t *testing.T) {
	a := okObject
	b := strings.Replace(okObject, `"name":"Green Group Attacks Against Finance"`, `"name":"Other"`, 1)
	newer := strings.Replace(b, `"modified":"2016-04-06T20:03:00.000Z"`, `"modified":"2017-04-06T20:03:00.000Z"`, 1)
	tests := []struct {
		name    string
		objs    []string
		wantErr bool
	}{
		{"same object twice", []string{a, a}, false},
		{"new version", []string{a, newer}, false},
		{"same version, other content", []string{a, newer, b}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Duplicates
			var err error
			for _, s := range tt.objs {
				o, perr := ParseObject([]byte(s))
				if perr != nil {
					t.Fatal(perr)
				}
				if err = d.Check(o); err != nil {
					break
				}
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("Check = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}
