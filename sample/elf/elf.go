// Package elf parses ELF files (System V ABI, "ELF-64 Object File Format"
// and the generic ABI) for static analysis of untrusted samples.
//
// It is written for hostile input rather than built on debug/elf, which
// allocates buffers of the sizes that headers declare and has had
// unbounded-allocation bugs: here every offset is checked against the file
// size, counts are capped (see the Max constants), and every read goes
// through a bounded window. Malformed parts become warnings that name the
// structure and offset; Parse fails only when the ELF header itself is
// unusable. Nothing is loaded or executed.
package elf

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/sample/internal/binio"
)

// Limits applied to hostile headers.
const (
	MaxSections = 4096 // section headers decoded
	MaxSegments = 1024 // program headers decoded
	MaxDynamic  = 4096 // dynamic entries read
	maxNameLen  = 4096
)

// File is what Parse learns about an ELF file.
type File struct {
	Class       string    `json:"class"`      // "ELF32" or "ELF64"
	Endianness  string    `json:"endianness"` // "little" or "big"
	OSABI       string    `json:"osabi"`
	Type        string    `json:"type"` // "EXEC", "DYN", "REL", "CORE" or a number
	Machine     string    `json:"machine"`
	Entry       uint64    `json:"entry"`
	Interpreter string    `json:"interpreter,omitempty"` // PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2
	Needed      []string  `json:"needed,omitempty"`      // DT_NEEDED libraries, in order
	SOName      string    `json:"soname,omitempty"`
	Sections    []Section `json:"sections,omitempty"`
	Segments    int       `json:"segments"`
	Warnings    []string  `json:"warnings,omitempty"`
}

// Section is one section header with the entropy of its contents.
type Section struct {
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	Flags   uint64  `json:"flags"`
	Addr    uint64  `json:"addr"`
	Offset  uint64  `json:"offset"`
	Size    uint64  `json:"size"`
	Entropy float64 `json:"entropy"` // 0 for SHT_NOBITS and data outside the file

	typ  uint32
	link uint32
}

type segment struct {
	typ            uint32
	off, vaddr, sz uint64
}

type parser struct {
	r           binio.Reader
	f           *File
	bo          binary.ByteOrder
	is64        bool
	segs        []segment
	entropyLeft int64
}

func (p *parser) warnf(format string, args ...any) {
	if len(p.f.Warnings) < 100 {
		p.f.Warnings = append(p.f.Warnings, fmt.Sprintf(format, args...))
	}
}

// Parse decodes the ELF file r of the given size.
func Parse(r io.ReaderAt, size int64) (*File, error) {
	p := &parser{r: binio.Reader{R: r, Size: size}, f: &File{}, entropyLeft: 256<<20 + size}
	id, err := p.r.Bytes(0, 16)
	if err != nil {
		return nil, fmt.Errorf("elf: ident: %w", err)
	}
	if string(id[:4]) != "\x7fELF" {
		return nil, fmt.Errorf("elf: ident at 0x0: no ELF magic")
	}
	switch id[4] {
	case 1:
		p.f.Class = "ELF32"
	case 2:
		p.f.Class, p.is64 = "ELF64", true
	default:
		return nil, fmt.Errorf("elf: ident at 0x4: unknown class %d", id[4])
	}
	switch id[5] {
	case 1:
		p.f.Endianness, p.bo = "little", binary.LittleEndian
	case 2:
		p.f.Endianness, p.bo = "big", binary.BigEndian
	default:
		return nil, fmt.Errorf("elf: ident at 0x5: unknown data encoding %d", id[5])
	}
	p.f.OSABI = osabiName(id[7])
	hsize := 52
	if p.is64 {
		hsize = 64
	}
	h, err := p.r.Bytes(0, hsize)
	if err != nil {
		return nil, fmt.Errorf("elf: header: %w", err)
	}
	bo := p.bo
	p.f.Type = typeName(bo.Uint16(h[16:]))
	p.f.Machine = machineName(bo.Uint16(h[18:]))
	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum, shstrndx uint16
	if p.is64 {
		p.f.Entry, phoff, shoff = bo.Uint64(h[24:]), bo.Uint64(h[32:]), bo.Uint64(h[40:])
		phentsize, phnum, shentsize, shnum, shstrndx = bo.Uint16(h[54:]), bo.Uint16(h[56:]), bo.Uint16(h[58:]), bo.Uint16(h[60:]), bo.Uint16(h[62:])
	} else {
		p.f.Entry, phoff, shoff = uint64(bo.Uint32(h[24:])), uint64(bo.Uint32(h[28:])), uint64(bo.Uint32(h[32:]))
		phentsize, phnum, shentsize, shnum, shstrndx = bo.Uint16(h[42:]), bo.Uint16(h[44:]), bo.Uint16(h[46:]), bo.Uint16(h[48:]), bo.Uint16(h[50:])
	}
	p.segments(phoff, phentsize, phnum)
	p.sections(shoff, shentsize, shnum, shstrndx)
	p.dynamic()
	return p.f, nil
}

