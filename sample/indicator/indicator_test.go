package indicator_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/sample/indicator"
)

func TestFind(t *testing.T) {
	type in = indicator.Indicator
	tests := []struct {
		name string
		s    string
		want []in
	}{
		{"plain ipv4", "connect 203.131.222.102 now", []in{{indicator.IPv4, "203.131.222.102"}}},
		{"ipv4 with port", "208.105.226.235:443", []in{{indicator.IPv4, "208.105.226.235"}}},
		{"bad octet", "300.1.2.3", nil},
		{"glued to text", "connected198.51.100.23MapIter", []in{{indicator.IPv4, "198.51.100.23"}}},
		{"longer number", "1.2.3.4567 91.2.3.4", []in{{indicator.IPv4, "91.2.3.4"}}},
		{"leading zero", "010.1.2.3", nil},
		{"longer dotted run", "1.2.3.4.5", nil},
		{"longer dotted run before", "9.1.2.3.4", nil},
		{"version prefix", "v1.2.3.4", nil},
		{"assembly version", `version="1.0.0.0"`, nil},
		{"unspecified", "0.0.0.0", nil},
		{"ipv6", "c2 at 2001:db8::1f:2", []in{{indicator.IPv6, "2001:db8::1f:2"}}},
		{"ipv6 loopback", "::1", nil},
		{"time is not ipv6", "12:30:45", nil},
		{"cpp scope", "std::vector", nil},
		{"domain", "beacon to update.example-cdn.com daily", []in{{indicator.Domain, "update.example-cdn.com"}}},
		{"domain upper case", "WWW.EXAMPLE.ORG", []in{{indicator.Domain, "www.example.org"}}},
		{"tld case differs", "unicode.Cf System.IO", nil},
		{"package path", "runtime.srcfunc.name reflect.flag.ro", nil},
		{"short two-label cctld", "k.za", nil},
		{"short two-label com", "t.com", []in{{indicator.Domain, "t.com"}}},
		{"loopback", "127.0.0.1", nil},
		{"short ipv6", "7::ff", nil},
		{"link local ipv6", "fe80::1", []in{{indicator.IPv6, "fe80::1"}}},
		{"url in parentheses", "(see http://example.com/a)", []in{{indicator.URL, "http://example.com/a"}, {indicator.Domain, "example.com"}}},
		{"dll is not a domain", "kernel32.dll", nil},
		{"go pointer type", "*catalog.store *hashes.store", nil},
		{"import path tail", "math/rand.ke runtime/pprof.space github.com/culprit-cti/culprit/stix.member.is", []in{{indicator.Domain, "github.com"}}},
		{"host after a path separator", "GET //c2.example.net/x and C:/evil.example.org", []in{{indicator.Domain, "c2.example.net"}, {indicator.Domain, "evil.example.org"}}},
		{"go closure name", "tls.(*clientHelloMsg).marshal.func1.1.3.1", nil},
		{"letters glued to an address", "%d8.8.8.8/32 Level3 DNS4.2.2.2/32", []in{{indicator.IPv4, "8.8.8.8"}, {indicator.IPv4, "4.2.2.2"}}},
		{"single-digit resolvers", "8.8.8.8 4.2.2.2 1.1.1.1", []in{{indicator.IPv4, "8.8.8.8"}, {indicator.IPv4, "4.2.2.2"}, {indicator.IPv4, "1.1.1.1"}}},
		{"go symbol", "runtime.gopark sync.(*Mutex).Lock", nil},
		{"ambiguous tld two labels", "libc.so", nil},
		{"ambiguous tld three labels", "evil.example.so", []in{{indicator.Domain, "evil.example.so"}}},
		{"unknown tld", "foo.notatld", nil},
		{"numeric labels", "1.2.uk", nil},
		{"idn tld", "xn--80ak6aa92e.xn--p1ai", []in{{indicator.Domain, "xn--80ak6aa92e.xn--p1ai"}}},
		{"url", `GET "http://dl.example.net/a/b.exe?x=1", ok`, []in{
			{indicator.URL, "http://dl.example.net/a/b.exe?x=1"},
			{indicator.Domain, "dl.example.net"},
		}},
		{"url with ip and port", "https://203.0.113.9:8443/gate.php", []in{
			{indicator.URL, "https://203.0.113.9:8443/gate.php"},
			{indicator.IPv4, "203.0.113.9"},
		}},
		{"url ipv6", "http://[2001:db8::7]/x", []in{
			{indicator.URL, "http://[2001:db8::7]/x"},
			{indicator.IPv6, "2001:db8::7"},
		}},
		{"url ambiguous tld", "http://x.sh/p", []in{{indicator.URL, "http://x.sh/p"}, {indicator.Domain, "x.sh"}}},
		{"email", "mail Ops.Team@Example.co.kr!", []in{
			{indicator.Email, "ops.team@example.co.kr"},
			{indicator.Domain, "example.co.kr"},
		}},
		{"email bad tld", "a@b.zzzz", nil},
		{"duplicates once", "1.1.1.1 and 1.1.1.1", []in{{indicator.IPv4, "1.1.1.1"}}},
		{"nothing", "hello world", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := indicator.Find(tt.s)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Find(%q) (-want +got):\n%s", tt.s, diff)
			}
		})
	}
}

func TestIsTLD(t *testing.T) {
	for _, tt := range []struct {
		tld  string
		want bool
	}{{"com", true}, {"KP", true}, {"kr", true}, {"dll", false}, {"exe", false}, {"xn--p1ai", true}, {"xn--", false}, {"", false}} {
		if got := indicator.IsTLD(tt.tld); got != tt.want {
			t.Errorf("IsTLD(%q) = %v, want %v", tt.tld, got, tt.want)
		}
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"http://a.example.com:80/x", "1.2.3.4", "a@b.co", "2001:db8::1", "[::1]", "http://[", "x.y.z.com."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, in := range indicator.Find(s) {
			if in.Value == "" {
				t.Errorf("Find(%q) gave an empty %s", s, in.Kind)
			}
		}
	})
}

func BenchmarkFind(b *testing.B) {
	lines := []string{
		"GetProcAddress", "runtime.gopark", "http://cdn.example.com/p/a.bin", "connect to 203.131.222.102:443",
		"Software\\Microsoft\\Windows\\CurrentVersion\\Run", "mail admin@example.org", "version 1.2.3.4",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			indicator.Find(l)
		}
	}
}
