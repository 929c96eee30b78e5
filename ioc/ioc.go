// Package ioc owns what an indicator of compromise is in culprit: its
// types and the one canonical form under which two indicators are the same
// (Normalize, Key). Every consumer — case files, sample analysis, report
// extraction, the knowledge base — compares indicators through it, so that
// "2001:DB8::1" in a case and "2001:db8:0:0::1" in a report are one key.
//
// Canonical forms, by type:
//
//   - ipv4-addr, ipv6-addr: net/netip's text form (IPv6 compressed, lower
//     case, RFC 5952); a CIDR network is kept as its masked prefix. Zones
//     are refused.
//   - domain-name: lower case, no trailing dot, labels of letters, digits,
//     hyphens and underscores (malware uses underscores, DNS allows them).
//     Internationalised names are converted to their ASCII (A-label,
//     "xn--") form with IDNA 2008 lookup rules, so "bücher.de" and
//     "xn--bcher-kva.de" are one key; the display form is left to callers.
//   - url: scheme and host lower case (host as for domain-name), default
//     port dropped (http 80, https 443, ftp 21, ws 80, wss 443), an empty
//     path of an http(s) URL becomes "/", percent-encoding normalised
//     (escapes of unreserved characters decoded, other escapes in upper
//     case, RFC 3986 section 6.2.2), and the fragment dropped: a fragment
//     is never sent to the server, so URLs that differ only in it reach the
//     same resource.
//   - email-addr: local part as written, domain as for domain-name.
//   - hashes (MD5, SHA-1, SHA-256, SHA-512): lower-case hex of the exact
//     length.
//   - TLSH and ssdeep: checked and printed by the digest parsers of
//     packages tlsh and ssdeep (TLSH "T1" and 70 upper-case hex digits, as
//     the reference prints it; ssdeep without the file name).
//   - vulnerability (CVE): "CVE-YYYY-NNNN" upper case.
//   - autonomous-system: "AS" and the number in decimal.
//   - ATT&CK ids: upper case ("T1059.001", "TA0001", "G0032").
//   - Bitcoin: base58check addresses as written (base58 is case
//     sensitive), bech32 in lower case; checksums verified. Monero: as
//     written, checksum (Keccak-256) verified.
//   - Windows paths and registry keys: lower case (both are
//     case-insensitive on Windows), "/" read as "\", registry hives
//     abbreviated as Windows tools print them (HKLM, HKCU, HKCR, HKU, HKCC).
//
// Values are refanged (Refang) before they are normalised.
package ioc

import (
	"strings"

	"github.com/culprit-cti/culprit/errs"
)

// Type is the type of an indicator. Types that STIX 2.1 names are spelt as
// STIX spells the observable (and, for hashes, the property) they match.
type Type string

// Indicator types.
const (
	IPv4        Type = "ipv4-addr"
	IPv6        Type = "ipv6-addr"
	Domain      Type = "domain-name"
	URL         Type = "url"
	Email       Type = "email-addr"
	MD5         Type = "file:hashes.MD5"
	SHA1        Type = "file:hashes.SHA-1"
	SHA256      Type = "file:hashes.SHA-256"
	SHA512      Type = "file:hashes.SHA-512"
	SSDEEP      Type = "file:hashes.SSDEEP"
	TLSH        Type = "file:hashes.TLSH"
	CVE         Type = "vulnerability"
	ASN         Type = "autonomous-system"
	AttackID    Type = "x-mitre-attack-id"
	Bitcoin     Type = "x-bitcoin-address"
	Monero      Type = "x-monero-address"
	WindowsPath Type = "x-windows-path"
	RegistryKey Type = "windows-registry-key"
)

// Types lists every indicator type, in a stable order.
var Types = []Type{IPv4, IPv6, Domain, URL, Email, MD5, SHA1, SHA256, SHA512, SSDEEP, TLSH,
	CVE, ASN, AttackID, Bitcoin, Monero, WindowsPath, RegistryKey}

