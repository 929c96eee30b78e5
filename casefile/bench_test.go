package casefile

import (
	"bytes"
	"os"
	"testing"
)

func benchmarkParse(b *testing.B, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(path, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseYAML(b *testing.B)   { benchmarkParse(b, "testdata/full.yaml") }
func BenchmarkParseBundle(b *testing.B) { benchmarkParse(b, "testdata/bundle21.json") }
