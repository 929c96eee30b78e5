package pe

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
)

// Import is one DLL named in the import directory and the functions taken
// from it, in table order.
type Import struct {
	DLL       string     `json:"dll"`
	Functions []Function `json:"functions"`
}

// Function is one imported function: by name (with its hint) or by ordinal.
type Function struct {
	Name    string `json:"name,omitempty"`
	Ordinal uint16 `json:"ordinal,omitempty"` // set for imports by ordinal only
	Hint    uint16 `json:"hint,omitempty"`
}

func (p *parser) imports() {
	d := p.dir(dirImport)
	if d.VA == 0 {
		return
	}
	base, ok := p.offset(d.VA)
	if !ok {
		p.warnf("import directory at rva 0x%x: not in the file", d.VA)
		return
	}
	total := 0
	for i := 0; ; i++ {
		if i == MaxImportDLLs {
			p.warnf("import directory at 0x%x: more than %d descriptors, stopped", base, MaxImportDLLs)
			break
		}
		off := base + int64(i)*20
		b, err := p.r.Bytes(off, 20)
		if err != nil {
			p.warnf("import descriptor %d at 0x%x: %v", i, off, err)
			break
		}
		origThunk, nameRVA, firstThunk := le.Uint32(b[0:]), le.Uint32(b[12:]), le.Uint32(b[16:])
		if origThunk == 0 && nameRVA == 0 && firstThunk == 0 && le.Uint32(b[4:]) == 0 && le.Uint32(b[8:]) == 0 {
			break
		}
		imp := Import{DLL: p.name(nameRVA)}
		if imp.DLL == "" {
			p.warnf("import descriptor %d at 0x%x: unreadable dll name at rva 0x%x", i, off, nameRVA)
		}
		thunk := origThunk
		if thunk == 0 {
			thunk = firstThunk
		}
		imp.Functions, total = p.thunks(imp.DLL, thunk, total)
		p.f.Imports = append(p.f.Imports, imp)
		if total >= MaxImportFunctions {
			break
		}
	}
	p.f.ImpHash = ImpHash(p.f.Imports)
}

// thunks decodes one import lookup table, counting against the total cap.
func (p *parser) thunks(dll string, rva uint32, total int) ([]Function, int) {
	off, ok := p.offset(rva)
	if !ok {
		p.warnf("import lookup table of %q at rva 0x%x: not in the file", dll, rva)
		return nil, total
	}
	width := int64(4)
	if p.pe32plus {
		width = 8
	}
	var fns []Function
	var buf []byte
	for j := int64(0); ; j++ {
		if total >= MaxImportFunctions {
			p.warnf("import lookup table of %q at 0x%x: more than %d imports in total, stopped", dll, off, MaxImportFunctions)
			return fns, total
		}
		if len(buf) < int(width) {
			buf = p.r.Upto(off+j*width, 4096)
			if len(buf) < int(width) {
				p.warnf("import lookup table of %q at 0x%x: runs past end of file", dll, off)
				return fns, total
			}
		}
		var v uint64
		var byOrdinal bool
		if width == 8 {
			v = le.Uint64(buf)
			byOrdinal = v&(1<<63) != 0
		} else {
			v = uint64(le.Uint32(buf))
			byOrdinal = v&(1<<31) != 0
		}
		buf = buf[width:]
		if v == 0 {
			return fns, total
		}
		total++
		if byOrdinal {
			fns = append(fns, Function{Ordinal: uint16(v)})
			continue
		}
		hintRVA := uint32(v & 0x7fffffff)
		hoff, ok := p.offset(hintRVA)
		hb := p.r.Upto(hoff, 2)
		if !ok || len(hb) < 2 {
			p.warnf("import %d of %q: hint/name at rva 0x%x not in the file", j, dll, hintRVA)
			continue
		}
		fns = append(fns, Function{Hint: le.Uint16(hb), Name: p.name(hintRVA + 2)})
	}
}

// name reads a NUL-terminated ASCII name at an RVA, escaping unprintable
// bytes; it returns "" when the RVA is not in the file.
func (p *parser) name(rva uint32) string {
	off, ok := p.offset(rva)
	if !ok {
		return ""
	}
	s, _ := p.r.CString(off, maxNameLen)
	return printable([]byte(s))
}

// ImpHash returns the import hash of an import table as pefile's
// get_imphash computes it (Mandiant, 2014), or "" when there are no imports:
//
//   - the DLL name is lower-cased and a final ".dll", ".ocx" or ".sys"
//     extension removed (only the last extension: "a.b.dll" gives "a.b");
//   - each function contributes "dll.function" lower-cased, in table order
//     (DLLs in descriptor order, functions in thunk order);
//   - a function imported by ordinal is named from the ordinal tables that
//     pefile freezes for imphash (ws2_32.dll, wsock32.dll with the ws2_32
//     table, oleaut32.dll), and "ord<N>" otherwise or for other DLLs; the
//     table lookup uses the full lower-cased DLL name, extension included;
//   - the strings are joined with "," and MD5 is taken, as lower-case hex.
//
// Delay-load imports are not part of the hash, as in pefile.
func ImpHash(imports []Import) string {
	var parts []string
	for _, imp := range imports {
		full := strings.ToLower(imp.DLL)
		lib := full
		if i := strings.LastIndexByte(lib, '.'); i >= 0 {
			switch lib[i+1:] {
			case "dll", "ocx", "sys":
				lib = lib[:i]
			}
		}
		for _, fn := range imp.Functions {
			name := fn.Name
			if name == "" {
				name = OrdinalName(full, fn.Ordinal)
			}
			parts = append(parts, lib+"."+strings.ToLower(name))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sum := md5.Sum([]byte(strings.Join(parts, ",")))
	return hex.EncodeToString(sum[:])
}

// OrdinalName returns the function name that imphash uses for an import by
// ordinal from dll (lower-case file name with extension): the name from the
// frozen ws2_32/wsock32/oleaut32 tables, or "ord<N>".
func OrdinalName(dll string, ordinal uint16) string {
	var table map[uint16]string
	switch dll {
	case "ws2_32.dll", "wsock32.dll":
		table = ws2_32Table()
	case "oleaut32.dll":
		table = oleaut32Table()
	}
	if name, ok := table[ordinal]; ok {
		return name
	}
	return "ord" + strconv.Itoa(int(ordinal))
}
