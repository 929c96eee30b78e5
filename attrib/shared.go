package attrib

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Shared recognises shared infrastructure: addresses and names that many
// unrelated parties use (public DNS resolvers, cloud and CDN ranges,
// popular sites, special-purpose ranges). An indicator that matches is
// weak evidence: the adversary did not pick it, or picked it because
// everyone uses it. The zero value matches nothing.
type Shared struct {
	addrs    map[netip.Addr]string
	prefixes []namedPrefix
	hosts    map[string]string // hostname or domain (and its subdomains)
	strs     map[string]string // exact strings (hashes, e-mail, URLs)
	subs     []namedString     // substrings
	regexes  []namedRegexp
}

type namedPrefix struct {
	p    netip.Prefix
	name string
}

type namedString struct{ s, name string }

type namedRegexp struct {
	re   *regexp.Regexp
	name string
}

// builtinPrefixes are well-known shared and special-purpose networks. They
// are a short list written for culprit, not a copy of any warninglist; load
// MISP warninglists (LoadWarninglists) for fuller coverage.
var builtinPrefixes = []struct{ cidr, name string }{
	{"8.8.8.8/32", "Google Public DNS"}, {"8.8.4.4/32", "Google Public DNS"},
	{"2001:4860:4860::8888/128", "Google Public DNS"}, {"2001:4860:4860::8844/128", "Google Public DNS"},
	{"1.1.1.1/32", "Cloudflare DNS"}, {"1.0.0.1/32", "Cloudflare DNS"},
	{"2606:4700:4700::1111/128", "Cloudflare DNS"}, {"2606:4700:4700::1001/128", "Cloudflare DNS"},
	{"9.9.9.9/32", "Quad9 DNS"}, {"149.112.112.112/32", "Quad9 DNS"},
	{"208.67.222.222/32", "OpenDNS"}, {"208.67.220.220/32", "OpenDNS"},
	{"4.2.2.1/32", "Level3 DNS"}, {"4.2.2.2/32", "Level3 DNS"},
	{"10.0.0.0/8", "private network (RFC 1918)"}, {"172.16.0.0/12", "private network (RFC 1918)"},
	{"192.168.0.0/16", "private network (RFC 1918)"}, {"100.64.0.0/10", "shared address space (RFC 6598)"},
	{"127.0.0.0/8", "loopback"}, {"::1/128", "loopback"}, {"169.254.0.0/16", "link-local"},
	{"fe80::/10", "link-local"}, {"fc00::/7", "unique local (RFC 4193)"},
	{"0.0.0.0/8", "this network"}, {"224.0.0.0/4", "multicast"}, {"ff00::/8", "multicast"},
	{"192.0.2.0/24", "documentation (RFC 5737)"}, {"198.51.100.0/24", "documentation (RFC 5737)"},
	{"203.0.113.0/24", "documentation (RFC 5737)"}, {"2001:db8::/32", "documentation (RFC 3849)"},
}

// builtinHosts are domains of large shared platforms (cloud, CDN, file
// sharing, paste and code hosting); a subdomain matches too.
var builtinHosts = []struct{ host, name string }{
	{"amazonaws.com", "Amazon Web Services"}, {"cloudfront.net", "Amazon CloudFront"},
	{"azurewebsites.net", "Microsoft Azure"}, {"azureedge.net", "Microsoft Azure CDN"},
	{"blob.core.windows.net", "Microsoft Azure storage"}, {"windows.net", "Microsoft"},
	{"microsoft.com", "Microsoft"}, {"windowsupdate.com", "Microsoft"}, {"live.com", "Microsoft"},
	{"office365.com", "Microsoft"}, {"onedrive.com", "Microsoft OneDrive"},
	{"google.com", "Google"}, {"googleapis.com", "Google"}, {"googleusercontent.com", "Google"},
	{"appspot.com", "Google App Engine"}, {"gstatic.com", "Google"},
	{"cloudflare.com", "Cloudflare"}, {"workers.dev", "Cloudflare Workers"}, {"pages.dev", "Cloudflare Pages"},
	{"akamaiedge.net", "Akamai"}, {"akamaihd.net", "Akamai"}, {"fastly.net", "Fastly"},
	{"github.com", "GitHub"}, {"githubusercontent.com", "GitHub"}, {"github.io", "GitHub Pages"},
	{"dropbox.com", "Dropbox"}, {"dropboxusercontent.com", "Dropbox"},
	{"pastebin.com", "Pastebin"}, {"discord.com", "Discord"}, {"discordapp.com", "Discord"},
	{"telegram.org", "Telegram"}, {"t.me", "Telegram"}, {"yandex.ru", "Yandex"},
	{"ngrok.io", "ngrok"}, {"ngrok-free.app", "ngrok"}, {"duckdns.org", "DuckDNS dynamic DNS"},
	{"no-ip.com", "No-IP dynamic DNS"}, {"ddns.net", "No-IP dynamic DNS"},
}

// builtinShared is the list Attribute uses when Options.Shared is nil,
// built once: building it took a tenth of an attribution's time, and a
// new list on every call also missed the network index cached for the
// last list (network.go). Attribute only reads it, and it is not handed
// out.
var builtinShared = sync.OnceValue(BuiltinShared)

