package indicator

import "github.com/culprit-cti/culprit/ioc"

var iocTypes = map[Kind]ioc.Type{IPv4: ioc.IPv4, IPv6: ioc.IPv6, Domain: ioc.Domain, URL: ioc.URL, Email: ioc.Email}

// canonical returns v in package ioc's canonical form, the one key every
// part of culprit compares indicators under, or v itself if ioc refuses it
// (the heuristics here accepted it, so it is reported as found).
func canonical(k Kind, v string) string {
	if c, err := ioc.Normalize(iocTypes[k], v); err == nil {
		return c
	}
	return v
}
