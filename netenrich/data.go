package netenrich

import (
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/culprit-cti/culprit/errs"
)

// The data directory holds one folder per package, with the files culprit
// reads and a VERSION file written last (Sync):
//
//	DIR/asn/asn-ipv4.csv, asn-ipv6.csv, VERSION (and the licence files)
//	DIR/iptoasn-country-mmdb/iptoasn-country.mmdb, VERSION
const (
	asnDir     = "asn"
	countryDir = "iptoasn-country-mmdb"
)

// Build reads the AS files (each may be nil) and the country file (may be
// nil) into a DB.
func Build(v4, v6, country io.Reader) (*DB, error) {
	d := &DB{}
	index := map[asRecord]uint32{}
	add := func(rg ASNRange) error {
		rec := asRecord{rg.ASN, rg.Org}
		v, ok := index[rec]
		if !ok {
			v = uint32(len(d.as))
			index[rec] = v
			d.as = append(d.as, rec)
		}
		Prefixes(rg.Start, rg.End, func(p netip.Prefix) { d.table.Insert(p, v) })
		return nil
	}
	for _, r := range []io.Reader{v4, v6} {
		if r == nil {
			continue
		}
		if err := ReadASN(r, add); err != nil {
			return nil, err
		}
	}
	if country != nil {
		c, err := ReadCountry(country)
		if err != nil {
			return nil, err
		}
		d.country = c
	}
	return d, nil
}

// ErrNoData says that a data directory holds no network data.
var ErrNoData = errs.E(errs.NotFound, "no offline network data: run culprit sync to fetch it")

// Open reads the network data of dir. A directory without any of the
// files gives an error wrapping ErrNoData; one with some gives a DB of
// what there is (AS data without country, or the reverse).
func Open(dir string) (*DB, error) {
	var readers [3]io.Reader
	var versions []string
	paths := [3]string{
		filepath.Join(dir, asnDir, "asn-ipv4.csv"),
		filepath.Join(dir, asnDir, "asn-ipv6.csv"),
		filepath.Join(dir, countryDir, "iptoasn-country.mmdb"),
	}
	found := 0
	for i, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "network data")
		}
		defer f.Close()
		readers[i] = f
		found++
	}
	if found == 0 {
		return nil, errs.Wrap(errs.NotFound, ErrNoData, "%s", dir)
	}
	d, err := Build(readers[0], readers[1], readers[2])
	if err != nil {
		return nil, errs.Wrap(errs.KindOf(err), err, "network data in %s", dir)
	}
	for _, pkg := range []string{asnDir, countryDir} {
		if v, err := os.ReadFile(filepath.Join(dir, pkg, "VERSION")); err == nil && len(v) < 256 {
			versions = append(versions, "@ip-location-db/"+pkg+"@"+strings.Fields(string(v) + " ?")[0])
		}
	}
	d.Source = strings.Join(versions, ", ")
	return d, nil
}