func (p *parser) segments(off uint64, entsize, num uint16) {
	if off == 0 || num == 0 {
		return
	}
	want := 32
	if p.is64 {
		want = 56
	}
	if int(entsize) < want {
		p.warnf("program headers at 0x%x: entry size %d, want at least %d", off, entsize, want)
		return
	}
	n := int(num)
	if n > MaxSegments {
		p.warnf("program headers at 0x%x: %d declared, decoding %d", off, n, MaxSegments)
		n = MaxSegments
	}
	if off > uint64(p.r.Size) {
		p.warnf("program headers at 0x%x: past end of file", off)
		return
	}
	bo := p.bo
	for i := 0; i < n; i++ {
		at := int64(off) + int64(i)*int64(entsize)
		b, err := p.r.Bytes(at, want)
		if err != nil {
			p.warnf("program header %d at 0x%x: %v", i, off+uint64(i)*uint64(entsize), err)
			break
		}
		var s segment
		s.typ = bo.Uint32(b)
		if p.is64 {
			s.off, s.vaddr, s.sz = bo.Uint64(b[8:]), bo.Uint64(b[16:]), bo.Uint64(b[32:])
		} else {
			s.off, s.vaddr, s.sz = uint64(bo.Uint32(b[4:])), uint64(bo.Uint32(b[8:])), uint64(bo.Uint32(b[16:]))
		}
		p.segs = append(p.segs, s)
		if s.typ == 3 && p.f.Interpreter == "" { // PT_INTERP
			if s.off >= uint64(p.r.Size) {
				p.warnf("interpreter at 0x%x: past end of file", s.off)
				continue
			}
			name, _ := p.r.CString(int64(s.off), int(min(s.sz, maxNameLen)))
			p.f.Interpreter = printable(name)
		}
	}
	p.f.Segments = len(p.segs)
}

