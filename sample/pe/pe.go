// Package pe parses Windows Portable Executable files (PE/COFF, Microsoft
// "PE Format" specification) for static analysis of untrusted samples.
//
// Unlike debug/pe it trusts no header: every offset is checked against the
// file size, every count is capped (see the Max constants), reads go through
// bounded windows, and structures that point back into themselves (resource
// directory cycles, endless import or thunk arrays) are cut off. When a
// part of the file is malformed, Parse keeps what it could decode and
// records a warning naming the structure and its offset; it returns an
// error only when the file is not a PE at all.
//
// The file is never loaded or executed. Authenticode signatures are decoded
// (signer certificate) but not verified.
package pe

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/culprit-cti/culprit/sample/internal/binio"
)

// Limits applied to hostile headers. Beyond them, Parse stops and warns.
const (
	MaxSections        = 1024    // section headers decoded (the format allows 65535)
	MaxImportDLLs      = 1024    // import descriptors
	MaxImportFunctions = 65536   // import thunks in total
	MaxExports         = 65536   // export address table entries
	MaxResources       = 10000   // resource leaves
	MaxCertificateSize = 1 << 20 // bytes of one WIN_CERTIFICATE read
	maxNameLen         = 512     // bytes of a DLL or function name
)

// File is what Parse learns about a PE file. Offsets are file offsets and
// addresses are relative virtual addresses (RVAs) unless a name says
// otherwise.
type File struct {
	Machine         string `json:"machine"` // "i386", "amd64", "arm64", ... or "0x" + hex
	Format          string `json:"format"`  // "PE32" or "PE32+"
	Subsystem       string `json:"subsystem,omitempty"`
	DLL             bool   `json:"dll"`
	Characteristics uint16 `json:"characteristics"`
	EntryPoint      uint32 `json:"entry_point"`
	ImageBase       uint64 `json:"image_base"`

	// Timestamp is the COFF TimeDateStamp as UTC. Linkers with
	// reproducible builds write a hash there, and tools forge it, so
	// TimestampAnomaly says why it is implausible ("zero", "in the future",
	// "before 1992"), or is empty.
	Timestamp        time.Time `json:"timestamp"`
	TimestampAnomaly string    `json:"timestamp_anomaly,omitempty"`

	Sections  []Section      `json:"sections"`
	Imports   []Import       `json:"imports,omitempty"`
	ImpHash   string         `json:"imphash,omitempty"`
	Exports   *Exports       `json:"exports,omitempty"`
	Rich      *Rich          `json:"rich,omitempty"`
	Resources []ResourceType `json:"resources,omitempty"`
	Signature *Signature     `json:"signature,omitempty"`

	// Overlay is the data after the end of the last section's raw data
	// (and of the headers). As in pefile, an Authenticode signature
	// appended to the file counts as overlay.
	OverlayOffset int64 `json:"overlay_offset,omitempty"`
	OverlaySize   int64 `json:"overlay_size"`

	Warnings []string `json:"warnings,omitempty"`
}

// Section is one section header with the entropy of its raw data.
type Section struct {
	Name            string  `json:"name"`
	VirtualAddress  uint32  `json:"virtual_address"`
	VirtualSize     uint32  `json:"virtual_size"`
	RawOffset       uint32  `json:"raw_offset"`
	RawSize         uint32  `json:"raw_size"`
	Characteristics uint32  `json:"characteristics"`
	Entropy         float64 `json:"entropy"` // bits per byte of the raw data present in the file
}

// Options tune Parse.
type Options struct {
	// Now is the reference time for future timestamps; zero means
	// time.Now().
	Now time.Time
}

// dataDir indexes of the optional header's data directories.
const (
	dirExport   = 0
	dirImport   = 1
	dirResource = 2
	dirSecurity = 4
)

type dataDirectory struct{ VA, Size uint32 }

// parser carries the state of one Parse call.
type parser struct {
	r           binio.Reader
	f           *File
	pe32plus    bool
	sizeHeaders uint32
	fileAlign   uint32
	dirs        []dataDirectory
	headersEnd  int64
	entropyLeft int64 // bytes that section entropy may still scan
}

func (p *parser) warnf(format string, args ...any) {
	if len(p.f.Warnings) < 100 {
		p.f.Warnings = append(p.f.Warnings, fmt.Sprintf(format, args...))
	}
}

// Parse decodes the PE file r of the given size. It fails only when the
// DOS header, the PE signature or the COFF file header cannot be read;
// anything wrong further in is reported in File.Warnings.
func Parse(r io.ReaderAt, size int64, opts Options) (*File, error) {
	p := &parser{r: binio.Reader{R: r, Size: size}, f: &File{}, entropyLeft: 256<<20 + size}
	if err := p.headers(); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p.f.TimestampAnomaly = TimestampAnomaly(p.f.Timestamp, now)
	p.rich()
	p.imports()
	p.exports()
	p.resources()
	p.signature()
	p.overlay()
	return p.f, nil
}

