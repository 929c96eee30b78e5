package netenrich

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// tarball returns an npm tarball holding files (name -> content) under
// package/, and extra raw entries.
func tarball(t testing.TB, files map[string]string, extra ...*tar.Header) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, h := range extra {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func sri(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(s[:])
}

// registry is a local npm registry: PACKAGE/latest and the tarballs.
type registry struct {
	srv      *httptest.Server
	tarballs map[string][]byte // package dir -> tarball
	version  string
	badSum   atomic.Bool  // give a wrong integrity
	hits     atomic.Int32 // downloads of the AS tarball
}

func newRegistry(t *testing.T, version string, tarballs map[string][]byte) *registry {
	r := &registry{tarballs: tarballs, version: version}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		for _, p := range Packages {
			esc := "/" + strings.Replace(p.Name, "/", "%2F", 1) + "/latest"
			if req.URL.EscapedPath() == esc {
				tb := r.tarballs[p.Dir]
				sum := sri(tb)
				if r.badSum.Load() {
					sum = sri([]byte("something else"))
				}
				m := map[string]any{"name": p.Name, "version": r.version,
					"dist": map[string]string{"tarball": r.srv.URL + "/tarballs/" + p.Dir + "-" + r.version + ".tgz", "integrity": sum}}
				json.NewEncoder(w).Encode(m)
				return
			}
			if req.URL.Path == "/tarballs/"+p.Dir+"-"+r.version+".tgz" {
				if p.Dir == asnDir {
					r.hits.Add(1)
				}
				w.Write(r.tarballs[p.Dir])
				return
			}
		}
		http.NotFound(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// testData returns the AS tarball written for the tests (culprit has no
// MaxMind DB writer: the country file is tested on the real data,
// TestRealData).
func testData(t *testing.T) map[string][]byte {
	return map[string][]byte{
		asnDir: tarball(t, map[string]string{"asn-ipv4.csv": testCSV, "asn-ipv6.csv": testCSV6, "DBIP-LICENSE": "CC BY 4.0 (test)"},
			// Nothing outside package/, no links: skipped.
			&tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Size: 0},
			&tar.Header{Name: "package/asn-ipv4.csv.lnk", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}),
	}
}

func TestSync(t *testing.T) {
	if len(Packages) != 2 {
		t.Fatalf("%d packages", len(Packages))
	}
	tbs := testData(t)
	// The country package without a MaxMind DB: its tarball lacks the
	// file, and Sync says so.
	tbs[countryDir] = tarball(t, map[string]string{"README.md": "no data"})
	reg := newRegistry(t, "1.0.0", tbs)
	dir := t.TempDir()
	ctx := context.Background()

	res := Sync(ctx, nil, reg.srv.URL, dir, nil)
	if res[0].Status != Downloaded || res[0].Err != nil || res[0].Version != "1.0.0" {
		t.Fatalf("asn: %+v", res[0])
	}
	if res[1].Status != Failed || res[1].Err == nil || !strings.Contains(res[1].Err.Error(), "lacks iptoasn-country.mmdb") {
		t.Fatalf("country without its file: %+v, want Failed saying it lacks the file", res[1])
	}
	for _, bad := range []string{"evil", "../evil", filepath.Join(asnDir, "asn-ipv4.csv.lnk")} {
		if _, err := os.Lstat(filepath.Join(dir, bad)); err == nil {
			t.Errorf("%s was written", bad)
		}
	}
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info, ok := d.Lookup(netip.MustParseAddr("192.0.2.1")); !ok || info.ASN != 64496 {
		t.Errorf("after sync: %+v %v", info, ok)
	}
	if d.Source != "@ip-location-db/asn@1.0.0" {
		t.Errorf("Source = %q", d.Source)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, asnDir, "DBIP-LICENSE")); string(got) != "CC BY 4.0 (test)" {
		t.Errorf("licence file = %q", got)
	}

	// Again: up to date, no download.
	hits := reg.hits.Load()
	res = Sync(ctx, nil, reg.srv.URL, dir, nil)
	if res[0].Status != UpToDate || reg.hits.Load() != hits {
		t.Errorf("second sync: %+v, %d downloads", res[0], reg.hits.Load()-hits)
	}

	// A new version whose tarball does not match the registry's
	// integrity: refused, the installed copy kept.
	reg.version = "1.0.1"
	reg.tarballs[asnDir] = tarball(t, map[string]string{"asn-ipv4.csv": "192.0.2.0,192.0.2.255,64511,Changed\n", "asn-ipv6.csv": ""})
	reg.badSum.Store(true)
	res = Sync(ctx, nil, reg.srv.URL, dir, nil)
	if res[0].Status != Cached || res[0].Version != "1.0.0" || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "does not match the registry's integrity") {
		t.Errorf("bad integrity: %+v", res[0])
	}
	d, _ = Open(dir)
	if info, _ := d.Lookup(netip.MustParseAddr("192.0.2.1")); info.ASN != 64496 {
		t.Errorf("after a refused update: %+v, want the old data", info)
	}
	// With the right integrity it is installed.
	reg.badSum.Store(false)
	res = Sync(ctx, nil, reg.srv.URL, dir, nil)
	if res[0].Status != Downloaded || res[0].Version != "1.0.1" {
		t.Errorf("update: %+v", res[0])
	}
	d, _ = Open(dir)
	if info, _ := d.Lookup(netip.MustParseAddr("192.0.2.1")); info.ASN != 64511 {
		t.Errorf("after the update: %+v", info)
	}
	// A tarball whose data does not parse is not installed.
	reg.version = "1.0.2"
	reg.tarballs[asnDir] = tarball(t, map[string]string{"asn-ipv4.csv": "not,a,range,x\n", "asn-ipv6.csv": ""})
	res = Sync(ctx, nil, reg.srv.URL, dir, nil)
	if res[0].Status != Cached || res[0].Version != "1.0.1" {
		t.Errorf("unparsable data: %+v", res[0])
	}
	// Offline: the installed copy is kept.
	res = Sync(ctx, nil, "http://127.0.0.1:1", dir, nil)
	if res[0].Status != Cached || !strings.Contains(res[0].Err.Error(), "offline") {
		t.Errorf("offline: %+v", res[0])
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tgz") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestParseMetadata(t *testing.T) {
	good := `{"name":"@ip-location-db/asn","version":"1.2.3","dist":{"tarball":"https://r.example/a.tgz","integrity":"` + sri([]byte("x")) + `"}}`
	if _, err := parseMetadata([]byte(good), "@ip-location-db/asn"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"other name", strings.Replace(good, "/asn", "/other", 1), "names"},
		{"path in version", strings.Replace(good, "1.2.3", "../../x", 1), "bad version"},
		{"file URL", strings.Replace(good, "https://r.example/a.tgz", "file:///etc/passwd", 1), "bad tarball URL"},
		{"sha1 only", strings.Replace(good, sri([]byte("x")), "sha1-AAAA", 1), "SHA-512"},
		{"not JSON", "<html>", "not JSON"},
	} {
		if _, err := parseMetadata([]byte(tc.body), "@ip-location-db/asn"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
