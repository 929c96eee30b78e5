package ioc

import (
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// ParseIP parses an IPv4 or IPv6 address (no zone check), after a cheap
// test of its characters: net/netip allocates an error for every string
// it refuses, and most candidates in text are not addresses.
func ParseIP(s string) (netip.Addr, bool) {
	if strings.IndexByte(s, ':') < 0 {
		// IPv4: digits and dots only.
		if len(s) < 7 || len(s) > 15 {
			return netip.Addr{}, false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c != '.' && (c < '0' || c > '9') {
				return netip.Addr{}, false
			}
		}
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

func normalizeIP(v string, want4 bool) (string, bool) {
	if p, err := netip.ParsePrefix(v); err == nil {
		if p.Addr().Is4() != want4 || p.Addr().Zone() != "" {
			return "", false
		}
		return p.Masked().String(), true
	}
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" || a.Is4() != want4 {
		return "", false
	}
	return a.String(), true
}

// idnaProfile converts internationalised names to A-labels. Lookup rules
// (IDNA 2008 with UTS 46 mapping) are what resolvers apply, so the key is
// the name a resolver would look up. Hyphen and label-length rules are left
// to NormalizeDomain, which also allows underscores.
var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false), idna.BidiRule())

// NormalizeDomain returns d in canonical form (lower case, no final dot,
// A-labels for internationalised labels) and whether it is a host name of
// at least two labels, each of 1 to 63 letters, digits, hyphens or
// underscores that neither starts nor ends with a hyphen, 253 bytes at
// most. A name of digits and dots only is an address, not a domain. The
// public suffix is not checked here (see package extract), because case
// files may name hosts under private or new suffixes.
func NormalizeDomain(d string) (string, bool) {
	d = strings.TrimSuffix(d, ".")
	ascii := true
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		a, err := idnaProfile.ToASCII(d)
		if err != nil {
			return "", false
		}
		d = a
	}
	d = strings.ToLower(d)
	if len(d) == 0 || len(d) > 253 {
		return "", false
	}
	labels, allDigits := 0, true
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !(c >= 'a' && c <= 'z' || isDigit(c) || c == '-' || c == '_') {
				return "", false
			}
			if !isDigit(c) {
				allDigits = false
			}
			continue
		}
		l := d[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
		labels++
		start = i + 1
	}
	if labels < 2 || allDigits {
		return "", false
	}
	return d, true
}

func normalizeEmail(v string) (string, bool) {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at > 64 || at == len(v)-1 {
		return "", false
	}
	local := v[:at]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),:;<>@[\\]", c) >= 0 {
			return "", false
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "", false
	}
	d, ok := NormalizeDomain(v[at+1:])
	if !ok {
		return "", false
	}
	return local + "@" + d, true
}

var defaultPorts = map[string]string{"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}

// normalizeURL parses an absolute URL by hand rather than with net/url:
// URLs in reports are often slightly broken (invalid escapes, spaces
// encoded oddly), and the key must still be computed for them; only the
// scheme and host must be well formed.
func normalizeURL(v string) (string, bool) {
	i := strings.Index(v, "://")
	if i <= 0 {
		return "", false
	}
	scheme := strings.ToLower(v[:i])
	for j := 0; j < len(scheme); j++ {
		c := scheme[j]
		if !(c >= 'a' && c <= 'z' || j > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.')) {
			return "", false
		}
	}
	rest := v[i+3:]
	if strings.ContainsAny(rest, " \t\r\n") {
		return "", false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if f := strings.IndexByte(tail, '#'); f >= 0 {
		tail = tail[:f]
	}
	userinfo := ""
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, authority = authority[:at+1], authority[at+1:]
	}
	host, port := authority, ""
	if strings.HasPrefix(host, "[") {
		j := strings.IndexByte(host, ']')
		if j < 0 {
			return "", false
		}
		a, err := netip.ParseAddr(host[1:j])
		if err != nil || !a.Is6() {
			return "", false
		}
		host, port = "["+a.String()+"]", host[j+1:]
		if port != "" && port[0] != ':' {
			return "", false
		}
		port = strings.TrimPrefix(port, ":")
	} else {
		if j := strings.LastIndexByte(host, ':'); j >= 0 {
			host, port = host[:j], host[j+1:]
		}
		if a, ok := ParseIP(host); ok && a.Is4() {
			host = a.String()
		} else if d, ok := NormalizeDomain(host); ok {
			host = d
		} else if !isSingleLabel(host) {
			return "", false
		} else {
			host = strings.ToLower(host) // "http://localhost/", an intranet name
		}
	}
	for j := 0; j < len(port); j++ {
		if !isDigit(port[j]) {
			return "", false
		}
	}
	port = strings.TrimLeft(port, "0")
	if port == defaultPorts[scheme] {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	tail = normalizePercent(tail)
	if tail == "" && (scheme == "http" || scheme == "https") {
		tail = "/"
	} else if strings.HasPrefix(tail, "?") && (scheme == "http" || scheme == "https") {
		tail = "/" + tail
	}
	// Most URLs are canonical as written: return v itself, not a copy
	// (one allocation per URL of a report).
	if v[:i] == scheme {
		if r, ok := strings.CutPrefix(v[i+3:], userinfo); ok {
			if r, ok = strings.CutPrefix(r, host); ok && r == tail {
				return v, true
			}
		}
	}
	return scheme + "://" + userinfo + host + tail, true
}

func isSingleLabel(h string) bool {
	if h == "" || len(h) > 63 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// normalizePercent decodes escapes of unreserved characters and writes the
// other escapes in upper case (RFC 3986 sections 6.2.2.1 and 6.2.2.2).
// A "%" that does not start an escape is kept as written.
func normalizePercent(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			b.WriteByte(c)
			continue
		}
		d := unhex(s[i+1])<<4 | unhex(s[i+2])
		if d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || isDigit(d) || d == '-' || d == '.' || d == '_' || d == '~' {
			b.WriteByte(d)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(s[i+1 : i+3]))
		}
		i += 2
	}
	return b.String()
}

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
