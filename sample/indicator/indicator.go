// Package indicator finds network indicators embedded in text: IPv4 and
// IPv6 addresses, domain names, URLs and e-mail addresses, as they appear
// in the strings of a binary (a wiper's hard-coded C2 addresses, a
// dropper's download URL).
//
// The rules trade recall for precision, because binaries are full of
// dotted things that are not hosts:
//
//   - IPv4: four dotted decimal octets, each 0-255 without leading zeros,
//     not part of a longer number or dotted run ("1.2.3.4.5" and
//     "1.2.3.4567" give nothing; letters may touch it, since strings in Go
//     binaries are not NUL-terminated), not a version ("v1.2.3.4", "version 1.0.0.0" or
//     "version=\"1.0.0.0\"" within 16 characters before it, or the
//     numbering of a Go closure, "marshal.func1.1.3.1"), and not
//     0.0.0.0 or 255.255.255.255.
//   - IPv6: colon-hexadecimal text that net/netip accepts as IPv6 with at
//     least three non-empty groups, or two of which one has three or more
//     digits ("fe80::1" but not "7::ff"), not the unspecified or loopback
//     address.
//   - Domains: dot-separated DNS labels ending in a known top-level domain
//     (TLDs: all country codes and the common generic ones, listed in
//     tld.go). Names ending in a TLD that is also a common file extension
//     (.so, .py, .sh, .pl, .rs, .md, .zip, .mov ... see ambiguousTLDs) count
//     only with at least three labels or inside a URL or e-mail address.
//     Outside URLs and e-mail addresses, a name is also refused when its
//     TLD is written in another case than the rest ("unicode.Cf"), when it
//     has two labels and the first is a common package or namespace name
//     ("runtime.work", "net.services", "reflect.flag.ro"; see codeWords),
//     or when it has two
//     labels, a TLD other than com/net/org/edu/gov/mil/info/biz and a
//     second-level label under three characters ("k.za"), or when it is
//     the tail of a program symbol: after a '*' (a Go pointer type,
//     "*catalog.store") or after a '/' glued to an identifier (the last
//     element of an import path: "math/rand.ke", "culprit/stix.member.is").
//   - URLs: http, https, ftp, ftps, ws and wss URLs; their host is also
//     reported as a domain or address.
//   - E-mail addresses whose domain passes the domain rules.
package indicator

import (
	"net/netip"
	"regexp"
	"strings"
)

// Kind is the type of an indicator.
type Kind string

// Kinds of indicators.
const (
	IPv4   Kind = "ipv4"
	IPv6   Kind = "ipv6"
	Domain Kind = "domain"
	URL    Kind = "url"
	Email  Kind = "email"
)

// Indicator is one network indicator, its value in package ioc's canonical
// form (domains lower case, e-mail domains lower case, URLs normalised).
type Indicator struct {
	Kind  Kind   `json:"kind"`
	Value string `json:"value"`
}

var (
	reURL    = regexp.MustCompile(`(?i)\b(?:https?|ftps?|wss?)://[^\s"'<>\x60{}|\\^]{2,1000}`)
	reEmail  = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]{1,64}@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:xn--[a-z0-9-]{1,59}|[a-z]{2,63}))\b`)
	reDomain = regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:xn--[a-z0-9-]{1,59}|[a-z]{2,63})\b`)
	reIPv4   = regexp.MustCompile(`(?:\d{1,3}\.){3}\d{1,3}`)
	reIPv6   = regexp.MustCompile(`(?i)(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?`)
)

// MaxInput is the longest text Find examines; longer text is cut.
const MaxInput = 64 << 10

// Find returns the indicators in s, each once, in order of first
// appearance (URLs first, then e-mail addresses, domains and addresses).
func Find(s string) []Indicator {
	if len(s) > MaxInput {
		s = s[:MaxInput]
	}
	if !strings.ContainsAny(s, ".:@") {
		return nil
	}
	var out []Indicator
	seen := map[Indicator]bool{}
	add := func(k Kind, v string) {
		in := Indicator{k, canonical(k, v)}
		if !seen[in] {
			seen[in] = true
			out = append(out, in)
		}
	}
	// hosts found inside URLs and e-mail addresses are trusted as domains
	// even with an ambiguous TLD.
	trusted := map[string]bool{}
	if strings.Contains(s, "://") {
		for _, u := range reURL.FindAllString(s, -1) {
			// A ")" with no "(" before it closes the text around the URL.
			if i := strings.IndexByte(u, ')'); i >= 0 && !strings.Contains(u[:i], "(") {
				u = u[:i]
			}
			u = strings.TrimRight(u, ".,;:!?)]}")
			host := urlHost(u)
			if host == "" {
				continue
			}
			add(URL, u)
			if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
				if a.Is4() {
					add(IPv4, a.String())
				} else {
					add(IPv6, a.String())
				}
			} else if isDomain(host, true) {
				add(Domain, strings.ToLower(host))
				trusted[strings.ToLower(host)] = true
			}
		}
	}
	if strings.Contains(s, "@") {
		for _, m := range reEmail.FindAllStringSubmatch(s, -1) {
			if isDomain(m[1], false) {
				add(Email, strings.ToLower(m[0]))
				add(Domain, strings.ToLower(m[1]))
				trusted[strings.ToLower(m[1])] = true
			}
		}
	}
	if strings.Contains(s, ".") {
		for _, loc := range reDomain.FindAllStringIndex(s, -1) {
			d := strings.ToLower(s[loc[0]:loc[1]])
			if loc[0] > 0 && (s[loc[0]-1] == '.' || s[loc[0]-1] == '-' || s[loc[0]-1] == '_') {
				continue // tail of a longer dotted identifier
			}
			if loc[1] < len(s) && (s[loc[1]] == '_' || s[loc[1]] == '-') {
				continue
			}
			if !trusted[d] && symbolBefore(s, loc[0]) {
				continue
			}
			if trusted[d] || isDomain(s[loc[0]:loc[1]], false) {
				add(Domain, d)
			}
		}
		for _, loc := range reIPv4.FindAllStringIndex(s, -1) {
			if ip, ok := ipv4At(s, loc[0], loc[1]); ok {
				add(IPv4, ip)
			}
		}
	}
	if strings.Count(s, ":") >= 2 {
		for _, loc := range reIPv6.FindAllStringIndex(s, -1) {
			if ip, ok := ipv6At(s, loc[0], loc[1]); ok {
				add(IPv6, ip)
			}
		}
	}
	return out
}

