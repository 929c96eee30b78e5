package extract

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sort"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/culprit-cti/culprit/ioc"
)

// span is an item found in the refanged text, before it is mapped back.
type span struct {
	t          ioc.Type
	start, end int // in the refanged text
	value      string
	benign     []string
	owned      bool // value is in the arena already, not in the chunk
}

// scanner holds what a Scan reuses from chunk to chunk.
type scanner struct {
	opt   Options
	own   []string
	ref   []byte // the refanged chunk, or the chunk itself
	buf   []byte // storage for ref, reused
	moves []move // where ref and the chunk are out of step
	spans []span
	stats *Stats
	// items and nameItems are reused from chunk to chunk.
	items, nameItems []Item
	arena            arena
	hex              [][2]int               // see Matcher.find
	covered          [][2]int               // see chunk
	maxEnd           []int                  // see chunk
	hosts            map[string]hostVerdict // see hostName
}

// lower returns p in lower case (ASCII) and true, written into the arena
// (where chunk would copy it), or p itself and false when it has no
// capital.
func (s *scanner) lower(p string) (string, bool) {
	k := 0
	for k < len(p) && !(p[k] >= 'A' && p[k] <= 'Z') {
		k++
	}
	if k == len(p) {
		return p, false
	}
	a := &s.arena
	a.grow(len(p))
	start := len(a.b)
	a.b = append(a.b, p...)
	out := a.b[start:]
	// Eight bytes at a time: 0x20 is added to each byte in 'A'..'Z'
	// (ESET's hashes are upper case, 40 to 64 of them per write-up).
	const ones, highs, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	i := k &^ 7
	for ; i+8 <= len(out); i += 8 {
		x := binary.LittleEndian.Uint64(out[i:])
		v := x & low7
		upper := (v + (0x80-'A')*ones) &^ (v + (0x80-'Z'-1)*ones) &^ x & highs
		binary.LittleEndian.PutUint64(out[i:], x|upper>>2)
	}
	for ; i < len(out); i++ {
		if c := out[i]; c >= 'A' && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return unsafeString(out), true
}

func newScanner(opt Options) *scanner {
	s := &scanner{opt: opt, stats: opt.Stats}
	if s.stats != nil && s.stats.Traps == nil {
		s.stats.Traps = map[string]int{}
	}
	for _, d := range opt.OwnDomains {
		if n, ok := ioc.NormalizeDomain(d); ok {
			s.own = append(s.own, n)
		}
	}
	return s
}

// refangChunk fills s.ref with b refanged (ioc.DefangAt) and s.moves
// with the map back to b, or sets s.ref = b when nothing is defanged.
func (s *scanner) refangChunk(b []byte) {
	str := unsafeString(b)
	s.moves = s.moves[:0]
	ref := s.buf[:0]
	done := 0 // b[:done] is in ref
	for i := 0; i < len(b); i++ {
		if !defangStart[b[i]] {
			continue
		}
		repl, n := ioc.DefangAt(str, i)
		if n == 0 {
			continue
		}
		if ref == nil {
			ref = make([]byte, 0, len(b))
		}
		ref = append(ref, b[done:i]...)
		s.moves = append(s.moves, move{len(ref), i})
		ref = append(ref, repl...)
		i += n - 1
		done = i + 1
		s.moves = append(s.moves, move{len(ref), done})
	}
	if len(s.moves) == 0 {
		s.ref = b
		return
	}
	ref = append(ref, b[done:]...)
	s.ref, s.buf = ref, ref
}

// defangStart marks the bytes a defanged token can start with.
var defangStart = func() (t [256]bool) {
	for _, c := range []byte("[({.hH") {
		t[c] = true
	}
	return t
}()

// move says that offset ref of the refanged text is offset orig of the
// chunk; between two moves the texts run in step.
type move struct{ ref, orig int }

// atMove maps offset i of the refanged text to the chunk, given k, the
// last move with ref <= i (-1 for none; see moveBefore).
func (s *scanner) atMove(k, i int) int {
	m := s.moves
	if k < 0 {
		return i
	}
	if k%2 == 0 && k+1 < len(m) && i > m[k].ref {
		// Inside a replacement ("." for "[.]"): its start.
		return m[k].orig
	}
	return m[k].orig + i - m[k].ref
}

// moveBefore returns the last move with ref <= i, searching on from k,
// the answer for an offset at or before i.
func (s *scanner) moveBefore(k, i int) int {
	for k+1 < len(s.moves) && s.moves[k+1].ref <= i {
		k++
	}
	return k
}

// isDelim reports the bytes that end a token: white space, controls,
// quotes, brackets and list punctuation, and non-ASCII bytes (indicators
// are ASCII once IDNA is applied; IDN hosts in prose are left out).
var isDelim = func() (t [256]bool) {
	for c := 0; c <= ' '; c++ {
		t[c] = true
	}
	for _, c := range []byte("\"'<>()[]{},;|`^\x7f") {
		t[c] = true
	}
	for c := 0x80; c < 256; c++ {
		t[c] = true
	}
	return t
}()

// tokClass marks bytes without which a token cannot be an indicator
// (tokInteresting: digits and ".@:\\"), and those token looks for, so that
// it searches a token only for what it holds.
// tokNotHex marks every byte but the hex digits, and tokSep the
// separators of parts other than ':': a token whose bytes have neither
// (a hash, most often) is one part, classified without parts' and
// part's loops over it.
const (
	tokInteresting = 1 << iota
	tokColon
	tokAt
	tokBackslash
	tokNotHex
	tokSep
)

var tokClass = func() (t [256]uint8) {
	for c := range t {
		if partClass[c]&partHex == 0 {
			t[c] = tokNotHex
		}
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = tokInteresting
	}
	t['.'] |= tokInteresting
	t[':'] |= tokInteresting | tokColon
	t['@'] |= tokInteresting | tokAt
	t['\\'] |= tokInteresting | tokBackslash
	for _, c := range []byte("=/?&") {
		t[c] |= tokSep
	}
	return t
}()

// indicators finds the indicators of s.ref and appends them to s.spans.
func (s *scanner) indicators() {
	b := s.ref
	s.spans = s.spans[:0]
	for i := 0; i < len(b); {
		if isDelim[b[i]] {
			i++
			continue
		}
		j, cls := i, uint8(0)
		for j < len(b) && !isDelim[b[j]] {
			cls |= tokClass[b[j]]
			j++
		}
		if cls&tokInteresting != 0 && j-i <= maxItem {
			j = s.token(i, j, cls)
		}
		i = j
	}
}

const trimLeft = ".:-!?*=+#&~/"
const trimRight = ".:,;!?*=+#&~-"

func byteSet(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

var (
	isTrimLeft  = byteSet(trimLeft)
	isTrimRight = byteSet(trimRight)
	isSep       = byteSet(":=/?&")
	isURLTrim   = byteSet(".:,;!?*+~&#")
)

// token classifies b[i:j], a run of non-delimiters whose bytes have the
// tokClass bits cls, and returns where scanning resumes (j, or further
// when a path runs across spaces).
func (s *scanner) token(i, j int, cls uint8) int {
	b := s.ref
	if cls&(tokNotHex|tokSep) == 0 {
		// Hex digits only, at least one a decimal digit: nothing to
		// trim, no separator, one part.
		if hashType(j-i) != "" {
			s.hash(i, j)
		} else {
			s.part(i, j, true)
		}
		return j
	}
	for i < j && isTrimLeft[b[i]] {
		i++
	}
	end := j
	for end > i && isTrimRight[b[end-1]] {
		end--
	}
	if i >= end {
		return j
	}
	tok := unsafeString(b[i:end])
	colons := cls&tokColon != 0
	k := -1
	if colons {
		k = strings.Index(tok, "://")
	}
	if k > 0 {
		// A URL keeps a final "=" or "-" ("?ss=", "/a-"); sentence
		// punctuation and AsciiDoc marks ("++") after it are trimmed.
		ue := j
		for ue > i && isURLTrim[b[ue-1]] {
			ue--
		}
		s.url(i, ue, k)
		return j
	}
	if cls&tokBackslash != 0 && strings.IndexByte(tok, '\\') >= 0 {
		return s.path(i, end, j)
	}
	if cls&tokAt != 0 && strings.IndexByte(tok, '@') > 0 {
		s.email(i, end)
		return j
	}
	if !colons {
		s.parts(i, end)
		return j
	}
	if len(tok) > 12 && strings.Count(tok, ":") == 2 && tok[0] >= '0' && tok[0] <= '9' {
		if v, err := ioc.Normalize(ioc.SSDEEP, tok); err == nil {
			s.add(ioc.SSDEEP, i, end, v)
			return j
		}
	}
	if strings.Count(tok, ":") >= 2 {
		if s.ipv6(i, end) {
			return j
		}
	}
	s.parts(i, end)
	return j
}

// parts splits b[i:end] at the separators of "key=value", "host:port",
// "host/path" and classifies each piece.
func (s *scanner) parts(i, end int) {
	b := s.ref
	for p := i; p < end; {
		q := p
		for q < end && !isSep[b[q]] {
			q++
		}
		ps, pe := p, q
		for pe > ps && isTrimRight[b[pe-1]] {
			pe--
		}
		for ps < pe && isTrimLeft[b[ps]] {
			ps++
		}
		if ps < pe {
			s.part(ps, pe, p == i)
		}
		p = q + 1
	}
}

// part classifies one piece of a token without URL, path or address
// separators.
func (s *scanner) part(i, j int, first bool) {
	b := s.ref
	p := unsafeString(b[i:j])
	n := len(p)
	all, dots := uint8(partDigit|partHex), 0
	for k := 0; k < n; k++ {
		c := partClass[p[k]]
		all &= c
		dots += int(c >> 2)
	}
	hex, digits := all&partHex != 0, all&partDigit != 0
	switch {
	case hex && (n == 32 || n == 40 || n == 64 || n == 128):
		s.hash(i, j)
		return
	case digits:
		s.asnAfter(i, j)
		return
	case dots == 3 && s.ipv4(i, j):
		return
	case dots > 0 && n >= 13 && s.cveInside(i, j):
		// "Win32/Exploit.CVE-2017-11882.BU": a detection name.
		return
	case dots > 0 && s.hashBeforeDot(i, j):
		// "<sha256>.pem", "<sha1>.bin": a file named by its hash.
		return
	case n == 9 && (p[0] == 'T' || p[0] == 't') && isAttackIDFold(p):
		s.add(ioc.AttackID, i, j, strings.ToUpper(p))
		return
	case dots > 0:
		s.domain(i, j, false)
		return
	}
	switch {
	case n >= 13 && (p[0] == 'C' || p[0] == 'c') && strings.EqualFold(p[:4], "CVE-"):
		s.try(ioc.CVE, i, j, p)
	case n == 72 && p[0] == 'T' && p[1] == '1':
		s.try(ioc.TLSH, i, j, p)
	case n >= 5 && n <= 9 && p[n-1] >= '0' && p[n-1] <= '9' && isAttackIDFold(p):
		s.add(ioc.AttackID, i, j, strings.ToUpper(p))
	case n >= 9 && n <= 12 && p[4] == '-' && allDigits(p[:4]) && allDigits(p[5:]) && i >= 4 && strings.EqualFold(unsafeString(b[i-4:i]), "CVE "):
		s.try(ioc.CVE, i-4, j, "CVE-"+p)
	case n >= 3 && (p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' || p[1] == 's'):
		s.try(ioc.ASN, i, j, p)
	case n >= 26 && n <= 35 && (p[0] == '1' || p[0] == '3'):
		if ioc.ValidBitcoin(p) {
			s.add(ioc.Bitcoin, i, j, p)
		}
	case n >= 42 && n <= 62 && (strings.HasPrefix(p, "bc1") || strings.HasPrefix(p, "BC1")):
		s.try(ioc.Bitcoin, i, j, p)
	case (n == 95 || n == 106) && (p[0] == '4' || p[0] == '8'):
		if ioc.ValidMonero(p) {
			s.add(ioc.Monero, i, j, p)
		}
	}
}

// hash adds b[i:j], hex digits of a hash's length, as a hash.
func (s *scanner) hash(i, j int) {
	b := s.ref
	// An imphash (of the import table) or an authentihash (of the
	// signed parts) has a file hash's length but is not the file's. Each
	// of the three words holds "hash": one search rules out all three for
	// most hashes.
	before := b[max(0, i-24):i]
	if containsFold(before, "hash") && (containsFold(before, "imphash") || containsFold(before, "import hash") || containsFold(before, "authentihash")) {
		s.count("imphash or authentihash (not a file hash)")
		return
	}
	v, owned := s.lower(unsafeString(b[i:j]))
	s.add(hashType(j-i), i, j, v)
	s.spans[len(s.spans)-1].owned = owned
}

// partClass classifies bytes for part: digits (and hex), hex letters,
// and the dot (the bit counted).
const (
	partDigit = 1
	partHex   = 2
	partDot   = 4
)

var partClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = partDigit | partHex
	}
	for _, c := range []byte("abcdefABCDEF") {
		t[c] = partHex
	}
	t['.'] = partDot
	return t
}()

// isAttackIDFold is isAttackID(strings.ToUpper(p)) for p of at most nine
// bytes, without allocating.
func isAttackIDFold(p string) bool {
	var buf [9]byte
	u := buf[:len(p)]
	for k := 0; k < len(p); k++ {
		u[k] = p[k]
		if c := p[k]; c >= 'a' && c <= 'z' {
			u[k] = c - ('a' - 'A')
		}
	}
	return isAttackID(unsafeString(u))
}

func isAttackID(p string) bool {
	if p[0] == 'T' && p[1] == 'A' {
		return len(p) == 6 && allDigits(p[2:])
	}
	if strings.IndexByte("TGSCM", p[0]) < 0 {
		return false
	}
	switch len(p) {
	case 5:
		return allDigits(p[1:])
	case 9:
		return p[0] == 'T' && p[5] == '.' && allDigits(p[1:5]) && allDigits(p[6:])
	}
	return false
}

func allDigits(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return s != ""
}

// try adds the part if ioc accepts it as type t.
func (s *scanner) try(t ioc.Type, i, j int, v string) bool {
	c, err := ioc.Normalize(t, v)
	if err != nil {
		return false
	}
	s.add(t, i, j, c)
	return true
}

// asnAfter recognises "AS 1234" and "ASN 1234": a number after the word
// AS or ASN (or "asn"; a lower-case "as" before a number is English, as
// in "just as 2014").
func (s *scanner) asnAfter(i, j int) {
	b := s.ref
	k := i - 1
	if k < 2 || b[k] != ' ' {
		return
	}
	w := k
	for w > 0 && (b[w-1] >= 'a' && b[w-1] <= 'z' || b[w-1] >= 'A' && b[w-1] <= 'Z') {
		w--
	}
	word := unsafeString(b[w:k])
	if word != "AS" && word != "ASN" && word != "asn" {
		return
	}
	if c, err := ioc.Normalize(ioc.ASN, unsafeString(b[i:j])); err == nil {
		s.add(ioc.ASN, w, j, c)
	}
}

// ipv4 recognises four dotted decimal octets that are not a version
// ("version 1.2.3.4", "v1.2.3.4" cannot reach here) or part of a longer
// dotted run (an OID, "1.3.6.1.4.1", has more than three dots).
func (s *scanner) ipv4(i, j int) bool {
	b := s.ref
	p := unsafeString(b[i:j])
	for k := 0; k < len(p); k++ {
		if p[k] != '.' && (p[k] < '0' || p[k] > '9') {
			return false
		}
	}
	a, err := netip.ParseAddr(p)
	if err != nil || !a.Is4() {
		return true // digits and dots that are no address: not a domain either
	}
	before := b[max(0, i-16):i]
	trimmed := bytes.TrimRight(before, " ")
	if containsFold(before, "version") || len(trimmed) >= 3 && containsFold(trimmed[len(trimmed)-3:], "ver") || len(before) > 0 && before[len(before)-1]|0x20 == 'v' {
		s.count("version string (not an address)")
		return true
	}
	// p is a.String(): net/netip refuses octets with leading zeros, so
	// four decimal octets that parse are written canonically.
	s.add(ioc.IPv4, i, j, p)
	return true
}

func (s *scanner) ipv6(i, j int) bool {
	p := unsafeString(s.ref[i:j])
	groups, long := 0, false
	for rest := p; ; {
		g, after, more := strings.Cut(rest, ":")
		if g != "" {
			groups++
			long = long || len(g) >= 3
		}
		if !more {
			break
		}
		rest = after
	}
	if groups < 2 || groups == 2 && !long {
		return false
	}
	a, err := netip.ParseAddr(p)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return false
	}
	s.add(ioc.IPv6, i, j, a.String())
	return true
}

