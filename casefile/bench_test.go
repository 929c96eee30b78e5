package casefile

import (
	"bytes"
	"fmt"
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

// BenchmarkParseYAMLLarge parses a case of 20,000 indicators (about 1 MB),
// far more than an incident usually has.
func BenchmarkParseYAMLLarge(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("name: large\nindicators:\n")
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&buf, "  - {type: ipv4-addr, value: 10.%d.%d.%d, source: sensor}\n", i>>16&255, i>>8&255, i&255)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse("large.yaml", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
