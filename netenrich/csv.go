package netenrich

import (
	"bufio"
	"bytes"
	"io"
	"math/bits"
	"net/netip"
	"strconv"

	"github.com/culprit-cti/culprit/errs"
)

// Bounds of the AS files: the ip-location-db files of 2026 are 24 MB
// (412,000 IPv4 ranges) and 9 MB (103,000 IPv6 ranges).
const (
	MaxCSVBytes = 256 << 20 // one file
	maxLine     = 4 << 10   // one row
	maxOrg      = 512       // an organisation's name
	maxRows     = 4 << 20   // rows of one file
)

// ASNRange is one row of an AS file: an inclusive range of addresses
// announced by one autonomous system.
type ASNRange struct {
	Start, End netip.Addr
	ASN        uint32
	Org        string
}

// ReadASN reads an ip-location-db AS file ("start,end,asn,organisation",
// the addresses in text form, the organisation quoted when it holds a
// comma) and calls fn for each row. It refuses more than MaxCSVBytes, a
// row longer than 4 KiB, a range whose end is before its start or of
// another family, and names the line of the first bad row. Blank lines
// are skipped.
func ReadASN(r io.Reader, fn func(ASNRange) error) error {
	lr := &io.LimitedReader{R: r, N: MaxCSVBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, maxLine), maxLine)
	line := 0
	for sc.Scan() {
		line++
		if line > maxRows {
			return errs.E(errs.TooLarge, "AS data: more than %d rows", maxRows)
		}
		row := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(row)) == 0 {
			continue
		}
		rg, err := parseRow(row)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "AS data line %d", line)
		}
		if err := fn(rg); err != nil {
			return err
		}
	}
	if lr.N <= 0 {
		return errs.E(errs.TooLarge, "AS data: larger than %d bytes", MaxCSVBytes)
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return errs.E(errs.Invalid, "AS data line %d: longer than %d bytes", line+1, maxLine)
		}
		return errs.Wrap(errs.Unavailable, err, "read AS data")
	}
	return nil
}

type rowError string

func (e rowError) Error() string { return string(e) }

// parseRow parses "start,end,asn,org"; org may be quoted ("a, b"), with
// "" for a quote inside.
func parseRow(row []byte) (ASNRange, error) {
	var f [3][]byte
	rest := row
	for k := range f {
		c := bytes.IndexByte(rest, ',')
		if c < 0 {
			return ASNRange{}, rowError("want start,end,asn,organisation")
		}
		f[k], rest = rest[:c], rest[c+1:]
	}
	start, err := netip.ParseAddr(string(f[0]))
	if err != nil {
		return ASNRange{}, rowError("bad start address: " + err.Error())
	}
	end, err := netip.ParseAddr(string(f[1]))
	if err != nil {
		return ASNRange{}, rowError("bad end address: " + err.Error())
	}
	if start.Zone() != "" || end.Zone() != "" {
		return ASNRange{}, rowError("an address with a zone")
	}
	if start.Is4() != end.Is4() || start.Is4In6() || end.Is4In6() {
		return ASNRange{}, rowError("start and end are not addresses of one family")
	}
	if end.Less(start) {
		return ASNRange{}, rowError("range ends before it starts")
	}
	asn, err := strconv.ParseUint(string(f[2]), 10, 32)
	if err != nil {
		return ASNRange{}, rowError("bad AS number")
	}
	org := rest
	if len(org) > 0 && org[0] == '"' {
		var b []byte
		q := org[1:]
		for {
			k := bytes.IndexByte(q, '"')
			if k < 0 {
				return ASNRange{}, rowError("unterminated quote")
			}
			b = append(b, q[:k]...)
			if k+1 < len(q) && q[k+1] == '"' {
				b = append(b, '"')
				q = q[k+2:]
				continue
			}
			if k+1 != len(q) {
				return ASNRange{}, rowError("text after the closing quote")
			}
			break
		}
		org = b
	}
	if len(org) > maxOrg {
		org = org[:maxOrg]
	}
	return ASNRange{Start: start, End: end, ASN: uint32(asn), Org: string(bytes.ToValidUTF8(org, []byte("\uFFFD")))}, nil
}

// u128 is an address as a number.
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	b := a.As16()
	var x u128
	for i := 0; i < 8; i++ {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[8+i])
	}
	return x
}

func (x u128) addr(is4 bool) netip.Addr {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[7-i] = byte(x.hi >> (8 * i))
		b[15-i] = byte(x.lo >> (8 * i))
	}
	a := netip.AddrFrom16(b)
	if is4 {
		return a.Unmap()
	}
	return a
}

func (x u128) less(y u128) bool { return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo }

func (x u128) trailingZeros() int {
	if x.lo != 0 {
		return bits.TrailingZeros64(x.lo)
	}
	if x.hi != 0 {
		return 64 + bits.TrailingZeros64(x.hi)
	}
	return 128
}

// plusMask returns x + 2^k - 1 (the last address of the block of 2^k at
// x, which is aligned).
func (x u128) plusMask(k int) u128 {
	switch {
	case k == 0:
		return x
	case k < 64:
		return u128{x.hi, x.lo | (1<<k - 1)}
	case k == 64:
		return u128{x.hi, ^uint64(0)}
	case k < 128:
		return u128{x.hi | (1<<(k-64) - 1), ^uint64(0)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

// next returns x+1 and false when it wraps.
func (x u128) next() (u128, bool) {
	lo := x.lo + 1
	hi := x.hi
	if lo == 0 {
		hi++
		if hi == 0 {
			return u128{}, false
		}
	}
	return u128{hi, lo}, true
}

// Prefixes calls fn with the CIDR prefixes that cover start..end
// (inclusive) exactly, fewest first-to-last: a range of n addresses gives
// at most 2*bits of them.
func Prefixes(start, end netip.Addr, fn func(netip.Prefix)) {
	if !start.IsValid() || !end.IsValid() || start.Is4() != end.Is4() || end.Less(start) {
		return
	}
	is4 := start.Is4()
	width := 128
	if is4 {
		width = 32
		start, end = netip.AddrFrom16(start.As16()), netip.AddrFrom16(end.As16())
	}
	x, y := toU128(start), toU128(end)
	for {
		k := min(x.trailingZeros(), width)
		for k > 0 && y.less(x.plusMask(k)) {
			k--
		}
		fn(netip.PrefixFrom(x.addr(is4), width-k))
		last := x.plusMask(k)
		if !last.less(y) {
			return
		}
		var ok bool
		if x, ok = last.next(); !ok {
			return
		}
	}
}
