package netenrich

import (
	"io"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/culprit-cti/culprit/errs"
)

// MaxMMDBBytes bounds a country file (iptoasn-country.mmdb is 5.2 MB).
const MaxMMDBBytes = 64 << 20

// countryDB is a MaxMind DB whose records are {"country_code": "XX"}.
type countryDB struct{ r *maxminddb.Reader }

type countryRecord struct {
	CountryCode string `maxminddb:"country_code"`
}

// ReadCountry reads a country file (MaxMind DB format) of at most
// MaxMMDBBytes. The reader checks the metadata and every offset it
// follows (FuzzCountry); its full Verify is not used because it refuses
// ip-location-db's files for their empty description.
func ReadCountry(r io.Reader) (*countryDB, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxMMDBBytes+1))
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "read country data")
	}
	if len(b) > MaxMMDBBytes {
		return nil, errs.E(errs.TooLarge, "country data: larger than %d bytes", MaxMMDBBytes)
	}
	return parseCountry(b)
}

func parseCountry(b []byte) (*countryDB, error) {
	db, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "country data is not a MaxMind DB file")
	}
	if db.Metadata.IPVersion != 4 && db.Metadata.IPVersion != 6 {
		return nil, errs.E(errs.Invalid, "country data: MaxMind DB of IP version %d", db.Metadata.IPVersion)
	}
	return &countryDB{db}, nil
}

// lookup returns the country code of a, or "".
func (c *countryDB) lookup(a netip.Addr) string {
	var rec countryRecord
	if err := c.r.Lookup(a).Decode(&rec); err != nil {
		return ""
	}
	if len(rec.CountryCode) != 2 {
		return "" // not an ISO 3166 code: unknown ("None" for unrouted ranges)
	}
	return rec.CountryCode
}