// TimestampAnomaly returns why a PE compile timestamp is implausible, or "".
func TimestampAnomaly(ts, now time.Time) string {
	switch {
	case ts.Unix() == 0:
		return "zero"
	case ts.After(now.Add(24 * time.Hour)):
		return "in the future"
	case ts.Before(time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC)):
		return "before 1992"
	}
	return ""
}

var le = binary.LittleEndian

func (p *parser) headers() error {
	dos, err := p.r.Bytes(0, 64)
	if err != nil {
		return fmt.Errorf("pe: dos header: %w", err)
	}
	if dos[0] != 'M' || dos[1] != 'Z' {
		return fmt.Errorf("pe: dos header at 0x0: no MZ signature")
	}
	lfanew := int64(le.Uint32(dos[0x3c:]))
	sig, err := p.r.Bytes(lfanew, 24)
	if err != nil {
		return fmt.Errorf("pe: e_lfanew 0x%x: nt headers: %w", lfanew, err)
	}
	if string(sig[:4]) != "PE\x00\x00" {
		return fmt.Errorf("pe: nt headers at 0x%x: no PE signature", lfanew)
	}
	coff := sig[4:]
	machine := le.Uint16(coff[0:])
	nsections := int(le.Uint16(coff[2:]))
	ts := le.Uint32(coff[4:])
	optSize := int(le.Uint16(coff[16:]))
	p.f.Characteristics = le.Uint16(coff[18:])
	p.f.Machine = machineName(machine)
	p.f.DLL = p.f.Characteristics&0x2000 != 0
	p.f.Timestamp = time.Unix(int64(ts), 0).UTC()

	optOff := lfanew + 24
	p.optionalHeader(optOff, optSize)

	secOff := optOff + int64(optSize)
	if nsections > MaxSections {
		p.warnf("section table at 0x%x: %d sections declared, decoding the first %d", secOff, nsections, MaxSections)
		nsections = MaxSections
	}
	p.headersEnd = secOff + int64(nsections)*40
	// Long section names ("/4") index the COFF string table, which
	// follows the symbol table (18 bytes per symbol).
	strtab := int64(le.Uint32(coff[8:])) + int64(le.Uint32(coff[12:]))*18
	for i := 0; i < nsections; i++ {
		off := secOff + int64(i)*40
		h, err := p.r.Bytes(off, 40)
		if err != nil {
			p.warnf("section header %d at 0x%x: %v", i, off, err)
			break
		}
		s := Section{
			Name:            p.sectionName(h[:8], strtab),
			VirtualSize:     le.Uint32(h[8:]),
			VirtualAddress:  le.Uint32(h[12:]),
			RawSize:         le.Uint32(h[16:]),
			RawOffset:       le.Uint32(h[20:]),
			Characteristics: le.Uint32(h[36:]),
		}
		start := p.alignRaw(s.RawOffset)
		if s.RawSize > 0 && start >= p.r.Size {
			p.warnf("section %q raw data at 0x%x: past end of file (size 0x%x)", s.Name, start, p.r.Size)
		} else if s.RawSize > 0 && start+int64(s.RawSize) > p.r.Size {
			p.warnf("section %q raw data at 0x%x: declared size 0x%x runs past end of file", s.Name, start, s.RawSize)
		}
		s.Entropy = p.entropy(start, int64(s.RawSize))
		p.f.Sections = append(p.f.Sections, s)
	}
	return nil
}

// entropy measures a section's raw data, within a budget so that many
// sections declaring the whole file cannot make the scan quadratic.
func (p *parser) entropy(off, n int64) float64 {
	if off < 0 || off >= p.r.Size || n <= 0 {
		return 0
	}
	n = min(n, p.r.Size-off)
	if n > p.entropyLeft {
		p.warnf("section data at 0x%x: entropy not computed, scan budget exhausted", off)
		return 0
	}
	p.entropyLeft -= n
	return p.r.Entropy(off, n)
}

