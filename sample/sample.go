// Package sample analyses files statically, as evidence for attribution:
// cryptographic and fuzzy hashes, file type, the structure of PE and ELF
// executables (package pe, package elf), printable strings and the network
// indicators embedded in them.
//
// Files are parsed, never executed. Hostile input is the normal case:
// Analyze reads the file once as a stream (hashes, strings and indicators
// together), then parses headers through bounded windows, so memory stays
// bounded for any input and time is linear in the file size.
package sample

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/culprit-cti/culprit/sample/elf"
	"github.com/culprit-cti/culprit/sample/indicator"
	"github.com/culprit-cti/culprit/sample/pe"
	"github.com/culprit-cti/culprit/sample/printable"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

// Defaults for Options fields left zero.
const (
	DefaultMinString      = 4
	DefaultMaxStrings     = 10000
	DefaultMaxStringBytes = 1 << 20
	DefaultMaxIndicators  = 1000
)

// Options tune Analyze. The zero value is ready to use.
type Options struct {
	// MinString is the shortest string extracted, in characters
	// (default 4).
	MinString int
	// Strings keeps the extracted strings in the Report. Indicators are
	// found in all strings either way.
	Strings bool
	// MaxStrings and MaxStringBytes cap the strings kept in the Report
	// (defaults 10000 strings and 1 MiB of text).
	MaxStrings     int
	MaxStringBytes int
	// MaxIndicators caps the distinct indicators reported (default 1000).
	MaxIndicators int
	// Now is the reference time for implausible PE timestamps; zero means
	// time.Now().
	Now time.Time
}

// Report is the result of analysing one file.
type Report struct {
	Path   string   `json:"path,omitempty"`
	Size   int64    `json:"size"`
	MD5    string   `json:"md5"`
	SHA1   string   `json:"sha1"`
	SHA256 string   `json:"sha256"`
	TLSH   string   `json:"tlsh,omitempty"`   // "T1..." or empty when TLSH gives no digest (under 50 bytes, too little variety)
	SSDEEP string   `json:"ssdeep,omitempty"` // "blocksize:part1:part2"
	Type   FileType `json:"type"`
	// Detail refines Type: the interpreter of a script, the kind of
	// OOXML document, and so on.
	Detail string `json:"detail,omitempty"`

	PE  *pe.File  `json:"pe,omitempty"`
	ELF *elf.File `json:"elf,omitempty"`

	StringCount         int                   `json:"string_count"` // strings found, kept or not
	Strings             []printable.String    `json:"strings,omitempty"`
	StringsTruncated    bool                  `json:"strings_truncated,omitempty"`
	Indicators          []indicator.Indicator `json:"indicators,omitempty"`
	IndicatorsTruncated bool                  `json:"indicators_truncated,omitempty"`

	Warnings []string `json:"warnings,omitempty"`
}

// Analyze reads the size bytes of r once to hash them and extract strings
// and indicators (in four goroutines sharing a 1 MiB ring of buffers),
// then identifies the file type and parses PE and ELF
// structure. Structural problems are reported as warnings; Analyze fails
// only when r cannot be read.
func Analyze(r io.ReaderAt, size int64, opts Options) (*Report, error) {
	if size < 0 {
		return nil, fmt.Errorf("sample: negative size %d", size)
	}
	opts = withDefaults(opts)
	rep := &Report{Size: size}

	md, s1, s256 := md5.New(), sha1.New(), sha256.New()
	th := tlsh.New()
	var ss ssdeep.Digest
	keptBytes := 0
	seen := map[indicator.Indicator]bool{}
	ex := printable.New(printable.Options{MinLen: opts.MinString}, func(s printable.String) {
		rep.StringCount++
		if opts.Strings {
			if len(rep.Strings) < opts.MaxStrings && keptBytes+len(s.Value) <= opts.MaxStringBytes {
				rep.Strings = append(rep.Strings, s)
				keptBytes += len(s.Value)
			} else {
				rep.StringsTruncated = true
			}
		}
		if rep.IndicatorsTruncated {
			return
		}
		for _, in := range indicator.Find(s.Value) {
			if seen[in] {
				continue
			}
			if len(rep.Indicators) >= opts.MaxIndicators {
				rep.IndicatorsTruncated = true
				return
			}
			seen[in] = true
			rep.Indicators = append(rep.Indicators, in)
		}
	})
	// Four lanes run in parallel over one read of the file: the
	// cryptographic hashes; TLSH; strings and indicators; ssdeep, which is
	// fastest when it knows the size in advance.
	err := fanout(r, size,
		func(in io.Reader) error {
			_, err := io.Copy(io.MultiWriter(md, s1, s256), in)
			return err
		},
		func(in io.Reader) error {
			_, err := io.Copy(th, in)
			return err
		},
		func(in io.Reader) error {
			_, err := io.Copy(ex, in)
			ex.Close()
			return err
		},
		func(in io.Reader) (err error) {
			ss, err = ssdeep.SumReader(in, size)
			return err
		},
	)
	if err != nil {
		return nil, err
	}
	rep.MD5 = hex.EncodeToString(md.Sum(nil))
	rep.SHA1 = hex.EncodeToString(s1.Sum(nil))
	rep.SHA256 = hex.EncodeToString(s256.Sum(nil))
	rep.SSDEEP = ss.String()
	if d, err := th.Sum(); err == nil {
		rep.TLSH = d.String()
	} else {
		rep.Warnings = append(rep.Warnings, "no tlsh digest: "+err.Error())
	}

	head := make([]byte, min(size, 4096))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("sample: reading header: %w", err)
	}
	rep.Type, rep.Detail = Identify(head)
	switch rep.Type {
	case PE:
		f, err := pe.Parse(r, size, pe.Options{Now: opts.Now})
		if err != nil {
			rep.Type, rep.Detail = MSDOS, ""
			rep.Warnings = append(rep.Warnings, err.Error())
			break
		}
		rep.PE = f
	case ELF:
		f, err := elf.Parse(r, size)
		if err != nil {
			rep.Warnings = append(rep.Warnings, err.Error())
			break
		}
		rep.ELF = f
	}
	return rep, nil
}