// fileTLDs are top-level domains that are also common file extensions: a
// two-label name under one of them, outside a URL or e-mail address, is
// more likely a file name ("invoice.zip", "setup.sh") than a host.
var fileTLDs = map[string]bool{
	"zip": true, "mov": true, "py": true, "sh": true, "pl": true, "rs": true, "md": true, "so": true,
	"ps": true, "cc": true, "cx": true, "sx": true, "rar": false, "doc": false, "bz": true, "gz": false,
	"in": false, "am": true, "ai": true, "ms": true, "mp": true, "bat": false, "kz": false, "to": false,
	"ml": true, "rb": false, "cs": false, "ts": false, "dll": false, "exe": false, "pdf": false, "js": false,
	"cab": true, "tar": false, "xz": false, "sys": false, "php": false, "ini": false, "cfg": false,
}

// domain recognises a host name whose suffix is on the public suffix list
// (ICANN section, or a private suffix of two or more labels), with a
// registrable part. inURL relaxes the file-name and case rules.
func (s *scanner) domain(i, j int, inURL bool) bool {
	b := s.ref
	p := unsafeString(b[i:j])
	last := strings.LastIndexByte(p, '.')
	if last <= 0 || last == len(p)-1 || len(p) > 253 {
		return false
	}
	tld := p[last+1:]
	for k := 0; k < len(tld); k++ {
		c := tld[k] | 0x20
		if !(c >= 'a' && c <= 'z') && !(len(tld) >= 4 && strings.EqualFold(tld[:4], "xn--")) {
			return false
		}
	}
	for k := 0; k < len(p); k++ {
		c := p[k]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	// "wiper.It", "System.IO": a top-level label in other case than the
	// name is a sentence run together or an identifier. (p is ASCII
	// here: a capital in the label, and a small letter in the label or
	// the name.)
	if !inURL && hasCase(tld, 'A', 'Z') && hasCase(p, 'a', 'z') {
		return false
	}
	d, ok := s.hostName(p)
	if !ok {
		return false
	}
	var benign []string
	if !inURL && strings.Count(d, ".") == 1 && fileTLDs[d[strings.LastIndexByte(d, '.')+1:]] {
		benign = append(benign, "culprit: looks like a file name")
		s.count("file name with a top-level domain as extension")
	}
	s.addBenign(ioc.Domain, i, j, d, benign)
	return true
}

// hostName returns p's canonical form (ioc.NormalizeDomain) and whether
// it is a host name under a public suffix (ICANN section, or a private
// suffix of two or more labels) with a registrable part. Answers are
// cached per Scan: a report names the same hosts, and writes the same
// dotted words, many times, and publicsuffix allocates an error (of
// netip.ParseAddr) for every name it is asked about.
func (s *scanner) hostName(p string) (string, bool) {
	if v, hit := s.hosts[p]; hit {
		return v.d, v.ok
	}
	d, ok := ioc.NormalizeDomain(p)
	if ok {
		suffix, icann := publicsuffix.PublicSuffix(d)
		ok = !(!icann && strings.IndexByte(suffix, '.') < 0 || d == suffix)
	}
	if len(s.hosts) >= maxHosts {
		clear(s.hosts) // bounded memory; the next names fill it again
	}
	if s.hosts == nil {
		s.hosts = map[string]hostVerdict{}
	}
	// p (and d, when NormalizeDomain changed nothing) point into the
	// chunk, which is reused: the cache keeps copies.
	k := strings.Clone(p)
	if d == p {
		d = k
	} else {
		d = strings.Clone(d)
	}
	s.hosts[k] = hostVerdict{d, ok}
	return d, ok
}

// maxHosts bounds the cache of hostName.
const maxHosts = 4096

type hostVerdict struct {
	d  string
	ok bool
}

// hasCase reports whether p holds a byte in lo..hi.
func hasCase(p string, lo, hi byte) bool {
	for k := 0; k < len(p); k++ {
		if p[k] >= lo && p[k] <= hi {
			return true
		}
	}
	return false
}

func (s *scanner) url(i, end, k int) {
	b := s.ref
	// The scheme is the run of letters before "://".
	st := i + k
	for st > i && (b[st-1]|0x20 >= 'a' && b[st-1]|0x20 <= 'z' || b[st-1] >= '0' && b[st-1] <= '9' || b[st-1] == '+') {
		st--
	}
	if st == i+k {
		return
	}
	u := unsafeString(b[st:end])
	v, err := ioc.Normalize(ioc.URL, u)
	if err != nil {
		return
	}
	hs := st + (k - (st - i)) + 3
	he := hs
	for he < end && strings.IndexByte("/?#", b[he]) < 0 {
		he++
	}
	if at := bytes.LastIndexByte(b[hs:he], '@'); at >= 0 {
		hs += at + 1
	}
	if he > hs && b[hs] != '[' {
		if c := bytes.LastIndexByte(b[hs:he], ':'); c >= 0 {
			he = hs + c
		}
	}
	if hs >= he {
		return
	}
	if a, ok := ioc.ParseIP(strings.Trim(unsafeString(b[hs:he]), "[]")); ok {
		t := ioc.IPv4
		if a.Is6() {
			t = ioc.IPv6
		}
		s.add(t, hs, he, a.String())
	} else if !s.domain(hs, he, true) {
		return // "http://192,168,0,1", "http://example/": no host
	}
	s.add(ioc.URL, st, end, v)
	// Indicators in the path and query: "/gui/domain/evil.example",
	// "/tactics/TA0001/", "?q=bar.com".
	if pe := hePath(b, he, end); pe < end {
		s.parts(pe, end)
	}
}

// hePath returns where the path of a URL starts, after its host and port.
func hePath(b []byte, he, end int) int {
	for he < end && b[he] != '/' && b[he] != '?' && b[he] != '#' {
		he++
	}
	return he
}

func (s *scanner) email(i, end int) {
	b := s.ref
	at := i + bytes.LastIndexByte(b[i:end], '@')
	ls := at
	for ls > i && (isLocal(b[ls-1])) {
		ls--
	}
	for ls < at && b[ls] == '.' {
		ls++
	}
	if ls == at || at+1 >= end {
		return
	}
	de := at + 1
	for de < end && (b[de]|0x20 >= 'a' && b[de]|0x20 <= 'z' || b[de] >= '0' && b[de] <= '9' || b[de] == '-' || b[de] == '.' || b[de] == '_') {
		de++
	}
	for de > at+1 && b[de-1] == '.' {
		de--
	}
	n := len(s.spans)
	if !s.domain(at+1, de, true) {
		return
	}
	v, err := ioc.Normalize(ioc.Email, unsafeString(b[ls:de]))
	if err != nil {
		s.spans = s.spans[:n]
		return
	}
	dom := s.spans[n]
	s.spans = s.spans[:n]
	s.addBenign(ioc.Email, ls, de, v, dom.benign)
	s.spans = append(s.spans, dom)
}

func isLocal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-", c) >= 0
}