func (p *parser) optionalHeader(off int64, size int) {
	if size < 2 {
		p.warnf("optional header at 0x%x: size %d too small", off, size)
		return
	}
	n := size
	if n > 240 {
		n = 240
	}
	b := p.r.Upto(off, n)
	if len(b) < 2 {
		p.warnf("optional header at 0x%x: truncated", off)
		return
	}
	magic := le.Uint16(b)
	var ddOff int
	switch magic {
	case 0x10b:
		p.f.Format = "PE32"
		ddOff = 96
	case 0x20b:
		p.f.Format = "PE32+"
		p.pe32plus = true
		ddOff = 112
	default:
		p.warnf("optional header at 0x%x: unknown magic 0x%x", off, magic)
		return
	}
	if len(b) < ddOff {
		p.warnf("optional header at 0x%x: truncated at %d bytes", off, len(b))
		return
	}
	p.f.EntryPoint = le.Uint32(b[16:])
	if p.pe32plus {
		p.f.ImageBase = le.Uint64(b[24:])
	} else {
		p.f.ImageBase = uint64(le.Uint32(b[28:]))
	}
	p.fileAlign = le.Uint32(b[36:])
	p.sizeHeaders = le.Uint32(b[60:])
	p.f.Subsystem = subsystemName(le.Uint16(b[68:]))
	nDirs := int(le.Uint32(b[ddOff-4:]))
	if nDirs > 16 {
		p.warnf("optional header at 0x%x: %d data directories declared, using 16", off, nDirs)
		nDirs = 16
	}
	for i := 0; i < nDirs; i++ {
		o := ddOff + 8*i
		if o+8 > len(b) {
			p.warnf("data directory %d at 0x%x: outside the optional header", i, off+int64(o))
			break
		}
		p.dirs = append(p.dirs, dataDirectory{le.Uint32(b[o:]), le.Uint32(b[o+4:])})
	}
}

func (p *parser) dir(i int) dataDirectory {
	if i < len(p.dirs) {
		return p.dirs[i]
	}
	return dataDirectory{}
}

// alignRaw applies the loader's rounding of PointerToRawData down to 512
// bytes when the file alignment is at least 512.
func (p *parser) alignRaw(off uint32) int64 {
	if p.fileAlign < 0x200 {
		return int64(off)
	}
	return int64(off &^ 0x1ff)
}

// offset maps an RVA to a file offset through the section table. It fails
// when the RVA falls in no section's raw data and outside the headers.
func (p *parser) offset(rva uint32) (int64, bool) {
	for _, s := range p.f.Sections {
		size := s.VirtualSize
		if size == 0 {
			size = s.RawSize
		}
		if rva >= s.VirtualAddress && uint64(rva) < uint64(s.VirtualAddress)+uint64(size) {
			delta := rva - s.VirtualAddress
			if delta >= s.RawSize {
				return 0, false // in the zero-filled tail, not in the file
			}
			off := p.alignRaw(s.RawOffset) + int64(delta)
			return off, off < p.r.Size
		}
	}
	if int64(rva) < p.r.Size && (rva < p.sizeHeaders || len(p.f.Sections) == 0) {
		return int64(rva), true
	}
	return 0, false
}

func (p *parser) overlay() {
	end := p.headersEnd
	for _, s := range p.f.Sections {
		if s.RawSize == 0 {
			continue
		}
		e := p.alignRaw(s.RawOffset) + int64(s.RawSize)
		if e > end && e <= p.r.Size {
			end = e
		}
	}
	if end < p.r.Size {
		p.f.OverlayOffset = end
		p.f.OverlaySize = p.r.Size - end
	}
}

// sectionName decodes a section name, following "/N" to offset N of the
// COFF string table at strtab (a file offset, 0 when there is none).
func (p *parser) sectionName(b []byte, strtab int64) string {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) > 1 && b[0] == '/' && strtab > 0 {
		if n, err := strconv.ParseUint(string(b[1:]), 10, 32); err == nil {
			if s, ok := p.r.CString(strtab+int64(n), 256); ok && s != "" {
				return printable([]byte(s))
			}
		}
	}
	return printable(b)
}

// printable returns b as a string with bytes outside printable ASCII
// escaped as \xNN, so names from hostile files are safe to display.
func printable(b []byte) string {
	clean := true
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			clean = false
			break
		}
	}
	if clean {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			out = fmt.Appendf(out, "\\x%02x", c)
		} else {
			out = append(out, c)
		}
	}
	return string(out)
}

func machineName(m uint16) string {
	switch m {
	case 0x14c:
		return "i386"
	case 0x8664:
		return "amd64"
	case 0xaa64:
		return "arm64"
	case 0x1c0:
		return "arm"
	case 0x1c4:
		return "armnt"
	case 0x200:
		return "ia64"
	case 0x0:
		return "unknown"
	}
	return fmt.Sprintf("0x%04x", m)
}

func subsystemName(s uint16) string {
	switch s {
	case 1:
		return "native"
	case 2:
		return "windows-gui"
	case 3:
		return "windows-cui"
	case 7:
		return "posix-cui"
	case 9:
		return "windows-ce-gui"
	case 10:
		return "efi-application"
	case 11:
		return "efi-boot-service-driver"
	case 12:
		return "efi-runtime-driver"
	case 14:
		return "xbox"
	case 16:
		return "windows-boot-application"
	}
	return fmt.Sprintf("%d", s)
}
