package netenrich

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/ioc"
)

func TestParseRow(t *testing.T) {
	for _, tc := range []struct {
		row  string
		want ASNRange
		err  string
	}{
		{`1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."`, ASNRange{netip.MustParseAddr("1.0.0.0"), netip.MustParseAddr("1.0.0.255"), 13335, "Cloudflare, Inc."}, ""},
		{`1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd`, ASNRange{netip.MustParseAddr("1.0.4.0"), netip.MustParseAddr("1.0.7.255"), 38803, "Gtelecom Pty Ltd"}, ""},
		{`2001::,2001::ffff,6939,"say ""hi"""`, ASNRange{netip.MustParseAddr("2001::"), netip.MustParseAddr("2001::ffff"), 6939, `say "hi"`}, ""},
		{`1.0.0.0,1.0.0.255,0,`, ASNRange{netip.MustParseAddr("1.0.0.0"), netip.MustParseAddr("1.0.0.255"), 0, ""}, ""},
		{`1.0.0.0,1.0.0.255`, ASNRange{}, "want start,end,asn"},
		{`1.0.0.9,1.0.0.1,1,x`, ASNRange{}, "ends before it starts"},
		{`1.0.0.0,::1,1,x`, ASNRange{}, "one family"},
		{`::ffff:1.2.3.4,::ffff:1.2.3.5,1,x`, ASNRange{}, "one family"},
		{`fe80::1%eth0,fe80::2,1,x`, ASNRange{}, "zone"},
		{`1.2.3,1.2.3.4,1,x`, ASNRange{}, "bad start"},
		{`1.0.0.0,1.0.0.1,4294967296,x`, ASNRange{}, "bad AS number"},
		{`1.0.0.0,1.0.0.1,1,"open`, ASNRange{}, "unterminated"},
		{`1.0.0.0,1.0.0.1,1,"a"b`, ASNRange{}, "after the closing quote"},
	} {
		got, err := parseRow([]byte(tc.row))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseRow(%q) error %v, want one saying %q", tc.row, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseRow(%q): %v", tc.row, err)
			continue
		}
		if got != tc.want {
			t.Errorf("parseRow(%q) = %+v, want %+v", tc.row, got, tc.want)
		}
	}
}

func prefixes(a, b string) []string {
	var out []string
	Prefixes(netip.MustParseAddr(a), netip.MustParseAddr(b), func(p netip.Prefix) { out = append(out, p.String()) })
	return out
}

func TestPrefixes(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want []string
	}{
		{"1.0.0.0", "1.0.0.255", []string{"1.0.0.0/24"}},
		{"1.0.0.0", "1.0.1.0", []string{"1.0.0.0/24", "1.0.1.0/32"}},
		{"1.0.128.0", "1.0.196.255", []string{"1.0.128.0/18", "1.0.192.0/22", "1.0.196.0/24"}},
		{"0.0.0.0", "255.255.255.255", []string{"0.0.0.0/0"}},
		{"255.255.255.255", "255.255.255.255", []string{"255.255.255.255/32"}},
		{"10.0.0.1", "10.0.0.6", []string{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"}},
		{"2001::", "2001::ffff:ffff:ffff:ffff:ffff:ffff", []string{"2001::/32"}},
		{"2001:200::", "2001:200:1b9:ffff:ffff:ffff:ffff:ffff", []string{"2001:200::/40", "2001:200:100::/41", "2001:200:180::/43", "2001:200:1a0::/44", "2001:200:1b0::/45", "2001:200:1b8::/47"}},
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"::/0"}},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}},
		{"1.0.0.5", "1.0.0.4", nil},
		{"1.0.0.5", "::1", nil},
	} {
		if diff := cmp.Diff(tc.want, prefixes(tc.a, tc.b)); diff != "" {
			t.Errorf("Prefixes(%s, %s) (-want +got):\n%s", tc.a, tc.b, diff)
		}
	}
}

// TestPrefixesCover checks on random ranges that the prefixes follow each
// other without gap or overlap from the start to the end.
func TestPrefixesCover(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		x, y := r.Uint32(), r.Uint32()
		if n%3 == 0 {
			y = x + r.Uint32N(5000)
		}
		if y < x {
			x, y = y, x
		}
		a, b := v4(x), v4(y)
		next := x
		count, done := 0, false
		Prefixes(a, b, func(p netip.Prefix) {
			count++
			if done {
				t.Fatalf("%s-%s: prefix %s after the end", a, b, p)
			}
			if p.Addr() != v4(next) || p.Masked() != p {
				t.Fatalf("%s-%s: prefix %s, want one starting at %s", a, b, p, v4(next))
			}
			last := next + uint32(1<<(32-p.Bits())-1)
			if last > y || last < next {
				t.Fatalf("%s-%s: prefix %s goes past the end", a, b, p)
			}
			done = last == y
			next = last + 1
		})
		if !done || count > 62 {
			t.Fatalf("%s-%s: %d prefixes, ends covered %v", a, b, count, done)
		}
	}
}

