package sample_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/culprit-cti/culprit/sample"
	"github.com/culprit-cti/culprit/sample/internal/fixture"
)

// body returns n bytes that look like a program: runs of low-entropy code
// bytes, random data and, every 4 KiB, a few strings (some with
// indicators), so that every stage of Analyze has work.
func body(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 0, n+256)
	for i := 0; len(b) < n; i++ {
		switch i % 4 {
		case 0, 1:
			for j := 0; j < 1024; j++ {
				b = append(b, []byte{0x48, 0x89, 0xe5, 0x90, 0xc3, 0x0f, 0x1f, 0x00}[r.IntN(8)])
			}
		case 2:
			for j := 0; j < 1024; j++ {
				b = append(b, byte(r.Uint32()))
			}
		case 3:
			b = append(b, fmt.Sprintf("\x00GetProcAddress\x00LoadLibraryW\x00error %d in module\x00http://cdn%d.example.com/p\x00%d.%d.%d.%d\x00",
				i, i%97, 10+i%200, i%250, i%199, 1+i%254)...)
			b = append(b, wide("Software\\Microsoft\\Windows\\CurrentVersion\\Run")...)
		}
	}
	return b[:n]
}

func benchAnalyze(b *testing.B, file []byte) {
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sample.Analyze(bytes.NewReader(file), int64(len(file)), sample.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzePE analyses a crafted 10 MiB PE.
func BenchmarkAnalyzePE(b *testing.B) {
	file := fixture.PE{Imports: []fixture.Import{{DLL: "kernel32.dll", Names: []string{"CreateFileW"}}}, Resources: true, Text: body(10 << 20)}.Build()
	benchAnalyze(b, file)
}

// BenchmarkAnalyzeELF analyses a crafted 10 MiB ELF.
func BenchmarkAnalyzeELF(b *testing.B) {
	file := fixture.ELF{Interpreter: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6"}, Text: body(10 << 20)}.Build()
	benchAnalyze(b, file)
}
