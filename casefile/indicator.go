package casefile

import (
	"fmt"
	"net/mail"
	"net/netip"
	"regexp"
	"strings"

	"github.com/culprit-cti/culprit/ioc"
)

// Indicator types, as STIX 2.1 names the observable and property they match.
// They are package ioc's types, as strings.
const (
	TypeIPv4   = string(ioc.IPv4)
	TypeIPv6   = string(ioc.IPv6)
	TypeDomain = string(ioc.Domain)
	TypeURL    = string(ioc.URL)
	TypeEmail  = string(ioc.Email)
	TypeMD5    = string(ioc.MD5)
	TypeSHA1   = string(ioc.SHA1)
	TypeSHA256 = string(ioc.SHA256)
	TypeSHA512 = string(ioc.SHA512)
)

// indicatorTypes maps the spellings accepted in case files (lower case) to
// the canonical indicator type.
var indicatorTypes = map[string]string{
	"ipv4-addr": TypeIPv4, "ipv4": TypeIPv4, "ip": TypeIPv4, "ip-dst": TypeIPv4, "ip-src": TypeIPv4,
	"ipv6-addr": TypeIPv6, "ipv6": TypeIPv6,
	"domain-name": TypeDomain, "domain": TypeDomain, "hostname": TypeDomain, "fqdn": TypeDomain,
	"url": TypeURL, "uri": TypeURL,
	"email-addr": TypeEmail, "email": TypeEmail, "email-src": TypeEmail,
	"file:hashes.md5": TypeMD5, "md5": TypeMD5,
	"file:hashes.sha-1": TypeSHA1, "file:hashes.sha1": TypeSHA1, "sha-1": TypeSHA1, "sha1": TypeSHA1,
	"file:hashes.sha-256": TypeSHA256, "file:hashes.sha256": TypeSHA256, "sha-256": TypeSHA256, "sha256": TypeSHA256,
	"file:hashes.sha-512": TypeSHA512, "file:hashes.sha512": TypeSHA512, "sha-512": TypeSHA512, "sha512": TypeSHA512,
}

// canonicalType returns the canonical indicator type for a spelling used in a
// case file, and whether it is one culprit knows.
func canonicalType(t string) (string, bool) {
	c, ok := indicatorTypes[strings.ToLower(strings.TrimSpace(t))]
	return c, ok
}

// refang undoes the usual defanging of indicators in reports (1.2.3[.]4,
// example(.)com, hxxp://, user[@]example.com); package ioc owns the rules.
func refang(v string) string { return ioc.Refang(v) }

var hexRE = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// normalizeIndicator checks that value is well formed for the canonical type
// t, and returns it in the form culprit compares, ioc's canonical form:
// refanged, domains and hashes in lower case, addresses in their canonical
// text form, URLs normalised. The error says what is wrong, for a warning.
func normalizeIndicator(t, value string) (string, error) {
	v := refang(strings.TrimSpace(value))
	if v == "" {
		return "", fmt.Errorf("empty value")
	}
	switch t {
	case TypeIPv4, TypeIPv6, TypeDomain, TypeURL, TypeEmail, TypeMD5, TypeSHA1, TypeSHA256, TypeSHA512:
	default:
		// A type culprit does not know: keep the value as written.
		return v, nil
	}
	if t == TypeEmail {
		// A case file names an address, not a mailbox with a display name.
		if a, err := mail.ParseAddress(v); err != nil || a.Name != "" || a.Address != v {
			return "", fmt.Errorf("%q is not an email address", value)
		}
	}
	out, err := ioc.Normalize(ioc.Type(t), v)
	if err == nil {
		return out, nil
	}
	switch t {
	case TypeIPv4, TypeIPv6:
		if _, perr := netip.ParsePrefix(v); perr == nil {
			return "", fmt.Errorf("%q is not an %s network", value, t)
		}
		return "", fmt.Errorf("%q is not an %s address", value, t)
	case TypeDomain:
		return "", fmt.Errorf("%q is not a domain name", value)
	case TypeURL:
		return "", fmt.Errorf("%q is not an absolute URL", value)
	case TypeEmail:
		return "", fmt.Errorf("%q is not an email address", value)
	}
	n := ioc.HashLen(ioc.Type(t))
	return "", fmt.Errorf("%q is not a %s hash (%d hex digits)", value, strings.TrimPrefix(t, "file:hashes."), n)
}

// normalizeDomain returns d in canonical form and whether it is a host
// name of at least two labels (ioc.NormalizeDomain).
func normalizeDomain(d string) (string, bool) { return ioc.NormalizeDomain(d) }

// guessType infers the indicator type of a bare value, for the shorthand
// "- 203.0.113.7" in a case file. It returns "" when the value fits no type.
func guessType(v string) string {
	v = refang(strings.TrimSpace(v))
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Is4() {
			return TypeIPv4
		}
		return TypeIPv6
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		if p.Addr().Is4() {
			return TypeIPv4
		}
		return TypeIPv6
	}
	if hexRE.MatchString(v) {
		switch len(v) {
		case 32:
			return TypeMD5
		case 40:
			return TypeSHA1
		case 64:
			return TypeSHA256
		case 128:
			return TypeSHA512
		}
		return ""
	}
	if strings.Contains(v, "://") {
		return TypeURL
	}
	if strings.Contains(v, "@") {
		return TypeEmail
	}
	if _, ok := normalizeDomain(v); ok {
		return TypeDomain
	}
	return ""
}

// normalizeHash checks a sample hash of the given kind and returns it in the
// form culprit compares (ioc's canonical form; TLSH and ssdeep through
// their digest parsers).
func normalizeHash(kind, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch kind {
	case "sha256":
		h, err := ioc.Normalize(ioc.SHA256, v)
		if err != nil {
			return "", fmt.Errorf("%q is not a SHA-256 hash (64 hex digits)", v)
		}
		return h, nil
	case "tlsh":
		h, err := ioc.Normalize(ioc.TLSH, v)
		if err != nil {
			return "", fmt.Errorf("%q is not a TLSH digest (T1 and 70 hex digits)", v)
		}
		return h, nil
	case "ssdeep":
		h, err := ioc.Normalize(ioc.SSDEEP, v)
		if err != nil {
			return "", fmt.Errorf("%q is not an ssdeep digest (blocksize:hash:hash)", v)
		}
		return h, nil
	}
	return "", fmt.Errorf("unknown hash kind %q", kind)
}
