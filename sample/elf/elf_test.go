package elf_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/sample/elf"
	"github.com/culprit-cti/culprit/sample/internal/fixture"
)

var dynamic = fixture.ELF{
	Interpreter: "/lib64/ld-linux-x86-64.so.2",
	Needed:      []string{"libc.so.6", "libcrypto.so.3"},
	SOName:      "libfixture.so.1",
	Text:        bytes.Repeat([]byte{0x90, 0x48, 0x31, 0xc0}, 64),
}

func TestParseFixture(t *testing.T) {
	type summary struct {
		Class, Endianness, Type, Machine, Interpreter, SOName string
		Needed                                                []string
		Sections                                              []string
	}
	tests := []struct {
		name string
		cfg  fixture.ELF
		want summary
	}{
		{"elf64 little endian", dynamic, summary{"ELF64", "little", "EXEC", "x86-64", dynamic.Interpreter, dynamic.SOName, dynamic.Needed, nil}},
		{"elf32 big endian", fixture.ELF{Class32: true, BigEndian: true, Machine: 8, Interpreter: "/lib/ld.so.1", Needed: []string{"libc.so.0"}},
			summary{"ELF32", "big", "EXEC", "mips", "/lib/ld.so.1", "", []string{"libc.so.0"}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.cfg.Build()
			f, err := elf.Parse(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := summary{f.Class, f.Endianness, f.Type, f.Machine, f.Interpreter, f.SOName, f.Needed, nil}
			for _, s := range f.Sections {
				got.Sections = append(got.Sections, s.Name+":"+s.Type)
			}
			tt.want.Sections = []string{":NULL", ".interp:PROGBITS", ".text:PROGBITS", ".dynstr:STRTAB", ".dynamic:DYNAMIC", ".bss:NOBITS", ".shstrtab:STRTAB"}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			if len(f.Warnings) != 0 {
				t.Errorf("Warnings = %q, want none", f.Warnings)
			}
			if f.Segments != 3 {
				t.Errorf("Segments = %d, want 3", f.Segments)
			}
		})
	}
}

func TestEntropy(t *testing.T) {
	b := dynamic.Build()
	f, err := elf.Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Sections {
		if s.Name == ".text" && s.Entropy != 2 { // four equiprobable byte values
			t.Errorf(".text entropy = %v, want 2", s.Entropy)
		}
		if s.Name == ".bss" && s.Entropy != 0 {
			t.Errorf(".bss entropy = %v, want 0", s.Entropy)
		}
	}
}

// TestSelf parses the running test binary, a real ELF on Linux.
func TestSelf(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil || !bytes.HasPrefix(b, []byte("\x7fELF")) {
		t.Skip("test binary is not ELF")
	}
	f, err := elf.Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Parse(test binary): %v", err)
	}
	var names []string
	for _, s := range f.Sections {
		names = append(names, s.Name)
	}
	if !strings.Contains(strings.Join(names, " "), ".text") || !strings.Contains(strings.Join(names, " "), ".gopclntab") {
		t.Errorf("sections = %v, want .text and .gopclntab", names)
	}
}

func TestHostile(t *testing.T) {
	base := dynamic.Build()
	le := binary.LittleEndian
	mut := func(f func(b []byte)) []byte { b := bytes.Clone(base); f(b); return b }
	tests := []struct {
		name    string
		file    []byte
		wantErr string
		warn    string
	}{
		{"empty", nil, "ident", ""},
		{"bad magic", []byte("\x7fELG" + strings.Repeat("\x00", 60)), "no ELF magic", ""},
		{"bad class", mut(func(b []byte) { b[4] = 9 }), "unknown class", ""},
		{"truncated header", base[:40], "header", ""},
		{"shoff past EOF", mut(func(b []byte) { le.PutUint64(b[40:], 1<<62) }), "", "past end of file"},
		{"phoff past EOF", mut(func(b []byte) { le.PutUint64(b[32:], 1<<40) }), "", "past end of file"},
		{"huge shnum", mut(func(b []byte) { le.PutUint16(b[60:], 0xfffe) }), "", "section header"},
		{"extended shnum 4G", mut(func(b []byte) {
			shoff := le.Uint64(b[40:])
			le.PutUint16(b[60:], 0)
			le.PutUint64(b[shoff+32:], 1<<40)
		}), "", "declared"},
		{"section 4GB", mut(func(b []byte) {
			shoff := le.Uint64(b[40:])
			le.PutUint64(b[shoff+64*2+32:], 0xffffffffffff)
		}), "", "runs past end of file"},
		{"tiny shentsize", mut(func(b []byte) { le.PutUint16(b[58:], 1) }), "", "entry size"},
		{"needed string outside table", mut(func(b []byte) {
			f, _ := elf.Parse(bytes.NewReader(base), int64(len(base)))
			for _, s := range f.Sections {
				if s.Name == ".dynamic" {
					le.PutUint64(b[s.Offset+8:], 1<<50)
				}
			}
		}), "", "outside the string table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := elf.Parse(bytes.NewReader(tt.file), int64(len(tt.file)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !strings.Contains(strings.Join(f.Warnings, "\n"), tt.warn) {
				t.Errorf("Warnings = %q, want one containing %q", f.Warnings, tt.warn)
			}
		})
	}
}

func TestTruncations(t *testing.T) {
	b := dynamic.Build()
	for n := 0; n <= len(b); n++ {
		elf.Parse(bytes.NewReader(b[:n]), int64(n))
	}
}

func FuzzELF(f *testing.F) {
	f.Add(dynamic.Build())
	f.Add(fixture.ELF{Class32: true, BigEndian: true, Needed: []string{"a"}}.Build())
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := elf.Parse(bytes.NewReader(b), int64(len(b)))
		if err == nil && file == nil {
			t.Fatal("Parse returned nil file and nil error")
		}
	})
}

func BenchmarkParse(b *testing.B) {
	file := dynamic.Build()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := elf.Parse(bytes.NewReader(file), int64(len(file))); err != nil {
			b.Fatal(err)
		}
	}
}