// AnalyzeFile analyses the regular file at path.
func AnalyzeFile(path string, opts Options) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("sample: %s is not a regular file", path)
	}
	rep, err := Analyze(f, st.Size(), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rep.Path = path
	return rep, nil
}

func withDefaults(o Options) Options {
	if o.MinString <= 0 {
		o.MinString = DefaultMinString
	}
	if o.MaxStrings <= 0 {
		o.MaxStrings = DefaultMaxStrings
	}
	if o.MaxStringBytes <= 0 {
		o.MaxStringBytes = DefaultMaxStringBytes
	}
	if o.MaxIndicators <= 0 {
		o.MaxIndicators = DefaultMaxIndicators
	}
	return o
}

// FileType is a file format recognised by its magic bytes.
type FileType string

// File types that Identify recognises.
const (
	PE      FileType = "pe"
	MSDOS   FileType = "ms-dos" // MZ header without a valid PE header
	ELF     FileType = "elf"
	MachO   FileType = "mach-o"
	PDF     FileType = "pdf"
	ZIP     FileType = "zip"
	OOXML   FileType = "ooxml"
	Gzip    FileType = "gzip"
	OLE2    FileType = "ole2"
	Script  FileType = "script"
	Text    FileType = "text"
	Unknown FileType = "unknown"
)

// Identify returns the type of a file from its first bytes (4 KiB are
// plenty), with a detail where one is known.
func Identify(head []byte) (FileType, string) {
	has := func(p string) bool { return bytes.HasPrefix(head, []byte(p)) }
	switch {
	case has("MZ"):
		return PE, ""
	case has("\x7fELF"):
		return ELF, ""
	case has("\xfe\xed\xfa\xce"), has("\xce\xfa\xed\xfe"):
		return MachO, "32-bit"
	case has("\xfe\xed\xfa\xcf"), has("\xcf\xfa\xed\xfe"):
		return MachO, "64-bit"
	case has("\xca\xfe\xba\xbe") && len(head) >= 8 && head[4] == 0 && head[5] == 0 && head[6] == 0 && head[7] > 0 && head[7] < 32:
		// Java class files share the magic; their next word is a version >= 45.
		return MachO, "universal"
	case bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		return PDF, ""
	case has("PK\x03\x04"):
		for _, d := range []struct{ dir, kind string }{{"word/", "word"}, {"xl/", "excel"}, {"ppt/", "powerpoint"}} {
			if bytes.Contains(head, []byte(d.dir)) {
				return OOXML, d.kind
			}
		}
		if bytes.Contains(head, []byte("[Content_Types].xml")) {
			return OOXML, ""
		}
		if bytes.Contains(head, []byte("META-INF/")) {
			return ZIP, "jar"
		}
		return ZIP, ""
	case has("\x1f\x8b"):
		return Gzip, ""
	case has("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		return OLE2, ""
	case has("#!"):
		line := head[2:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		return Script, string(bytes.TrimSpace(line[:min(len(line), 128)]))
	case isText(head):
		return Text, ""
	}
	return Unknown, ""
}

// isText reports whether b has no NUL bytes and at least 95% printable
// or whitespace bytes (UTF-8 continuation bytes count as printable).
func isText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	ok := 0
	for _, c := range b {
		switch {
		case c == 0:
			return false
		case c >= 0x20 && c != 0x7f, c == '\n', c == '\r', c == '\t', c == '\f':
			ok++
		}
	}
	return ok*100 >= len(b)*95
}
