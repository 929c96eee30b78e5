package extract

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/ioc"
)

// A Warninglist is one MISP warninglist: values that look like indicators
// but are probably benign (public resolvers, cloud ranges, top domains,
// hashes of empty files). The format is MISP's (misp-warninglists,
// schema.json); the matching follows MISP core and PyMISPWarningLists:
//
//   - string: the whole value equals an entry. An entry that starts with a
//     dot (".aadrm.com" in the Microsoft lists) is read as "this domain or
//     any subdomain", a local choice the lists' README calls reasonable.
//   - substring: an entry appears in the value.
//   - hostname: the value's host (a URL's host), or any parent made of
//     whole labels, equals an entry (entries lower-cased, dots trimmed).
//   - cidr: the value is an address inside an entry.
//   - regex: the PCRE pattern, delimiters removed, flag i as (?i).
//
// A list applies to the indicator types its matching_attributes name;
// with none, to every type.
type Warninglist struct {
	Name    string
	Version int64
	kind    string
	types   map[ioc.Type]bool // nil: every type
	exact   map[string]bool
	subs    []string
	nets    map[netip.Prefix]bool // cidr entries, masked
	lens    []int                 // the prefix lengths in nets
	res     []*regexp.Regexp
}

// MaxWarninglistSize bounds the decoded size of one list file.
const MaxWarninglistSize = 64 << 20

// mispTypes maps MISP attribute types to indicator types.
var mispTypes = map[string][]ioc.Type{
	"ip-src": {ioc.IPv4, ioc.IPv6}, "ip-dst": {ioc.IPv4, ioc.IPv6}, "ip": {ioc.IPv4, ioc.IPv6},
	"domain": {ioc.Domain}, "hostname": {ioc.Domain},
	"url": {ioc.URL}, "uri": {ioc.URL}, "link": {ioc.URL},
	"md5": {ioc.MD5}, "sha1": {ioc.SHA1}, "sha256": {ioc.SHA256}, "sha512": {ioc.SHA512}, "ssdeep": {ioc.SSDEEP}, "tlsh": {ioc.TLSH},
	"email-src": {ioc.Email}, "email-dst": {ioc.Email}, "target-email": {ioc.Email}, "email": {ioc.Email},
	"filename": {ioc.WindowsPath}, "regkey": {ioc.RegistryKey}, "AS": {ioc.ASN}, "btc": {ioc.Bitcoin},
	"vulnerability": {ioc.CVE},
}

// ParseWarninglist decodes one list in MISP's JSON format.
func ParseWarninglist(r io.Reader) (*Warninglist, error) {
	var raw struct {
		Name               string   `json:"name"`
		Version            int64    `json:"version"`
		Type               string   `json:"type"`
		MatchingAttributes []string `json:"matching_attributes"`
		List               []string `json:"list"`
	}
	dec := json.NewDecoder(io.LimitReader(r, MaxWarninglistSize+1))
	if err := dec.Decode(&raw); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "decode warninglist")
	}
	if raw.Name == "" {
		return nil, errs.E(errs.Invalid, "warninglist without a name")
	}
	w := &Warninglist{Name: raw.Name, Version: raw.Version, kind: raw.Type, exact: map[string]bool{}, nets: map[netip.Prefix]bool{}}
	lens := map[int]bool{}
	if w.kind == "" {
		w.kind = "string"
	}
	for _, a := range raw.MatchingAttributes {
		for _, part := range strings.Split(a, "|") {
			for _, t := range mispTypes[part] {
				if w.types == nil {
					w.types = map[ioc.Type]bool{}
				}
				w.types[t] = true
			}
		}
	}
	if len(raw.MatchingAttributes) > 0 && w.types == nil {
		w.types = map[ioc.Type]bool{} // applies to no type culprit extracts
	}
	for _, e := range raw.List {
		switch w.kind {
		case "string":
			w.exact[e] = true
			if strings.HasPrefix(e, ".") {
				w.subs = append(w.subs, strings.ToLower(e))
			}
		case "substring":
			w.subs = append(w.subs, strings.ToLower(e))
		case "hostname":
			w.exact[strings.Trim(strings.ToLower(e), ".")] = true
		case "cidr":
			if p, err := netip.ParsePrefix(e); err == nil {
				w.nets[p.Masked()] = true
				lens[p.Bits()] = true
			} else if a, err := netip.ParseAddr(e); err == nil {
				w.nets[netip.PrefixFrom(a, a.BitLen())] = true
				lens[a.BitLen()] = true
			} else {
				w.exact[e] = true
			}
		case "regex":
			re, err := compilePCRE(e)
			if err != nil {
				return nil, errs.Wrap(errs.Invalid, err, "warninglist %q: entry %q", w.Name, e)
			}
			w.res = append(w.res, re)
		default:
			return nil, errs.E(errs.Invalid, "warninglist %q: unknown type %q", w.Name, w.kind)
		}
	}
	for bits := range lens {
		w.lens = append(w.lens, bits)
	}
	sort.Ints(w.lens)
	return w, nil
}