// MaxLen bounds the length of a value Normalize accepts: no indicator is
// longer (URLs included, which browsers cap near this).
const MaxLen = 8 << 10

// Key returns the one key under which an indicator is compared and
// indexed: its type, a NUL byte and its canonical value.
func Key(t Type, value string) (string, error) {
	v, err := Normalize(t, value)
	if err != nil {
		return "", err
	}
	return string(t) + "\x00" + v, nil
}

// Normalize refangs value and returns it in the canonical form of type t
// (see the package comment). The error, of kind errs.Invalid, says what
// is wrong with the value.
func Normalize(t Type, value string) (string, error) {
	if len(value) > MaxLen {
		return "", errs.E(errs.Invalid, "%s value of %d bytes is longer than %d", t, len(value), MaxLen)
	}
	v := Refang(strings.TrimSpace(value))
	if v == "" {
		return "", errs.E(errs.Invalid, "empty %s value", t)
	}
	var (
		out string
		ok  bool
	)
	switch t {
	case IPv4, IPv6:
		out, ok = normalizeIP(v, t == IPv4)
	case Domain:
		out, ok = NormalizeDomain(v)
	case URL:
		out, ok = normalizeURL(v)
	case Email:
		out, ok = normalizeEmail(v)
	case MD5, SHA1, SHA256, SHA512:
		out, ok = normalizeHex(v, HashLen(t))
	case SSDEEP:
		return normalizeSSDEEP(v)
	case TLSH:
		return normalizeTLSH(v)
	case CVE:
		out, ok = normalizeCVE(v)
	case ASN:
		out, ok = normalizeASN(v)
	case AttackID:
		out, ok = normalizeAttackID(v)
	case Bitcoin:
		out, ok = normalizeBitcoin(v)
	case Monero:
		ok = ValidMonero(v)
		out = v
	case WindowsPath:
		out, ok = normalizeWindowsPath(v)
	case RegistryKey:
		out, ok = normalizeRegistryKey(v)
	default:
		return "", errs.E(errs.Invalid, "unknown indicator type %q", t)
	}
	if !ok {
		return "", errs.E(errs.Invalid, "%q is not %s", clip(value), describe(t))
	}
	return out, nil
}

// HashLen returns the number of hex digits of a hash type, or 0.
func HashLen(t Type) int {
	switch t {
	case MD5:
		return 32
	case SHA1:
		return 40
	case SHA256:
		return 64
	case SHA512:
		return 128
	}
	return 0
}

func describe(t Type) string {
	switch t {
	case IPv4:
		return "an IPv4 address or network"
	case IPv6:
		return "an IPv6 address or network"
	case Domain:
		return "a domain name"
	case URL:
		return "an absolute URL"
	case Email:
		return "an e-mail address"
	case MD5, SHA1, SHA256, SHA512:
		return "a " + strings.TrimPrefix(string(t), "file:hashes.") + " hash (" + itoa(HashLen(t)) + " hex digits)"
	case CVE:
		return "a CVE id (CVE-YYYY-NNNN)"
	case ASN:
		return "an autonomous system number (AS1234)"
	case AttackID:
		return "an ATT&CK id (T1059, T1059.001, TA0001, G0001, S0001, C0001, M1001)"
	case Bitcoin:
		return "a Bitcoin address with a valid checksum"
	case Monero:
		return "a Monero address with a valid checksum"
	case WindowsPath:
		return "a Windows path (C:\\... or \\\\host\\share\\...)"
	case RegistryKey:
		return "a registry key (HKLM\\..., HKEY_CURRENT_USER\\...)"
	}
	return string(t)
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func normalizeHex(v string, n int) (string, bool) {
	if len(v) != n {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if !isHex(v[i]) {
			return "", false
		}
	}
	return strings.ToLower(v), true
}
