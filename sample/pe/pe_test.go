package pe_test

import (
	"bytes"
	"crypto/md5"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/sample/internal/fixture"
	"github.com/culprit-cti/culprit/sample/pe"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

var sonyLike = fixture.PE{
	Timestamp: uint32(time.Date(2014, 11, 22, 6, 30, 0, 0, time.UTC).Unix()),
	Rich: []fixture.RichEntry{
		{ProductID: 0x0093, Build: 30729, Count: 7},
		{ProductID: 0x0001, Build: 0, Count: 52},
		{ProductID: 0x00aa, Build: 40219, Count: 3},
	},
	Imports: []fixture.Import{
		{DLL: "KERNEL32.dll", Names: []string{"CreateFileW", "WriteFile", "DeviceIoControl"}},
		{DLL: "WS2_32.dll", Ordinals: []uint16{115, 3, 9999}},
		{DLL: "msvbvm60.dll", Ordinals: []uint16{100}},
		{DLL: "OLEAUT32.dll", Ordinals: []uint16{2, 6}},
		{DLL: "evil.ocx", Names: []string{"Run"}},
	},
	Exports:   []string{"Start", "Stop"},
	Forward:   "NTDLL.RtlExitUserThread",
	Resources: true,
	Overlay:   []byte("trailing overlay data"),
}

func parse(t *testing.T, b []byte) *pe.File {
	t.Helper()
	f, err := pe.Parse(bytes.NewReader(b), int64(len(b)), pe.Options{Now: now})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func TestParseFixture(t *testing.T) {
	sig, cert, err := fixture.SignedData(pkix.Name{CommonName: "Sony Pictures Entertainment Inc.", Organization: []string{"Sony Pictures Entertainment Inc."}, Country: []string{"US"}}, 0x0aa1, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	c := sonyLike
	c.Signature = sig
	f := parse(t, c.Build())

	if f.Machine != "amd64" || f.Format != "PE32+" || f.Subsystem != "windows-cui" || f.DLL {
		t.Errorf("header = %s %s %s dll=%v, want amd64 PE32+ windows-cui dll=false", f.Machine, f.Format, f.Subsystem, f.DLL)
	}
	if want := time.Date(2014, 11, 22, 6, 30, 0, 0, time.UTC); !f.Timestamp.Equal(want) || f.TimestampAnomaly != "" {
		t.Errorf("Timestamp = %v (%q), want %v", f.Timestamp, f.TimestampAnomaly, want)
	}
	var names []string
	for _, s := range f.Sections {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{".text", ".rdata"}, names); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}

	wantImports := []pe.Import{
		{DLL: "KERNEL32.dll", Functions: []pe.Function{{Name: "CreateFileW"}, {Name: "WriteFile"}, {Name: "DeviceIoControl"}}},
		{DLL: "WS2_32.dll", Functions: []pe.Function{{Ordinal: 115}, {Ordinal: 3}, {Ordinal: 9999}}},
		{DLL: "msvbvm60.dll", Functions: []pe.Function{{Ordinal: 100}}},
		{DLL: "OLEAUT32.dll", Functions: []pe.Function{{Ordinal: 2}, {Ordinal: 6}}},
		{DLL: "evil.ocx", Functions: []pe.Function{{Name: "Run"}}},
	}
	if diff := cmp.Diff(wantImports, f.Imports); diff != "" {
		t.Errorf("imports (-want +got):\n%s", diff)
	}
	// Written out by hand from the table above following pefile's rules.
	wantImp := md5hex("kernel32.createfilew,kernel32.writefile,kernel32.deviceiocontrol," +
		"ws2_32.wsastartup,ws2_32.closesocket,ws2_32.ord9999," +
		"msvbvm60.ord100," +
		"oleaut32.sysallocstring,oleaut32.sysfreestring," +
		"evil.run")
	if f.ImpHash != wantImp {
		t.Errorf("ImpHash = %s, want %s", f.ImpHash, wantImp)
	}

	wantExports := &pe.Exports{DLLName: "fixture.dll", Functions: []pe.Export{
		{Ordinal: 1, Name: "Start", RVA: 0x1000},
		{Ordinal: 2, Name: "Stop", RVA: 0x1010},
		{Ordinal: 3, Forwarder: "NTDLL.RtlExitUserThread"},
	}}
	if diff := cmp.Diff(wantExports, f.Exports); diff != "" {
		t.Errorf("exports (-want +got):\n%s", diff)
	}

	if f.Rich == nil {
		t.Fatal("Rich = nil, want a decoded Rich header")
	}
	wantEntries := []pe.RichEntry{{0x0093, 30729, 7}, {0x0001, 0, 52}, {0x00aa, 40219, 3}}
	if diff := cmp.Diff(wantEntries, f.Rich.Entries); diff != "" {
		t.Errorf("rich entries (-want +got):\n%s", diff)
	}
	// Decoded header: "DanS", three zero dwords, then (id, count) pairs.
	var clear []byte
	clear = binary.LittleEndian.AppendUint32(clear, 0x536e6144)
	clear = append(clear, make([]byte, 12)...)
	for _, e := range wantEntries {
		clear = binary.LittleEndian.AppendUint32(clear, uint32(e.ProductID)<<16|uint32(e.Build))
		clear = binary.LittleEndian.AppendUint32(clear, e.Count)
	}
	if want := md5hex(string(clear)); f.Rich.Hash != want {
		t.Errorf("Rich.Hash = %s, want %s", f.Rich.Hash, want)
	}
	if !f.Rich.ChecksumValid || f.Rich.Offset != 0x80 {
		t.Errorf("Rich checksum valid = %v at 0x%x, want true at 0x80", f.Rich.ChecksumValid, f.Rich.Offset)
	}

	wantRes := []pe.ResourceType{
		{Type: "RT_VERSION", Count: 1, Size: 64, Languages: []string{"0x0412 ko-KR"}},
		{Type: "RT_RCDATA", Count: 2, Size: 300, Languages: []string{"0x0409 en-US", "0x0412 ko-KR"}},
	}
	if diff := cmp.Diff(wantRes, f.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}

	wantSig := &pe.Signature{
		Subject:      cert.Subject.String(),
		Issuer:       cert.Issuer.String(),
		SerialNumber: "aa1",
		NotBefore:    cert.NotBefore.UTC(),
		NotAfter:     cert.NotAfter.UTC(),
		Certificates: 1,
	}
	if diff := cmp.Diff(wantSig, f.Signature); diff != "" {
		t.Fatalf("signature (-want +got):\n%s", diff)
	}
	if !strings.Contains(f.Signature.Subject, "Sony Pictures") {
		t.Errorf("Signature.Subject = %q, want the Sony subject", f.Signature.Subject)
	}
	if want := int64(len(sonyLike.Overlay)); f.OverlaySize < want {
		t.Errorf("OverlaySize = %d, want at least %d", f.OverlaySize, want)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", f.Warnings)
	}
}

func TestPE32(t *testing.T) {
	c := fixture.PE{PE32: true, Machine: 0x14c, DLL: true, Timestamp: 0x50000000,
		Imports: []fixture.Import{{DLL: "wsock32.dll", Ordinals: []uint16{23, 4}}, {DLL: "user32.sys", Names: []string{"MessageBoxA"}}}}
	f := parse(t, c.Build())
	if f.Format != "PE32" || f.Machine != "i386" || !f.DLL {
		t.Errorf("header = %s %s dll=%v, want PE32 i386 dll=true", f.Format, f.Machine, f.DLL)
	}
	want := md5hex("wsock32.socket,wsock32.connect,user32.messageboxa")
	if f.ImpHash != want {
		t.Errorf("ImpHash = %s, want %s", f.ImpHash, want)
	}
}

func TestImpHash(t *testing.T) {
	tests := []struct {
		name    string
		imports []pe.Import
		want    string
	}{
		{"none", nil, ""},
		{"empty dll", []pe.Import{{DLL: "a.dll"}}, ""},
		{"extension kept for exe", []pe.Import{{DLL: "Host.EXE", Functions: []pe.Function{{Name: "F"}}}}, md5hex("host.exe.f")},
		{"only last extension removed", []pe.Import{{DLL: "a.b.DLL", Functions: []pe.Function{{Name: "X"}}}}, md5hex("a.b.x")},
		{"sys", []pe.Import{{DLL: "ntoskrnl.sys", Functions: []pe.Function{{Name: "IoCreateDevice"}}}}, md5hex("ntoskrnl.iocreatedevice")},
		{"oleaut32 gap", []pe.Import{{DLL: "oleaut32.dll", Functions: []pe.Function{{Ordinal: 302}, {Ordinal: 443}}}}, md5hex("oleaut32.ord302,oleaut32.unregistertypelibforuser")},
		{"ws2_32 table edges", []pe.Import{{DLL: "ws2_32.dll", Functions: []pe.Function{{Ordinal: 1}, {Ordinal: 99}, {Ordinal: 100}, {Ordinal: 151}, {Ordinal: 500}}}}, md5hex("ws2_32.accept,ws2_32.getnameinfo,ws2_32.ord100,ws2_32.__wsafdisset,ws2_32.wep")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pe.ImpHash(tt.imports); got != tt.want {
				t.Errorf("ImpHash = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTimestampAnomaly(t *testing.T) {
	tests := []struct {
		name string
		ts   time.Time
		want string
	}{
		{"zero", time.Unix(0, 0), "zero"},
		{"future", now.AddDate(1, 0, 0), "in the future"},
		{"1980", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), "before 1992"},
		{"plausible", time.Date(2014, 11, 22, 0, 0, 0, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pe.TimestampAnomaly(tt.ts, now); got != tt.want {
				t.Errorf("TimestampAnomaly(%v) = %q, want %q", tt.ts, got, tt.want)
			}
		})
	}
}

func TestRichForged(t *testing.T) {
	b := sonyLike.Build()
	// Edit the DOS stub after linking: the stored key no longer matches.
	b[0x50] ^= 0xff
	f := parse(t, b)
	if f.Rich == nil || f.Rich.ChecksumValid {
		t.Errorf("Rich = %+v, want decoded with ChecksumValid false", f.Rich)
	}
}

// hostile mutations of a valid fixture; each must parse without panic, in
// bounded time, and report a warning or an error mentioning want.
func TestHostile(t *testing.T) {
	base := sonyLike.Build()
	lfanew := int(binary.LittleEndian.Uint32(base[0x3c:]))
	coff := lfanew + 4
	opt := coff + 20
	secs := opt + 240
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(base)) }
	put32 := func(b []byte, off int, v uint32) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
	tests := []struct {
		name    string
		file    []byte
		wantErr string // substring of the error, or "" when Parse must succeed
		warn    string // substring of some warning
	}{
		{"empty", nil, "dos header", ""},
		{"not mz", []byte("ZM" + strings.Repeat("\x00", 100)), "no MZ", ""},
		{"e_lfanew past EOF", mut(func(b []byte) []byte { return put32(b, 0x3c, 0xfffffff0) }), "e_lfanew", ""},
		{"e_lfanew into itself", mut(func(b []byte) []byte { return put32(b, 0x3c, 0) }), "no PE signature", ""},
		{"truncated nt headers", base[:lfanew+10], "nt headers", ""},
		{"huge section count", mut(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[coff+2:], 0xffff); return b }), "", "sections declared"},
		{"4GB section", mut(func(b []byte) []byte { return put32(b, secs+16, 0xffffffff) }), "", "runs past end of file"},
		{"section past EOF", mut(func(b []byte) []byte { return put32(b, secs+20, 0x7ffffe00) }), "", "past end of file"},
		{"import dir nowhere", mut(func(b []byte) []byte { return put32(b, opt+112+8, 0x7fff0000) }), "", "import directory"},
		{"resource cycle", fixture.PE{Resources: true, ResourceCycle: true}.Build(), "", "cycle"},
		{"security dir huge", mut(func(b []byte) []byte { put32(b, opt+112+32, 0x100); return put32(b, opt+112+36, 0xffffff00) }), "", "security directory"},
		{"data dirs 4G", mut(func(b []byte) []byte { return put32(b, opt+108, 0xffffffff) }), "", "data directories declared"},
		{"optional header size 0", mut(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[coff+16:], 0); return b }), "", "optional header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := pe.Parse(bytes.NewReader(tt.file), int64(len(tt.file)), pe.Options{Now: now})
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

// TestTruncations parses every prefix of the fixture.
func TestTruncations(t *testing.T) {
	sig, _, err := fixture.SignedData(pkix.Name{CommonName: "x"}, 1, now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	c := sonyLike
	c.Signature = sig
	b := c.Build()
	for n := 0; n <= len(b); n += 7 {
		pe.Parse(bytes.NewReader(b[:n]), int64(n), pe.Options{Now: now})
	}
}

func FuzzPE(f *testing.F) {
	f.Add(sonyLike.Build())
	f.Add(fixture.PE{PE32: true, Resources: true, ResourceCycle: true, Imports: sonyLike.Imports}.Build())
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := pe.Parse(bytes.NewReader(b), int64(len(b)), pe.Options{Now: now})
		if err == nil && file == nil {
			t.Fatal("Parse returned nil file and nil error")
		}
	})
}

func BenchmarkParse(b *testing.B) {
	file := sonyLike.Build()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pe.Parse(bytes.NewReader(file), int64(len(file)), pe.Options{Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}