func v4(x uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
}

// testCSV is AS data written for the tests, on the documentation ranges
// and AS numbers (RFC 5737, 3849, 5398).
const testCSV = `192.0.2.0,192.0.2.127,64496,"Example Hosting, Ltd."
192.0.2.128,192.0.2.255,64497,Example Transit
198.51.100.0,198.51.100.9,64498,Example "VPN"
`

const testCSV6 = `2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64499,Example IPv6
`

func TestBuildAndLookup(t *testing.T) {
	d, err := Build(strings.NewReader(testCSV), strings.NewReader(testCSV6), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		want Info
		ok   bool
	}{
		{"192.0.2.1", Info{ASN: 64496, Org: "Example Hosting, Ltd.", Network: "192.0.2.0/25", Credit: Credit}, true},
		{"192.0.2.200", Info{ASN: 64497, Org: "Example Transit", Network: "192.0.2.128/25", Credit: Credit}, true},
		{"198.51.100.9", Info{ASN: 64498, Org: `Example "VPN"`, Network: "198.51.100.8/31", Credit: Credit}, true},
		{"198.51.100.10", Info{}, false},
		{"::ffff:192.0.2.1", Info{ASN: 64496, Org: "Example Hosting, Ltd.", Network: "192.0.2.0/25", Credit: Credit}, true},
		{"2001:db8::1", Info{ASN: 64499, Org: "Example IPv6", Network: "2001:db8::/32", Credit: Credit}, true},
		{"2001:db9::1", Info{}, false},
	} {
		got, ok := d.Lookup(netip.MustParseAddr(tc.addr))
		if got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v, %v", tc.addr, got, ok, tc.want, tc.ok)
		}
	}
	if got := (Info{ASN: 64496, Org: "Example Hosting, Ltd.", Country: "US", Network: "192.0.2.0/25", Credit: Credit}).String(); got != "AS64496 Example Hosting, Ltd. (US, 192.0.2.0/25)" {
		t.Errorf("String() = %q", got)
	}
	for _, tc := range []struct {
		t     ioc.Type
		value string
		want  *Info
	}{
		{ioc.IPv4, "192.0.2.1", &Info{ASN: 64496, Org: "Example Hosting, Ltd.", Network: "192.0.2.0/25", Credit: Credit}},
		{ioc.IPv4, "203.0.113.1", nil},
		{ioc.Domain, "evil.example.co.uk", &Info{Registrable: "example.co.uk"}},
		{ioc.Domain, "co.uk", nil},
		{ioc.URL, "http://user@a.b.example.com:8080/x?y", &Info{Registrable: "example.com"}},
		{ioc.URL, "http://192.0.2.130/x", &Info{ASN: 64497, Org: "Example Transit", Network: "192.0.2.128/25", Credit: Credit}},
		{ioc.URL, "http://[2001:db8::5]:80/", &Info{ASN: 64499, Org: "Example IPv6", Network: "2001:db8::/32", Credit: Credit}},
		{ioc.Email, "x@mail.example.org", &Info{Registrable: "example.org"}},
		{ioc.SHA256, strings.Repeat("a", 64), nil},
	} {
		if diff := cmp.Diff(tc.want, d.Enrich(tc.t, tc.value)); diff != "" {
			t.Errorf("Enrich(%s, %s) (-want +got):\n%s", tc.t, tc.value, diff)
		}
	}
	var nilDB *DB
	if _, ok := nilDB.Lookup(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("a nil DB found something")
	}
}

func TestReadASNErrors(t *testing.T) {
	err := ReadASN(strings.NewReader(testCSV+"1.2.3.4,1.2.3.4\n"), func(ASNRange) error { return nil })
	if err == nil || errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("bad 4th row: %v, want an Invalid error naming line 4", err)
	}
	long := "1.2.3.4,1.2.3.4,1," + strings.Repeat("x", maxLine) + "\n"
	if err := ReadASN(strings.NewReader(long), func(ASNRange) error { return nil }); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a row over the bound: %v, want an error saying so", err)
	}
}

func TestOpenNoData(t *testing.T) {
	_, err := Open(t.TempDir())
	if err == nil || errs.KindOf(err) != errs.NotFound || !strings.Contains(err.Error(), "culprit sync") {
		t.Errorf("Open(empty dir) = %v, want NotFound pointing to culprit sync", err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, asnDir), 0o755)
	os.WriteFile(filepath.Join(dir, asnDir, "asn-ipv4.csv"), []byte("1.2.3.4,oops\n"), 0o644)
	if _, err := Open(dir); err == nil || errs.KindOf(err) != errs.Invalid {
		t.Errorf("Open(bad data) = %v, want Invalid", err)
	}
}
