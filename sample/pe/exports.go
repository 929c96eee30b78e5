package pe

// Exports is the export directory of a DLL (or of an executable that
// exports functions).
type Exports struct {
	DLLName   string   `json:"dll_name,omitempty"` // the name the linker recorded
	Functions []Export `json:"functions"`
}

// Export is one entry of the export address table.
type Export struct {
	Ordinal   uint32 `json:"ordinal"`
	Name      string `json:"name,omitempty"` // empty for exports by ordinal only
	RVA       uint32 `json:"rva,omitempty"`
	Forwarder string `json:"forwarder,omitempty"` // "DLL.Function" when forwarded
}

func (p *parser) exports() {
	d := p.dir(dirExport)
	if d.VA == 0 {
		return
	}
	off, ok := p.offset(d.VA)
	if !ok {
		p.warnf("export directory at rva 0x%x: not in the file", d.VA)
		return
	}
	b, err := p.r.Bytes(off, 40)
	if err != nil {
		p.warnf("export directory at 0x%x: %v", off, err)
		return
	}
	ex := &Exports{DLLName: p.name(le.Uint32(b[12:]))}
	base := le.Uint32(b[16:])
	nfuncs, nnames := le.Uint32(b[20:]), le.Uint32(b[24:])
	funcsRVA, namesRVA, ordsRVA := le.Uint32(b[28:]), le.Uint32(b[32:]), le.Uint32(b[36:])
	if nfuncs > MaxExports {
		p.warnf("export directory at 0x%x: %d functions declared, decoding %d", off, nfuncs, MaxExports)
		nfuncs = MaxExports
	}
	if nnames > nfuncs {
		nnames = nfuncs
	}
	funcs := p.array(funcsRVA, int(nfuncs)*4, "export address table")
	names := p.array(namesRVA, int(nnames)*4, "export name table")
	ords := p.array(ordsRVA, int(nnames)*2, "export ordinal table")
	nameOf := make(map[uint32]string, nnames)
	for i := 0; 4*i+4 <= len(names) && 2*i+2 <= len(ords); i++ {
		idx := uint32(le.Uint16(ords[2*i:]))
		if _, dup := nameOf[idx]; !dup {
			nameOf[idx] = p.name(le.Uint32(names[4*i:]))
		}
	}
	for i := 0; 4*i+4 <= len(funcs); i++ {
		rva := le.Uint32(funcs[4*i:])
		if rva == 0 {
			continue
		}
		e := Export{Ordinal: base + uint32(i), Name: nameOf[uint32(i)], RVA: rva}
		if rva >= d.VA && uint64(rva) < uint64(d.VA)+uint64(d.Size) {
			e.Forwarder, e.RVA = p.name(rva), 0
		}
		ex.Functions = append(ex.Functions, e)
	}
	p.f.Exports = ex
}

// array reads n bytes at an RVA, or returns what is there with a warning.
func (p *parser) array(rva uint32, n int, what string) []byte {
	if n == 0 {
		return nil
	}
	off, ok := p.offset(rva)
	if !ok {
		p.warnf("%s at rva 0x%x: not in the file", what, rva)
		return nil
	}
	b := p.r.Upto(off, n)
	if len(b) < n {
		p.warnf("%s at 0x%x: truncated (%d of %d bytes)", what, off, len(b), n)
	}
	return b
}