func (p *parser) sections(off uint64, entsize, num, strndx uint16) {
	if off == 0 {
		return
	}
	want := 40
	if p.is64 {
		want = 64
	}
	if int(entsize) < want {
		p.warnf("section headers at 0x%x: entry size %d, want at least %d", off, entsize, want)
		return
	}
	if off > uint64(p.r.Size) {
		p.warnf("section headers at 0x%x: past end of file", off)
		return
	}
	read := func(i int) (s Section, nameOff uint32, ok bool) {
		at := int64(off) + int64(i)*int64(entsize)
		b, err := p.r.Bytes(at, want)
		if err != nil {
			p.warnf("section header %d at 0x%x: %v", i, at, err)
			return s, 0, false
		}
		bo := p.bo
		if p.is64 {
			nameOff, s.typ, s.Flags = bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint64(b[8:])
			s.Addr, s.Offset, s.Size, s.link = bo.Uint64(b[16:]), bo.Uint64(b[24:]), bo.Uint64(b[32:]), bo.Uint32(b[40:])
		} else {
			nameOff, s.typ, s.Flags = bo.Uint32(b), bo.Uint32(b[4:]), uint64(bo.Uint32(b[8:]))
			s.Addr, s.Offset, s.Size, s.link = uint64(bo.Uint32(b[12:])), uint64(bo.Uint32(b[16:])), uint64(bo.Uint32(b[20:])), bo.Uint32(b[24:])
		}
		s.Type = sectionTypeName(s.typ)
		return s, nameOff, true
	}
	n := int(num)
	str := uint32(strndx)
	if n == 0 || strndx == 0xffff {
		// Extended numbering: the real values live in section 0.
		s0, _, ok := read(0)
		if !ok {
			return
		}
		if n == 0 {
			n = int(min(s0.Size, MaxSections+1))
		}
		if strndx == 0xffff {
			str = s0.link
		}
	}
	if n > MaxSections {
		p.warnf("section headers at 0x%x: %d declared, decoding %d", off, n, MaxSections)
		n = MaxSections
	}
	var secs []Section
	nameOffs := make([]uint32, 0, min(n, 64))
	for i := 0; i < n; i++ {
		s, name, ok := read(i)
		if !ok {
			break
		}
		nameOffs = append(nameOffs, name)
		secs = append(secs, s)
	}
	var strtab *Section
	if int(str) < len(secs) && str != 0 {
		strtab = &secs[str]
	} else if str != 0 {
		p.warnf("section name table index %d: no such section (of %d)", str, len(secs))
	}
	for i := range secs {
		s := &secs[i]
		if strtab != nil && nameOffs[i] < uint32(min(strtab.Size, 1<<32-1)) && strtab.Offset < uint64(p.r.Size) {
			name, _ := p.r.CString(int64(strtab.Offset)+int64(nameOffs[i]), int(min(strtab.Size-uint64(nameOffs[i]), 256)))
			s.Name = printable(name)
		}
		if s.typ == 8 { // SHT_NOBITS
			continue
		}
		if s.Size > 0 && (s.Offset >= uint64(p.r.Size) || s.Size > uint64(p.r.Size)-s.Offset) {
			p.warnf("section %q data at 0x%x: size 0x%x runs past end of file", s.Name, s.Offset, s.Size)
		}
		s.Entropy = p.entropy(s.Offset, s.Size)
	}
	p.f.Sections = secs
}

func (p *parser) entropy(off, n uint64) float64 {
	if off >= uint64(p.r.Size) || n == 0 {
		return 0
	}
	n = min(n, uint64(p.r.Size)-off)
	if int64(n) > p.entropyLeft {
		p.warnf("section data at 0x%x: entropy not computed, scan budget exhausted", off)
		return 0
	}
	p.entropyLeft -= int64(n)
	return p.r.Entropy(int64(off), int64(n))
}

