package pe

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"math/bits"
)

// Rich is the decoded "Rich" header that Microsoft linkers write between
// the DOS stub and the PE header: which compilers and tools (product id
// and build) contributed how many objects. It survives most recompilation
// of the same project, so analysts use it to cluster samples.
type Rich struct {
	Offset  int64       `json:"offset"` // file offset of the "DanS" marker
	Key     uint32      `json:"key"`    // the XOR key stored after "Rich"
	Entries []RichEntry `json:"entries"`
	// Hash is the MD5 of the decoded header from "DanS" up to, not
	// including, the "Rich" marker: the XOR-decoded "DanS" dword, its
	// three padding dwords and the entries. This is pefile's
	// md5(RICH_HEADER.clear_data) (pefile decodes from offset 0x80, where
	// linkers place "DanS").
	Hash string `json:"hash"`
	// ChecksumValid reports whether Key equals the checksum the linker
	// computes over the DOS header and the entries; a mismatch means the
	// Rich header or DOS header was edited (or forged) after linking.
	ChecksumValid bool `json:"checksum_valid"`
}

// RichEntry is one tool record of the Rich header.
type RichEntry struct {
	ProductID uint16 `json:"product_id"`
	Build     uint16 `json:"build"`
	Count     uint32 `json:"count"`
}

func (p *parser) rich() {
	lfanew := int64(le.Uint32(p.r.Upto(0x3c, 4)))
	end := min(lfanew, 0x1000)
	if end <= 0x40 {
		return
	}
	stub := p.r.Upto(0, int(end))
	i := bytes.Index(stub[0x40:], []byte("Rich"))
	if i < 0 {
		return
	}
	richOff := 0x40 + i
	if richOff%4 != 0 || richOff+8 > len(stub) {
		p.warnf("rich header at 0x%x: misaligned or truncated", richOff)
		return
	}
	key := le.Uint32(stub[richOff+4:])
	const dans = 0x536e6144 // "DanS"
	start := -1
	for o := richOff - 4; o >= 0x40; o -= 4 {
		if le.Uint32(stub[o:])^key == dans {
			start = o
			break
		}
	}
	if start < 0 || richOff-start < 16 || (richOff-start)%8 != 0 {
		p.warnf("rich header at 0x%x: no DanS marker before it", richOff)
		return
	}
	clear := make([]byte, richOff-start)
	for o := 0; o < len(clear); o += 4 {
		le.PutUint32(clear[o:], le.Uint32(stub[start+o:])^key)
	}
	sum := md5.Sum(clear)
	r := &Rich{Offset: int64(start), Key: key, Hash: hex.EncodeToString(sum[:])}
	for o := 16; o+8 <= len(clear); o += 8 {
		id := le.Uint32(clear[o:])
		r.Entries = append(r.Entries, RichEntry{ProductID: uint16(id >> 16), Build: uint16(id), Count: le.Uint32(clear[o+4:])})
	}
	r.ChecksumValid = RichChecksum(stub[:start], r.Entries) == key
	p.f.Rich = r
}

// RichChecksum computes the Rich header key that the linker derives from
// the bytes before the "DanS" marker (with e_lfanew, bytes 0x3c-0x3f,
// skipped) and the entries: the start offset, plus each byte rotated left
// by its offset, plus each (product id << 16 | build) rotated left by its
// count, all modulo 2^32.
func RichChecksum(prefix []byte, entries []RichEntry) uint32 {
	sum := uint32(len(prefix))
	for i, c := range prefix {
		if i >= 0x3c && i < 0x40 {
			continue
		}
		sum += bits.RotateLeft32(uint32(c), i)
	}
	for _, e := range entries {
		sum += bits.RotateLeft32(uint32(e.ProductID)<<16|uint32(e.Build), int(e.Count%32))
	}
	return sum
}
