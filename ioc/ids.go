package ioc

import (
	"strconv"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

func normalizeSSDEEP(v string) (string, error) {
	d, err := ssdeep.Parse(v)
	if err != nil {
		return "", errs.Wrap(errs.Invalid, err, "%q is not an ssdeep digest (blocksize:hash:hash)", clip(v))
	}
	return d.String(), nil
}

func normalizeTLSH(v string) (string, error) {
	if len(v) == tlsh.StringLen && v[0] == 't' {
		v = "T" + v[1:] // case files write hex in either case, the prefix too
	}
	d, err := tlsh.Parse(v)
	if err != nil {
		return "", errs.Wrap(errs.Invalid, err, "%q is not a TLSH digest (T1 and 70 hex digits)", clip(v))
	}
	return d.String(), nil
}

// normalizeCVE accepts "CVE-2014-6271" in any case, with a year of four
// digits from 1999 and a sequence number of at least four digits.
func normalizeCVE(v string) (string, bool) {
	u := strings.ToUpper(v)
	if len(u) < 13 || !strings.HasPrefix(u, "CVE-") || u[8] != '-' {
		return "", false
	}
	year, seq := u[4:8], u[9:]
	if !allDigits(year) || year < "1999" || !allDigits(seq) || len(seq) < 4 || len(seq) > 7 {
		return "", false
	}
	return u, true
}

// normalizeASN accepts "AS1234", "ASN1234", "as 1234" and a bare number,
// and returns "AS1234". The number must fit in 32 bits.
func normalizeASN(v string) (string, bool) {
	u := strings.ToUpper(v)
	u = strings.TrimPrefix(u, "AS")
	u = strings.TrimPrefix(u, "N")
	u = strings.TrimSpace(u)
	if !allDigits(u) || len(u) > 10 || len(u) > 1 && u[0] == '0' {
		return "", false
	}
	n, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return "", false
	}
	return "AS" + strconv.FormatUint(n, 10), true
}

// normalizeAttackID accepts ATT&CK ids: T1234 and T1234.001 (techniques
// and sub-techniques), TA0001 (tactics), G0001 (groups), S0001 (software),
// C0001 (campaigns), M1001 (mitigations); four digits each, three after
// the dot.
func normalizeAttackID(v string) (string, bool) {
	u := strings.ToUpper(v)
	switch {
	case strings.HasPrefix(u, "TA"):
		return u, len(u) == 6 && allDigits(u[2:])
	case len(u) == 9 && u[0] == 'T' && u[5] == '.':
		return u, allDigits(u[1:5]) && allDigits(u[6:])
	case len(u) == 5 && strings.IndexByte("TGSCM", u[0]) >= 0:
		return u, allDigits(u[1:])
	}
	return "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// normalizeWindowsPath accepts a drive path ("C:\Windows\x.exe"), a UNC
// path ("\\host\share\x") or an environment-rooted path
// ("%APPDATA%\x.dll"), and returns it in lower case with "\" separators.
func normalizeWindowsPath(v string) (string, bool) {
	p := strings.ReplaceAll(v, "/", `\`)
	switch {
	case len(p) >= 3 && (p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z') && p[1] == ':' && p[2] == '\\':
	case strings.HasPrefix(p, `\\`) && len(p) > 2:
	case strings.HasPrefix(p, "%"):
		j := strings.IndexByte(p[1:], '%')
		if j <= 0 || !strings.HasPrefix(p[j+2:], `\`) {
			return "", false
		}
	default:
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < ' ' || strings.IndexByte(`<>"|?*`, c) >= 0 {
			return "", false
		}
	}
	return strings.ToLower(p), true
}

// registryHives maps the spellings of the registry roots to the
// abbreviation Windows tools (reg.exe) print.
var registryHives = map[string]string{
	"HKEY_LOCAL_MACHINE": "HKLM", "HKLM": "HKLM",
	"HKEY_CURRENT_USER": "HKCU", "HKCU": "HKCU",
	"HKEY_CLASSES_ROOT": "HKCR", "HKCR": "HKCR",
	"HKEY_USERS": "HKU", "HKU": "HKU",
	"HKEY_CURRENT_CONFIG": "HKCC", "HKCC": "HKCC",
}

// RegistryHive returns the abbreviation of a registry root ("HKLM" for
// "HKEY_LOCAL_MACHINE"), or "" if root is none.
func RegistryHive(root string) string { return registryHives[strings.ToUpper(root)] }

// normalizeRegistryKey accepts a key under one of the five roots and
// returns it with the abbreviated root in upper case and the rest in
// lower case (registry names are case-insensitive).
func normalizeRegistryKey(v string) (string, bool) {
	root, rest, ok := strings.Cut(v, `\`)
	if !ok {
		root, rest = v, ""
	}
	h := RegistryHive(root)
	if h == "" {
		return "", false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < ' ' {
			return "", false
		}
	}
	rest = strings.TrimSuffix(rest, `\`)
	if rest == "" {
		return h, true
	}
	return h + `\` + strings.ToLower(rest), true
}