// dynamic reads DT_NEEDED and DT_SONAME from the PT_DYNAMIC segment (or,
// without program headers, from the SHT_DYNAMIC section).
func (p *parser) dynamic() {
	var dynOff, dynSize uint64
	found := false
	for _, s := range p.segs {
		if s.typ == 2 { // PT_DYNAMIC
			dynOff, dynSize, found = s.off, s.sz, true
			break
		}
	}
	var strOff, strSize uint64
	haveStr := false
	if !found {
		for _, s := range p.f.Sections {
			if s.typ == 6 { // SHT_DYNAMIC
				dynOff, dynSize, found = s.Offset, s.Size, true
				if int(s.link) < len(p.f.Sections) {
					st := p.f.Sections[s.link]
					strOff, strSize, haveStr = st.Offset, st.Size, true
				}
				break
			}
		}
	}
	if !found {
		return
	}
	ent := uint64(8)
	if p.is64 {
		ent = 16
	}
	n := min(dynSize/ent, MaxDynamic)
	b := p.r.Upto(int64(min(dynOff, uint64(p.r.Size))), int(n*ent))
	if uint64(len(b)) < n*ent {
		p.warnf("dynamic section at 0x%x: truncated", dynOff)
	}
	var needed []uint64
	var soname uint64
	hasSOName := false
	for i := uint64(0); (i+1)*ent <= uint64(len(b)); i++ {
		var tag, val uint64
		if p.is64 {
			tag, val = p.bo.Uint64(b[i*ent:]), p.bo.Uint64(b[i*ent+8:])
		} else {
			tag, val = uint64(p.bo.Uint32(b[i*ent:])), uint64(p.bo.Uint32(b[i*ent+4:]))
		}
		switch tag {
		case 0: // DT_NULL
			i = uint64(len(b))
		case 1: // DT_NEEDED
			needed = append(needed, val)
		case 5: // DT_STRTAB (a virtual address)
			if !haveStr {
				strOff, haveStr = p.vaddrOffset(val)
				strSize = uint64(p.r.Size) - min(strOff, uint64(p.r.Size))
			}
		case 10: // DT_STRSZ
			if strSize == 0 || val < strSize {
				strSize = val
			}
		case 14: // DT_SONAME
			soname, hasSOName = val, true
		}
	}
	if !haveStr {
		if len(needed) > 0 {
			p.warnf("dynamic section at 0x%x: no string table for %d DT_NEEDED entries", dynOff, len(needed))
		}
		return
	}
	str := func(o uint64) string {
		if o >= strSize || strOff+o >= uint64(p.r.Size) {
			p.warnf("dynamic string at 0x%x+0x%x: outside the string table", strOff, o)
			return ""
		}
		s, _ := p.r.CString(int64(strOff+o), int(min(strSize-o, maxNameLen)))
		return printable(s)
	}
	for _, o := range needed {
		p.f.Needed = append(p.f.Needed, str(o))
	}
	if hasSOName {
		p.f.SOName = str(soname)
	}
}

// vaddrOffset maps a virtual address to a file offset through PT_LOAD.
func (p *parser) vaddrOffset(va uint64) (uint64, bool) {
	for _, s := range p.segs {
		if s.typ == 1 && va >= s.vaddr && va-s.vaddr < s.sz {
			return s.off + (va - s.vaddr), true
		}
	}
	return 0, false
}

// printable escapes bytes outside printable ASCII as \xNN.
func printable(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '\\' {
			out = fmt.Appendf(out, "\\x%02x", c)
		} else {
			out = append(out, c)
		}
	}
	return string(out)
}

func typeName(t uint16) string {
	switch t {
	case 1:
		return "REL"
	case 2:
		return "EXEC"
	case 3:
		return "DYN"
	case 4:
		return "CORE"
	}
	return fmt.Sprint(t)
}

func machineName(m uint16) string {
	names := map[uint16]string{
		3: "i386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390", 40: "arm",
		42: "superh", 43: "sparcv9", 50: "ia64", 62: "x86-64", 183: "aarch64",
		243: "riscv", 258: "loongarch",
	}
	if n, ok := names[m]; ok {
		return n
	}
	return fmt.Sprintf("0x%x", m)
}

func osabiName(a byte) string {
	names := map[byte]string{0: "sysv", 3: "linux", 6: "solaris", 9: "freebsd", 12: "openbsd", 97: "arm", 255: "standalone"}
	if n, ok := names[a]; ok {
		return n
	}
	return fmt.Sprint(a)
}

func sectionTypeName(t uint32) string {
	names := map[uint32]string{
		0: "NULL", 1: "PROGBITS", 2: "SYMTAB", 3: "STRTAB", 4: "RELA", 5: "HASH",
		6: "DYNAMIC", 7: "NOTE", 8: "NOBITS", 9: "REL", 11: "DYNSYM", 14: "INIT_ARRAY",
		15: "FINI_ARRAY", 16: "PREINIT_ARRAY", 17: "GROUP", 18: "SYMTAB_SHNDX",
		0x6ffffff6: "GNU_HASH", 0x6ffffffd: "GNU_verdef", 0x6ffffffe: "GNU_verneed", 0x6fffffff: "GNU_versym",
	}
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("0x%x", t)
}
