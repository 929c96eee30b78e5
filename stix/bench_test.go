package stix

import (
	"bytes"
	"io"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/internal/stixschema"
)

// readAttack returns the decompressed ATT&CK bundle file.
func readAttack(b *testing.B, file string) []byte {
	b.Helper()
	r := openTB(b, refdata.Path(b, "attack", file))
	data, err := io.ReadAll(r)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodeATTACK decodes the whole ATT&CK Enterprise 18.1 bundle
// (24,771 STIX 2.0 objects, 45 MB) from memory, upgrading it to 2.1.
func BenchmarkDecodeATTACK(b *testing.B) {
	data := readAttack(b, "enterprise-attack-18.1.json.gz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = 0
		d := NewDecoder(bytes.NewReader(data), "enterprise-attack-18.1.json")
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkDecodeATTACKGzip is BenchmarkDecodeATTACK from the gzip file on
// disk, through Open, as an import reads it.
func BenchmarkDecodeATTACKGzip(b *testing.B) {
	path := refdata.Path(b, "attack", "enterprise-attack-18.1.json.gz")
	b.ReportAllocs()
	for b.Loop() {
		r, _, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d := NewDecoder(r, path)
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

// decodeAllB decodes data, for the benchmarks' setup.
func decodeAllB(b *testing.B, data []byte) []*Object {
	b.Helper()
	var objs []*Object
	d := NewDecoder(bytes.NewReader(data), "bench")
	for {
		o, err := d.Next()
		if err == io.EOF {
			return objs
		}
		if err != nil {
			b.Fatal(err)
		}
		objs = append(objs, o)
	}
}

// BenchmarkEncodeATTACK writes the 24,771 upgraded ATT&CK objects as one
// STIX 2.1 bundle.
func BenchmarkEncodeATTACK(b *testing.B) {
	objs := decodeAllB(b, readAttack(b, "enterprise-attack-18.1.json.gz"))
	var size int64
	for _, o := range objs {
		size += int64(len(o.Raw))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		w := NewBundleWriter(io.Discard)
		for _, o := range objs {
			if err := w.Write(o); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateATTACKExport validates the exported ATT&CK bundle
// against the OASIS STIX 2.1 schemas, object by object.
func BenchmarkValidateATTACKExport(b *testing.B) {
	objs := decodeAllB(b, readAttack(b, "enterprise-attack-18.1.json.gz"))
	var out bytes.Buffer
	w := NewBundleWriter(&out)
	for _, o := range objs {
		if err := w.Write(o); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	v, err := stixschema.New(refdata.Path(b, "stix", "schemas"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(out.Len()))
	for b.Loop() {
		if err := v.ValidateBundle(out.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseObject parses one ATT&CK-sized 2.1 object.
func BenchmarkParseObject(b *testing.B) {
	raw := []byte(okObject)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseObject(raw); err != nil {
			b.Fatal(err)
		}
	}
}