func compilePCRE(e string) (*regexp.Regexp, error) {
	if len(e) >= 2 && e[0] == '/' {
		if j := strings.LastIndexByte(e, '/'); j > 0 {
			pat, flags := e[1:j], e[j+1:]
			if strings.Contains(flags, "i") {
				pat = "(?i)" + pat
			}
			return regexp.Compile(pat)
		}
	}
	return regexp.Compile(e)
}

// Applies reports whether the list applies to indicators of type t.
func (w *Warninglist) Applies(t ioc.Type) bool { return w.types == nil || w.types[t] }

// Match reports whether the canonical value v of type t is on the list.
func (w *Warninglist) Match(t ioc.Type, v string) bool {
	if !w.Applies(t) {
		return false
	}
	switch w.kind {
	case "string":
		if w.exact[v] {
			return true
		}
		for _, s := range w.subs { // ".example.com" entries
			if strings.HasSuffix(v, s) || v == s[1:] {
				return true
			}
		}
	case "substring":
		for _, s := range w.subs {
			if strings.Contains(v, s) {
				return true
			}
		}
	case "hostname":
		h := hostOf(t, v)
		for h != "" {
			if w.exact[h] {
				return true
			}
			i := strings.IndexByte(h, '.')
			if i < 0 {
				break
			}
			h = h[i+1:]
		}
	case "cidr":
		a, err := netip.ParseAddr(strings.SplitN(v, "/", 2)[0])
		if err != nil {
			return w.exact[v]
		}
		for _, bits := range w.lens {
			if p, err := a.Prefix(bits); err == nil && w.nets[p] {
				return true
			}
		}
	case "regex":
		for _, re := range w.res {
			if re.MatchString(v) {
				return true
			}
		}
	}
	return false
}

func hostOf(t ioc.Type, v string) string {
	switch t {
	case ioc.URL:
		if i := strings.Index(v, "//"); i >= 0 {
			v = v[i+2:]
		}
		if i := strings.IndexAny(v, "/?#"); i >= 0 {
			v = v[:i]
		}
		if i := strings.LastIndexByte(v, '@'); i >= 0 {
			v = v[i+1:]
		}
		if i := strings.LastIndexByte(v, ':'); i >= 0 && !strings.HasSuffix(v, "]") {
			v = v[:i]
		}
	case ioc.Email:
		if i := strings.LastIndexByte(v, '@'); i >= 0 {
			v = v[i+1:]
		}
	case ioc.Domain:
	default:
		if i := strings.IndexByte(v, '/'); i >= 0 {
			v = v[:i]
		}
	}
	return strings.TrimRight(strings.ToLower(v), ".")
}

// LoadWarninglists reads every list under dir: each lists/<name>/list.json
// (or list.json.gz), or any *.json and *.json.gz file below dir, in the
// order of their paths.
func LoadWarninglists(dir string) ([]*Warninglist, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		if (strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".json.gz")) && name != "schema.json" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(errs.NotFound, err, "read warninglists in %s", dir)
	}
	if len(files) == 0 {
		return nil, errs.E(errs.NotFound, "no warninglist (*.json, *.json.gz) in %s", dir)
	}
	sort.Strings(files)
	var out []*Warninglist
	for _, p := range files {
		w, err := loadWarninglist(p)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func loadWarninglist(p string) (*Warninglist, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, errs.Wrap(errs.NotFound, err, "open warninglist")
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(p, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "warninglist %s", p)
		}
		defer z.Close()
		r = z
	}
	w, err := ParseWarninglist(r)
	if err != nil {
		return nil, errs.Wrap(errs.KindOf(err), err, "warninglist %s", p)
	}
	return w, nil
}