func urlHost(u string) string {
	rest := u[strings.Index(u, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			return rest[:i+1]
		}
		return ""
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// isDomain applies the TLD rules to a candidate domain name as written.
func isDomain(name string, inURL bool) bool {
	name = strings.TrimSuffix(name, ".")
	d := strings.ToLower(name)
	i := strings.LastIndexByte(d, '.')
	if i < 0 || len(d) > 253 {
		return false
	}
	tld := d[i+1:]
	if !IsTLD(tld) {
		return false
	}
	if !inURL {
		// "unicode.Cf", "System.IO": a TLD in other case than the name
		// is an identifier, not a host name.
		if t := name[i+1:]; t != tld && (t != strings.ToUpper(tld) || name != strings.ToUpper(name)) {
			return false
		}
		labels := strings.Split(d, ".")
		if codeWords[labels[0]] {
			return false
		}
		if len(labels) == 2 {
			if ambiguousTLDs[tld] {
				return false
			}
			// Two-label names under other than the classic generic TLDs
			// need a second-level label of at least three characters:
			// shorter ones are mostly noise from binary data.
			if !classicTLDs[tld] && len(labels[0]) < 3 {
				return false
			}
		}
	}
	// A name whose labels are all digits but the TLD is a version or an
	// address fragment, not a host.
	for _, l := range strings.Split(d[:i], ".") {
		if strings.Trim(l, "0123456789") != "" {
			return true
		}
	}
	return false
}

// symbolBefore reports whether the dotted name starting at s[i] is the
// tail of a program symbol rather than a host: a Go pointer type
// ("*catalog.store") or the last element of an import path
// ("math/rand.ke", "culprit/stix.member.is", "runtime/pprof.space"),
// where a '/' glued to an identifier precedes the name. A host after a
// '/' is preceded by "//" or ":/" (a URL, handled as one) or by a space.
func symbolBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	switch s[i-1] {
	case '*':
		return true
	case '/':
		return i >= 2 && isIdentByte(s[i-2])
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// versionLike reports whether the dotted quad s[start:end] is the
// numbering of a Go closure: "marshal.func1.1.3.1" is the first closure
// inside closures 1 and 3 of marshal.func1, not an address. Other letters
// glued to an address are common in Go binaries, whose strings are not
// NUL-terminated ("%d8.8.8.8/32", "Level3 DNS4.2.2.2"), and keep it.
func versionLike(s string, start int) bool {
	return strings.HasSuffix(s[:start], "func")
}

func ipv4At(s string, start, end int) (string, bool) {
	// Part of a longer number or dotted run: "1.2.3.4.5", "9.1.2.3.4",
	// "1.2.3.4567". Letters may touch the address: strings in Go
	// binaries are not NUL-terminated ("...100.23MapIter").
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	if start > 0 && (s[start-1] == '.' || isDigit(s[start-1])) {
		return "", false
	}
	if end < len(s) && (isDigit(s[end]) || end+1 < len(s) && s[end] == '.' && isDigit(s[end+1])) {
		return "", false
	}
	if versionLike(s, start) {
		return "", false
	}
	before := strings.ToLower(s[max(0, start-16):start])
	if strings.HasSuffix(before, "v") || strings.Contains(before, "version") {
		return "", false
	}
	a, err := netip.ParseAddr(s[start:end])
	if err != nil || !a.Is4() || a.IsUnspecified() || a.IsLoopback() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return "", false
	}
	return a.String(), true
}

func isHexColon(c byte) bool {
	return c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func ipv6At(s string, start, end int) (string, bool) {
	if start > 0 && (isHexColon(s[start-1]) || s[start-1] == '.') {
		return "", false
	}
	if end < len(s) && (isHexColon(s[end]) || s[end] == '.') {
		return "", false
	}
	cand := s[start:end]
	groups, long := 0, false
	for _, g := range strings.Split(cand, ":") {
		if g != "" {
			groups++
			long = long || len(g) >= 3
		}
	}
	if groups < 2 || groups == 2 && !long {
		return "", false // "7::ff" is more likely data than an address
	}
	a, err := netip.ParseAddr(cand)
	if err != nil || !a.Is6() || a.IsUnspecified() || a.IsLoopback() {
		return "", false
	}
	return a.String(), true
}
