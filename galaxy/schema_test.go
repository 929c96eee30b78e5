package galaxy

import (
	"bytes"
	"sync"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
	"github.com/culprit-cti/culprit/stix"
)

// TestSchema checks every object made from the reference galaxy files
// and the links between them against the OASIS STIX 2.1 JSON schemas, in
// one bundle.
func TestSchema(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--5e1d6d5c-4c43-4f62-9a4e-2b7a3a8e3c11","objects":[`)
	var objects []*stix.Object
	var files []*File
	for _, name := range []string{"threat-actor.json.gz", "malpedia.json.gz", "mitre-intrusion-set.json.gz"} {
		f, err := referenceFile(t, name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		objects = append(objects, f.Objects...)
	}
	links, err := Link(files...)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range append(objects, links...) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.Raw)
	}
	b.WriteString(`]}`)
	stixschema.Validate(t, b.Bytes())
}

// referenceFiles caches the decoded reference galaxies: tests only read them.
var referenceFiles sync.Map // name -> func() (*File, error)

// referenceFile decodes a galaxy file of the reference data once per test
// binary, and skips the test when the data is absent.
func referenceFile(t *testing.T, name string) (*File, error) {
	t.Helper()
	path := refdata.Path(t, "misp-galaxy", name)
	f, _ := referenceFiles.LoadOrStore(name, sync.OnceValues(func() (*File, error) { return DecodeFile(path) }))
	return f.(func() (*File, error))()
}
