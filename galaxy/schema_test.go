package galaxy

import (
	"bytes"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
)

// TestSchema checks every object made from the reference galaxy files
// against the OASIS STIX 2.1 JSON schemas, in one bundle.
func TestSchema(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--5e1d6d5c-4c43-4f62-9a4e-2b7a3a8e3c11","objects":[`)
	n := 0
	for _, name := range []string{"threat-actor.json.gz", "malpedia.json.gz", "mitre-intrusion-set.json.gz"} {
		f, err := DecodeFile(refdata.Path(t, "misp-galaxy", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range f.Objects {
			if n > 0 {
				b.WriteByte(',')
			}
			b.Write(o.Raw)
			n++
		}
	}
	b.WriteString(`]}`)
	stixschema.Validate(t, b.Bytes())
}
