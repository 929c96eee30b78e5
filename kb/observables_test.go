package kb_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

func TestObservables(t *testing.T) {
	for _, tc := range []struct {
		name, obj string
		want      []string
	}{
		{"indicator values lower-cased, escapes undone, no path step",
			`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z",` +
				`"pattern":"[file:hashes.'SHA-256' = 'ABC'] OR [domain-name:value = 'it\\'s.example']"}`,
			[]string{"abc", "it's.example"}},
		{"unterminated literal dropped",
			`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z",` +
				`"pattern":"[ipv4-addr:value = '10.0.0.1'] AND [url:value = 'http"}`,
			[]string{"10.0.0.1"}},
		{"SCO value", `{"type":"domain-name","spec_version":"2.1","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":" Example.COM "}`,
			[]string{"example.com"}},
		{"file hashes, sorted", `{"type":"file","spec_version":"2.1","id":"file--3c10e93f-798e-5a26-a0c1-08156efab7f5","hashes":{"MD5":"44D88612FEA8A8F36DE82E1278ABB02F","SHA-1":"3395856ce81f2b7382dee72602f798b642f14140"}}`,
			[]string{"3395856ce81f2b7382dee72602f798b642f14140", "44d88612fea8a8f36de82e1278abb02f"}},
		{"malware: nothing", `{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"x","is_family":true}`,
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := stix.ParseObject([]byte(tc.obj))
			if err != nil {
				t.Fatal(err)
			}
			if got := kb.Observables(o); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Observables = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzObservables checks the bounds and the form of the indexed values
// of any indicator pattern.
func FuzzObservables(f *testing.F) {
	f.Add(`[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']`)
	f.Add(`[a:b = 'x\'y\\z'] OR [c:d = '`)
	f.Fuzz(func(t *testing.T, pattern string) {
		o := &stix.Object{Type: "indicator"}
		raw, err := json.Marshal(map[string]string{"pattern": pattern})
		if err != nil {
			t.Fatal(err)
		}
		o.Raw = raw
		got := kb.Observables(o)
		if len(got) > kb.MaxObservables {
			t.Fatalf("%d values, more than %d", len(got), kb.MaxObservables)
		}
		for i, v := range got {
			if v == "" || len(v) > kb.MaxObservable || v != kb.ObservableValue(v) {
				t.Fatalf("value %q not in indexed form or out of bounds", v)
			}
			if i > 0 && got[i-1] >= v {
				t.Fatalf("values not distinct and sorted: %q", got)
			}
		}
	})
}
