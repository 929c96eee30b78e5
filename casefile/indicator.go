package casefile

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// Indicator types, as STIX 2.1 names the observable and property they match.
const (
	TypeIPv4   = "ipv4-addr"
	TypeIPv6   = "ipv6-addr"
	TypeDomain = "domain-name"
	TypeURL    = "url"
	TypeEmail  = "email-addr"
	TypeMD5    = "file:hashes.MD5"
	TypeSHA1   = "file:hashes.SHA-1"
	TypeSHA256 = "file:hashes.SHA-256"
	TypeSHA512 = "file:hashes.SHA-512"
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

// refang undoes the usual defanging of indicators in reports:
// 1.2.3[.]4, example(.)com, hxxp://, user[@]example.com.
func refang(v string) string {
	if !strings.ContainsAny(v, "[(") && !strings.HasPrefix(strings.ToLower(v), "hxxp") {
		return v
	}
	r := strings.NewReplacer("[.]", ".", "(.)", ".", "[dot]", ".", "[@]", "@", "[at]", "@", "[:]", ":", "[://]", "://")
	v = r.Replace(v)
	lv := strings.ToLower(v)
	switch {
	case strings.HasPrefix(lv, "hxxps"):
		v = "https" + v[len("hxxps"):]
	case strings.HasPrefix(lv, "hxxp"):
		v = "http" + v[len("hxxp"):]
	}
	return v
}

var (
	hexRE    = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	labelRE  = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)
	tlshRE   = regexp.MustCompile(`^(?:[Tt]1)?[0-9A-Fa-f]{70}$`)
	ssdeepRE = regexp.MustCompile(`^[0-9]{1,10}:[0-9A-Za-z+/]{1,64}:[0-9A-Za-z+/]{0,64}(,"[^"]*")?$`)
)

// normalizeIndicator checks that value is well formed for the canonical type
// t, and returns it in the form culprit compares: refanged, domains and
// hashes in lower case, addresses in their canonical text form. The error
// says what is wrong, for a warning.
func normalizeIndicator(t, value string) (string, error) {
	v := refang(strings.TrimSpace(value))
	if v == "" {
		return "", fmt.Errorf("empty value")
	}
	switch t {
	case TypeIPv4, TypeIPv6:
		want4 := t == TypeIPv4
		if p, err := netip.ParsePrefix(v); err == nil {
			if p.Addr().Is4() != want4 {
				return "", fmt.Errorf("%q is not an %s network", value, t)
			}
			return p.Masked().String(), nil
		}
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" || a.Is4() != want4 {
			return "", fmt.Errorf("%q is not an %s address", value, t)
		}
		return a.String(), nil
	case TypeDomain:
		d, ok := normalizeDomain(v)
		if !ok {
			return "", fmt.Errorf("%q is not a domain name", value)
		}
		return d, nil
	case TypeURL:
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "", fmt.Errorf("%q is not an absolute URL", value)
		}
		return v, nil
	case TypeEmail:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Name != "" || a.Address != v {
			return "", fmt.Errorf("%q is not an email address", value)
		}
		at := strings.LastIndexByte(v, '@')
		d, ok := normalizeDomain(v[at+1:])
		if !ok {
			return "", fmt.Errorf("%q is not an email address", value)
		}
		return v[:at+1] + d, nil
	case TypeMD5, TypeSHA1, TypeSHA256, TypeSHA512:
		n := map[string]int{TypeMD5: 32, TypeSHA1: 40, TypeSHA256: 64, TypeSHA512: 128}[t]
		if len(v) != n || !hexRE.MatchString(v) {
			return "", fmt.Errorf("%q is not a %s hash (%d hex digits)", value, strings.TrimPrefix(t, "file:hashes."), n)
		}
		return strings.ToLower(v), nil
	}
	// A type culprit does not know: keep the value as written.
	return v, nil
}

// normalizeDomain lower-cases d, drops a final dot, and checks that it is a
// host name of at least two labels.
func normalizeDomain(d string) (string, bool) {
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	if len(d) == 0 || len(d) > 253 {
		return "", false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return "", false
		}
	}
	// A name made only of digits and dots is an address, not a domain.
	if _, err := netip.ParseAddr(d); err == nil {
		return "", false
	}
	return d, true
}

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
// form culprit compares.
func normalizeHash(kind, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch kind {
	case "sha256":
		if len(v) != 64 || !hexRE.MatchString(v) {
			return "", fmt.Errorf("%q is not a SHA-256 hash (64 hex digits)", v)
		}
		return strings.ToLower(v), nil
	case "tlsh":
		if !tlshRE.MatchString(v) {
			return "", fmt.Errorf("%q is not a TLSH digest (T1 and 70 hex digits)", v)
		}
		if len(v) == 70 {
			v = "T1" + v
		}
		return "T1" + strings.ToUpper(v[2:]), nil
	case "ssdeep":
		if !ssdeepRE.MatchString(v) {
			return "", fmt.Errorf("%q is not an ssdeep digest (blocksize:hash:hash)", v)
		}
		return v, nil
	}
	return "", fmt.Errorf("unknown hash kind %q", kind)
}
