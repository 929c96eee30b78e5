package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
)

// addExampleSeeds adds the small STIX examples, when present, as seeds.
func addExampleSeeds(f *testing.F) {
	dir := filepath.Join(refdata.Dir(), "stix", "examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
}

// FuzzDecoder checks that the decoder never panics, that every error is a
// *DecodeError, and that every object it returns is valid: its Raw is a
// JSON object that parses again to the same Object.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte(bundle(okObject)))
	f.Add([]byte(`[` + okObject + `]`))
	f.Add([]byte(okObject))
	f.Add([]byte(`{"type":"bundle","id":"bundle--9b4a4f1d-3b7e-4c1e-9f4b-2a5c6d7e8f90","spec_version":"2.0","objects":[{"type":"malware","id":"malware--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","name":"X","labels":["malware"]}]}`))
	f.Add([]byte(`[{"type":"indicator","id":"indicator--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","modified":"2017-05-31T21:32:03.807Z","pattern":"[x]","valid_from":"2017-05-31T21:32:03Z"}]`))
	f.Add([]byte(`[{"type":"file","id":"file--c93fccb1-e8e8-52cf-ae33-2ad1d183913a","hashes":{"SSDEEP":"3:a:b","TLSH":"T1` + strings.Repeat("A", 70) + `"}}]`))
	addExampleSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data), "fuzz")
		d.MaxObjectSize = 1 << 20
		for i := 0; ; i++ {
			o, err := d.Next()
			if err == io.EOF {
				if !json.Valid(data) {
					t.Fatalf("decoded %d objects from invalid JSON %q", i, data)
				}
				return
			}
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
				}
				return
			}
			checkRoundTrip(t, o)
			if i > 10000 {
				t.Fatal("too many objects")
			}
		}
	})
}

// checkRoundTrip checks that o.Raw parses to o again.
func checkRoundTrip(t *testing.T, o *Object) {
	t.Helper()
	if !json.Valid(o.Raw) {
		t.Fatalf("Raw is not valid JSON: %s", o.Raw)
	}
	again, err := ParseObject(o.Raw)
	if err != nil {
		t.Fatalf("ParseObject(Raw %s) = %v", o.Raw, err)
	}
	if !reflect.DeepEqual(o, again) {
		t.Fatalf("ParseObject(Raw) = %+v, want %+v", again, o)
	}
	if o.SpecVersion != "2.1" {
		t.Fatalf("SpecVersion = %q", o.SpecVersion)
	}
}

// FuzzParseObject checks that ParseObject never panics, returns
// *DecodeError values, and that what it accepts is stable.
func FuzzParseObject(f *testing.F) {
	f.Add([]byte(okObject))
	f.Add([]byte(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"uses","source_ref":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`))
	f.Add([]byte(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:WHITE","definition":{"tlp":"white"}}`))
	f.Add([]byte(`{"type":"ipv6-addr","id":"ipv6-addr--c93fccb1-e8e8-52cf-ae33-2ad1d183913a","value":"2001:db8::/32"}`))
	f.Add([]byte(`{"type":"x-custom","id":"x-custom--c93fccb1-e8e8-52cf-ae33-2ad1d183913a","created":"2017-05-31T21:32:03.807Z","value":[1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := ParseObject(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			return
		}
		checkRoundTrip(t, o)
	})
}

// FuzzValidJSON checks that validJSON agrees with json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{okObject, `[1,2.5e-3,-0,"\u00e9\n",true,false,null,{}]`, `{"a":}`, `01`, `"\x01"`, `[1,]`, `1.`, `-`, `"\u12"`, ` {"a" : [ ] } `, strings.Repeat("[", 10001) + strings.Repeat("]", 10001)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", data, got, want)
		}
	})
}
