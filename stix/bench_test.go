package stix

import (
	"bytes"
	"io"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
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