// BuiltinShared returns the built-in shared-infrastructure list
// (documented in docs/attribution-json.md), the caller's to extend.
func BuiltinShared() *Shared {
	s := &Shared{}
	for _, p := range builtinPrefixes {
		s.addPrefix(netip.MustParsePrefix(p.cidr), p.name)
	}
	for _, h := range builtinHosts {
		s.addHost(h.host, h.name)
	}
	return s
}

func (s *Shared) addPrefix(p netip.Prefix, name string) {
	p = p.Masked()
	if p.IsSingleIP() {
		if s.addrs == nil {
			s.addrs = map[netip.Addr]string{}
		}
		if _, ok := s.addrs[p.Addr()]; !ok {
			s.addrs[p.Addr()] = name
		}
		return
	}
	s.prefixes = append(s.prefixes, namedPrefix{p, name})
}

func (s *Shared) addHost(h, name string) {
	h = strings.Trim(strings.ToLower(strings.TrimSpace(h)), ".")
	if h == "" {
		return
	}
	if s.hosts == nil {
		s.hosts = map[string]string{}
	}
	if _, ok := s.hosts[h]; !ok {
		s.hosts[h] = name
	}
}

// Match returns why value (an indicator of STIX type typ, such as
// ipv4-addr, domain-name, url, email-addr or file:hashes.SHA-256) is shared
// infrastructure, or "" when it is not.
func (s *Shared) Match(typ, value string) string {
	if s == nil {
		return ""
	}
	v := strings.TrimSpace(value)
	if why, ok := s.strs[v]; ok {
		return why
	}
	if why, ok := s.strs[strings.ToLower(v)]; ok {
		return why
	}
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		if why, ok := s.addrs[a]; ok {
			return why
		}
		for _, p := range s.prefixes {
			if p.p.Contains(a) {
				return p.name
			}
		}
		return ""
	}
	if typ == "domain-name" || typ == "url" || typ == "hostname" || strings.HasPrefix(typ, "email") {
		host := strings.ToLower(v)
		if i := strings.Index(host, "//"); i >= 0 {
			host = host[i+2:]
		}
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
			host = host[:i]
		}
		host = strings.Trim(host, ".[]")
		if a, err := netip.ParseAddr(host); err == nil {
			return s.Match("ipv4-addr", a.String())
		}
		for h := host; h != ""; {
			if why, ok := s.hosts[h]; ok {
				return why
			}
			i := strings.IndexByte(h, '.')
			if i < 0 {
				break
			}
			h = h[i+1:]
		}
	}
	for _, sub := range s.subs {
		if strings.Contains(v, sub.s) {
			return sub.name
		}
	}
	for _, r := range s.regexes {
		if r.re.MatchString(v) {
			return r.name
		}
	}
	return ""
}

// maxWarninglist bounds the size of one warninglist file (uncompressed).
const maxWarninglist = 64 << 20

// LoadWarninglists adds the MISP warninglists found under dir (files
// lists/<name>/list.json or list.json.gz, or <name>/list.json[.gz]) to s
// and returns the number of lists loaded. Types cidr, hostname, string,
// substring and regex are supported; entries that do not parse are
// skipped.
func (s *Shared) LoadWarninglists(dir string) (int, error) {
	var files []string
	for _, pat := range []string{"lists/*/list.json", "lists/*/list.json.gz", "*/list.json", "*/list.json.gz"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return 0, fmt.Errorf("load warninglists from %s: %w", dir, err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("load warninglists: no lists/<name>/list.json under %s", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := s.loadWarninglist(f); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

func (s *Shared) loadWarninglist(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load warninglist: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("load warninglist %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	var wl struct {
		Name string   `json:"name"`
		Type string   `json:"type"`
		List []string `json:"list"`
	}
	if err := json.NewDecoder(io.LimitReader(r, maxWarninglist)).Decode(&wl); err != nil {
		return fmt.Errorf("load warninglist %s: %w", path, err)
	}
	name := wl.Name
	if name == "" {
		name = filepath.Base(filepath.Dir(path))
	}
	if s.strs == nil {
		s.strs = map[string]string{}
	}
	for _, e := range wl.List {
		switch wl.Type {
		case "cidr":
			if p, err := netip.ParsePrefix(e); err == nil {
				s.addPrefix(p, name)
			} else if a, err := netip.ParseAddr(e); err == nil {
				s.addPrefix(netip.PrefixFrom(a, a.BitLen()), name)
			}
		case "hostname":
			s.addHost(e, name)
		case "substring":
			if e != "" {
				s.subs = append(s.subs, namedString{e, name})
			}
		case "regex":
			if re := warninglistRegexp(e); re != nil {
				s.regexes = append(s.regexes, namedRegexp{re, name})
			}
		default: // string
			if _, ok := s.strs[e]; !ok && e != "" {
				s.strs[e] = name
			}
		}
	}
	return nil
}

// warninglistRegexp turns a PCRE pattern with delimiters (/…/i) into a Go
// regexp, or nil when it does not compile.
func warninglistRegexp(e string) *regexp.Regexp {
	if len(e) < 2 || e[0] != '/' {
		return nil
	}
	end := strings.LastIndexByte(e, '/')
	if end <= 0 {
		return nil
	}
	pat, flags := e[1:end], e[end+1:]
	if strings.Contains(flags, "i") {
		pat = "(?i)" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil
	}
	return re
}