// path recognises Windows paths and registry keys. A path may hold
// spaces ("C:\Program Files\x.exe", "HKLM\...\Image File Execution
// Options\x"): it runs on across up to four words while one of them holds
// a backslash and none starts a new path. Placeholders such as
// "<username>" are kept inside a path, and "<HKCU>\..." (as sandboxes
// write a root) is read as HKCU\....
func (s *scanner) path(i, end, j int) int {
	b := s.ref
	start := i
	prefix := ""
	if b[i] == '\\' && i >= 3 && b[i-1] == '>' {
		lo := max(0, i-24)
		if k := bytes.LastIndexByte(b[lo:i-1], '<'); k >= 0 && ioc.RegistryHive(string(b[lo+k+1:i-1])) != "" {
			start, prefix = lo+k, string(b[lo+k+1:i-1])
		}
	}
	p := prefix + unsafeString(b[i:end])
	root, _, _ := strings.Cut(p, `\`)
	var t ioc.Type
	switch {
	case ioc.RegistryHive(root) != "":
		t = ioc.RegistryKey
	case startsPath(p):
		t = ioc.WindowsPath
	default:
		return j
	}
	for end < len(b) && end-start < maxItem {
		// "<username>\": a placeholder inside the path.
		if b[end] == '<' {
			if gt := bytes.IndexByte(b[end:min(len(b), end+40)], '>'); gt > 0 && bytes.IndexByte(b[end:end+gt], '\n') < 0 && end+gt+1 < len(b) && b[end+gt+1] == '\\' {
				k := end + gt + 1
				for k < len(b) && (!isDelim[b[k]] || b[k] == '<' || b[k] == '>') && b[k] != ' ' {
					k++
				}
				end, j = k, k
				continue
			}
		}
		k, found := end, -1
		for words := 0; words < 4; words++ {
			if k+1 >= len(b) || b[k] != ' ' || isDelim[b[k+1]] {
				break
			}
			w := k + 1
			for w < len(b) && !isDelim[b[w]] {
				w++
			}
			word := unsafeString(b[k+1 : w])
			if startsPath(word) || strings.HasPrefix(word, "<") {
				break
			}
			if r, _, ok := strings.Cut(word, `\`); ok && ioc.RegistryHive(r) != "" {
				break
			}
			if strings.IndexByte(word, '\\') >= 0 {
				found = w
				break
			}
			k = w
		}
		if found < 0 {
			break
		}
		end, j = found, found
	}
	for end > i && isTrimRight[b[end-1]] {
		end--
	}
	v := prefix + unsafeString(b[i:end])
	if t == ioc.RegistryKey {
		if _, rest, _ := strings.Cut(v, `\`); strings.Trim(rest, `\`) == "" {
			return j // a bare root, or "HKU\<USER SID\..." cut short
		}
	}
	s.try(t, start, end, v)
	return j
}

// startsPath reports whether p starts as a Windows path: a drive
// ("C:\"), a UNC name ("\\host") or an environment variable ("%TEMP%\").
func startsPath(p string) bool {
	switch {
	case len(p) >= 3 && p[1] == ':' && p[2] == '\\' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z'):
		return true
	case strings.HasPrefix(p, `\\`) && len(p) > 3:
		return true
	case len(p) > 3 && p[0] == '%':
		k := strings.IndexByte(p[1:], '%')
		return k > 0 && k+2 < len(p) && p[k+2] == '\\'
	}
	return false
}

func (s *scanner) add(t ioc.Type, i, j int, v string) { s.addBenign(t, i, j, v, nil) }

func (s *scanner) addBenign(t ioc.Type, i, j int, v string, benign []string) {
	for _, w := range s.opt.Warninglists {
		if w.Match(t, v) {
			benign = append(benign, w.Name)
		}
	}
	if len(s.own) > 0 {
		if h := hostOf(t, v); h != "" {
			for _, o := range s.own {
				if h == o || strings.HasSuffix(h, "."+o) {
					benign = append(benign, "culprit: the report author's own domain")
					s.count("the report author's own domain")
					break
				}
			}
		}
	}
	s.spans = append(s.spans, span{t: t, start: i, end: j, value: v, benign: uniq(benign)})
}

func (s *scanner) count(trap string) {
	if s.stats != nil {
		s.stats.Traps[trap]++
	}
}

// sortSpans orders spans by start, longer first.
func sortSpans(sp []span) {
	sort.SliceStable(sp, func(a, b int) bool {
		if sp[a].start != sp[b].start {
			return sp[a].start < sp[b].start
		}
		return sp[a].end > sp[b].end
	})
}

func uniq(ss []string) []string {
	if len(ss) < 2 {
		return ss
	}
	out := ss[:0]
	for i, s := range ss {
		dup := false
		for _, p := range ss[:i] {
			dup = dup || p == s
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// cveInside reports a CVE id inside a dotted name and adds it.
func (s *scanner) cveInside(i, j int) bool {
	p := unsafeString(s.ref[i:j])
	k := strings.Index(p, "CVE-")
	if k < 0 {
		k = strings.Index(p, "cve-")
	}
	if k < 0 || k > 0 && isAlnumByte(p[k-1]) {
		return false
	}
	e := k + 4
	for e < len(p) && (p[e] >= '0' && p[e] <= '9' || p[e] == '-') {
		e++
	}
	return s.try(ioc.CVE, i+k, i+e, p[k:e])
}

// hashBeforeDot reports a file named by its hash ("<sha256>.pem") and
// adds the hash.
func (s *scanner) hashBeforeDot(i, j int) bool {
	p := unsafeString(s.ref[i:j])
	k := strings.IndexByte(p, '.')
	t := hashType(k)
	if t == "" {
		return false
	}
	for q := 0; q < k; q++ {
		if c := p[q] | 0x20; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	v, owned := s.lower(p[:k])
	s.add(t, i, i+k, v)
	s.spans[len(s.spans)-1].owned = owned
	return true
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hashType returns the hash type of n hex digits, or "".
func hashType(n int) ioc.Type {
	switch n {
	case 32:
		return ioc.MD5
	case 40:
		return ioc.SHA1
	case 64:
		return ioc.SHA256
	case 128:
		return ioc.SHA512
	}
	return ""
}

// containsFold reports whether b holds the lower-case ASCII word w in any
// case, without allocating.
func containsFold(b []byte, w string) bool {
	for k := 0; k+len(w) <= len(b); k++ {
		if b[k]|0x20 != w[0] {
			continue
		}
		ok := true
		for q := 1; q < len(w); q++ {
			c := b[k+q]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[q] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
