package stixschema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
)

func newValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := New(refdata.Path(t, "stix", "schemas"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidateExamples(t *testing.T) {
	v := newValidator(t)
	files, err := filepath.Glob(filepath.Join(refdata.Path(t, "stix", "examples"), "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(refdata.Path(t, "stix", "examples"), "*.json"))
	files = append(files, more...)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "interop-objectmarking-test.json") {
			continue // a single campaign, not a bundle
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.ValidateBundle(data); err != nil {
				t.Errorf("ValidateBundle(%s) = %v, want nil", f, err)
			}
		})
		n++
	}
	if n != 7 {
		t.Errorf("found %d example bundles, want 7", n)
	}
}

const (
	bundleStart = `{"type":"bundle","id":"bundle--9b4a4f1d-3b7e-4c1e-9f4b-2a5c6d7e8f90","objects":[`
	campaign    = `{"type":"campaign","spec_version":"2.1","id":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","name":"Green Group"}`
)

func TestValidateBundle(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name    string
		bundle  string
		wantErr string // "" for valid
	}{
		{"valid", bundleStart + campaign + "]}", ""},
		{"custom object", bundleStart + `{"type":"x-mitre-tactic","spec_version":"2.1","id":"x-mitre-tactic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","x_mitre_shortname":"execution"}]}`, ""},
		{"campaign without name", bundleStart + strings.Replace(campaign, `,"name":"Green Group"`, "", 1) + "]}", "object 1"},
		{"second object bad timestamp", bundleStart + campaign + "," + strings.Replace(campaign, `"2016-04-06T20:03:00.000Z"`, `"2016-04-06"`, 1) + "]}", "object 2"},
		{"spec_version 2.0 custom object without modified", bundleStart + `{"type":"x-foo","spec_version":"2.1","id":"x-foo--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:00.000Z"}]}`, "object 1"},
		{"bad bundle id", strings.Replace(bundleStart, "bundle--9b4a", "bundle--zz4a", 1) + campaign + "]}", "bundle"},
		{"bundle type", strings.Replace(bundleStart, `"type":"bundle"`, `"type":"bundel"`, 1) + campaign + "]}", "bundle"},
		{"empty objects", bundleStart + "]}", "at least 1 item"},
		{"malware without is_family", bundleStart + `{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","name":"x"}]}`, "is_family"},
		{"bad url format", bundleStart + strings.Replace(campaign, `"name"`, `"external_references":[{"source_name":"x","url":"not a uri"}],"name"`, 1) + "]}", "object 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateBundle([]byte(tt.bundle))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateBundle = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("ValidateBundle = nil, want an error with %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("ValidateBundle = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateObject(t *testing.T) {
	v := newValidator(t)
	data, err := os.ReadFile(filepath.Join(refdata.Path(t, "stix", "examples"), "interop-objectmarking-test.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ValidateObject(data); err != nil {
		t.Errorf("ValidateObject(interop-objectmarking-test.json) = %v, want nil", err)
	}
	if err := v.ValidateObject([]byte(`[1]`)); err == nil {
		t.Error("ValidateObject([1]) = nil, want an error")
	}
}

func TestNewMissingDir(t *testing.T) {
	if _, err := New(t.TempDir()); err == nil {
		t.Error("New(empty dir) = nil error, want one")
	}
}

func TestLoaderStaysLocal(t *testing.T) {
	l := localLoader{dir: refdata.Path(t, "stix", "schemas")}
	for _, u := range []string{
		"https://example.com/schema.json",
		Prefix + "schemas/../../../../etc/passwd",
	} {
		if _, err := l.Load(u); err == nil {
			t.Errorf("Load(%q) = nil error, want one", u)
		}
	}
}

func BenchmarkValidateObject(b *testing.B) {
	v, err := New(refdata.Path(b, "stix", "schemas"))
	if err != nil {
		b.Fatal(err)
	}
	obj := []byte(campaign)
	for b.Loop() {
		if err := v.ValidateObject(obj); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	dir := refdata.Path(b, "stix", "schemas")
	for b.Loop() {
		if _, err := New(dir); err != nil {
			b.Fatal(err)
		}
	}
}
