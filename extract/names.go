package extract

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Pattern is one name to find: a name or alias of a knowledge object.
type Pattern struct {
	Name string // as the knowledge spells it
	ID   string // the object's id
	Type string // its STIX type (intrusion-set, malware, tool, ...)
	// ExternalID is an attack pattern's ATT&CK id (T1059.001), carried to
	// its candidates (TechniquePatterns).
	ExternalID string
}

// Candidate is a knowledge object a name found in the text may refer to.
type Candidate struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"` // the name or alias that matched
	// ExternalID is set for attack patterns: the technique's ATT&CK id.
	ExternalID string `json:"external_id,omitempty"`
}

// Matcher finds every name of a list in one pass over a text. Names are
// compared on kb.Normalize's key (lower case, letters and digits only), so
// "APT 38", "apt-38" and "APT38" are one name; a match must start and end
// at word boundaries, and may run over the spaces, hyphens and underscores
// between words. It is a trie walked from each word start, which is the
// Aho-Corasick automaton without failure links: those are not needed
// because a match can only start at a word start. The trie is stored as a
// double array (base and check side by side, one 8-byte slot read per
// byte: 0.3 MB for the 41,000 states of the 9,000 names of the
// benchmarks, which stays in cache).
//
// Case rules keep short and common-word names from firing on ordinary
// words: a name whose key has at most four characters ("APT1", "Zox",
// "Net") or that is a common English word ("Equation", "Ping") matches
// only when written with the same letters in the same case; a name of
// three letters or fewer written all in lower case ("at", "cmd") is not
// looked for at all, since its every mention is ambiguous. Names inside
// indicators (a URL, a domain, a path) are not mentions (Scan drops them).
type Matcher struct {
	nodes []trieNode // the trie as built; cands are read from here
	root  [256]int32
	pats  int
	// hexDepth is the longest path from the root on the bytes 0-9 and
	// a-f: a word of more hex digits (a hash) cannot start a name.
	hexDepth int
	// The trie as a double array: state s goes on byte c to t =
	// da[s].base+code[c] when da[t].check == s (state 0 is the root).
	// A slot's base and check are side by side, so the load that checks
	// a step brings the next step's base. node[t] is t's trie node and
	// flags[t] its stateCands and stateEdges bits.
	code  [256]int32
	da    []daSlot
	node  []int32
	flags []uint8
	// tri has a bit set for the hash of the first three characters of
	// every key, pair for the first two of every key of two, and one[c]
	// says that a key of one character is c: a word whose first
	// characters have none of these cannot start a name, and is skipped
	// without walking the trie (most words of a text; the tables fit in
	// L1 cache).
	tri  [1 << 16 / 64]uint64
	pair [1 << 16 / 64]uint64
	one  [256]bool
	// quad has a bit set for the hash of the first four bytes of every
	// key of four or more: a word of four ASCII letters or digits or more
	// can only start a name of four or more, so it is skipped when its
	// first four miss (sharper than tri: "com", "win", "the" start names,
	// "comp", "wind", "then" few).
	quad [1 << 17 / 64]uint64
}

func quadHash(a, b, c, d byte) uint32 {
	return (uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d)) * 2654435761 >> 15
}

type daSlot struct{ base, check int32 }

// Bits of Matcher.flags.
const (
	stateCands = 1 << iota // names end here
	stateEdges             // the trie goes on
)

func triHash(a, b, c byte) uint32 {
	return (uint32(a)*31*31 + uint32(b)*31 + uint32(c)) * 2654435761 >> 16
}

type trieNode struct {
	edges []trieEdge  // while building (compile turns them into the double array)
	cands []matchCand // names whose key ends here
	// all is cands' Candidates, one per object, shared read-only by every
	// match of a node without a strict candidate (no allocation per match).
	all    []Candidate
	strict bool // some candidate has a case rule
}

type trieEdge struct {
	c    byte
	next int32
}

type matchCand struct {
	Candidate
	strict bool   // match only in the same case
	exact  string // the name's letters and digits, as written
}

// NewMatcher builds a matcher for pats. Names that normalise to "" or are
// longer than kb.MaxNameLen are left out.
func NewMatcher(pats []Pattern) *Matcher {
	m := &Matcher{nodes: []trieNode{{}}}
	for i := range m.root {
		m.root[i] = -1
	}
	seen := map[[3]string]bool{}
	for _, p := range pats {
		if len(p.Name) > kb.MaxNameLen {
			continue
		}
		key := kb.Normalize(p.Name)
		if key == "" {
			continue
		}
		exact := alnum(p.Name)
		if len(key) <= 3 && exact == strings.ToLower(exact) && !hasDigit(key) {
			continue // "at", "cmd", "net": every mention is ambiguous
		}
		k := [3]string{key, p.ID, p.Name}
		if seen[k] {
			continue
		}
		seen[k] = true
		strict := utf8.RuneCountInString(key) <= 4 || commonWords[key]
		switch len(key) {
		case 1:
			m.one[key[0]] = true
		case 2:
			h := uint32(key[0])<<8 | uint32(key[1])
			m.pair[h/64] |= 1 << (h % 64)
		default:
			h := triHash(key[0], key[1], key[2])
			m.tri[h/64] |= 1 << (h % 64)
			if len(key) >= 4 {
				q := quadHash(key[0], key[1], key[2], key[3])
				m.quad[q/64] |= 1 << (q % 64)
			}
		}
		n := m.insert(key)
		m.nodes[n].cands = append(m.nodes[n].cands, matchCand{Candidate{p.ID, p.Type, p.Name, p.ExternalID}, strict, exact})
		m.pats++
	}
	m.breadthFirst()
	m.hexDepth = m.depthOn("0123456789abcdef")
	m.compile()
	for i := range m.nodes {
		nd := &m.nodes[i]
		sort.Slice(nd.cands, func(a, b int) bool {
			ca, cb := nd.cands[a], nd.cands[b]
			if ca.ID != cb.ID {
				return ca.ID < cb.ID
			}
			return ca.Name < cb.Name
		})
		var all []Candidate
		for _, c := range nd.cands {
			nd.strict = nd.strict || c.strict
			all = append(all, c.Candidate)
		}
		if len(all) > 0 {
			nd.all = slices.Clip(dedupe(all))
		}
	}
	return m
}

// breadthFirst renumbers the nodes in breadth-first order, so that the
// shallow nodes, which every word start visits, are contiguous in memory
// and stay in cache; insertion order scatters them among the deep ones.
func (m *Matcher) breadthFirst() {
	newID := make([]int32, len(m.nodes))
	for i := range newID {
		newID[i] = -1
	}
	order := make([]int32, 0, len(m.nodes))
	order = append(order, 0)
	newID[0] = 0
	for c := 0; c < 256; c++ {
		if r := m.root[c]; r >= 0 && newID[r] < 0 {
			newID[r] = int32(len(order))
			order = append(order, r)
		}
	}
	for q := 1; q < len(order); q++ {
		for _, e := range m.nodes[order[q]].edges {
			if newID[e.next] < 0 {
				newID[e.next] = int32(len(order))
				order = append(order, e.next)
			}
		}
	}
	nodes := make([]trieNode, len(order))
	for to, from := range order {
		nd := m.nodes[from]
		for k := range nd.edges {
			nd.edges[k].next = newID[nd.edges[k].next]
		}
		nodes[to] = nd
	}
	for c := range m.root {
		if m.root[c] >= 0 {
			m.root[c] = newID[m.root[c]]
		}
	}
	m.nodes = nodes
}

// depthOn returns the length of the longest path from the root of the
// trie (as built, before compile) on bytes of set.
func (m *Matcher) depthOn(set string) int {
	deepest := 0
	var walk func(n int32, d int)
	walk = func(n int32, d int) {
		deepest = max(deepest, d)
		for _, e := range m.nodes[n].edges {
			if strings.IndexByte(set, e.c) >= 0 {
				walk(e.next, d+1)
			}
		}
	}
	for i := 0; i < len(set); i++ {
		if r := m.root[set[i]]; r >= 0 {
			walk(r, 1)
		}
	}
	return deepest
}

// Len returns the number of names the matcher looks for.
func (m *Matcher) Len() int { return m.pats }

func (m *Matcher) insert(key string) int32 {
	cur := int32(0)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if cur == 0 {
			if m.root[c] < 0 {
				m.nodes = append(m.nodes, trieNode{})
				m.root[c] = int32(len(m.nodes) - 1)
			}
			cur = m.root[c]
			continue
		}
		next := m.child(cur, c)
		if next < 0 {
			m.nodes = append(m.nodes, trieNode{})
			next = int32(len(m.nodes) - 1)
			m.nodes[cur].edges = append(m.nodes[cur].edges, trieEdge{c, next})
		}
		cur = next
	}
	return cur
}

// child is the trie node under n by c, while building.
func (m *Matcher) child(n int32, c byte) int32 {
	if n == 0 {
		return m.root[c]
	}
	for _, e := range m.nodes[n].edges {
		if e.c == c {
			return e.next
		}
	}
	return -1
}

// compile lays the trie out as a double array, nodes in breadth-first
// order, each at the first base where all its children's slots are free,
// and drops the edges.
func (m *Matcher) compile() {
	var codes int32
	mark := func(c byte) {
		if m.code[c] == 0 {
			codes++
			m.code[c] = codes
		}
	}
	kidsOf := func(n int) []trieEdge {
		if n != 0 {
			return m.nodes[n].edges
		}
		var out []trieEdge
		for c := range m.root {
			if m.root[c] >= 0 {
				out = append(out, trieEdge{byte(c), m.root[c]})
			}
		}
		return out
	}
	for n := range m.nodes {
		for _, e := range kidsOf(n) {
			mark(e.c)
		}
	}
	size := len(m.nodes) + int(codes) + 1
	m.da = make([]daSlot, 1, size)
	m.node = make([]int32, 1, size)
	m.flags = make([]uint8, 1, size)
	m.da[0].check = -2 // the root has no parent
	grow := func(n int) {
		for len(m.da) < n {
			m.da = append(m.da, daSlot{-1, -1})
			m.node = append(m.node, -1)
			m.flags = append(m.flags, 0)
		}
	}
	stateOf := make([]int32, len(m.nodes))
	firstFree := 1
	for n := range m.nodes { // parents before children (breadthFirst)
		st := stateOf[n]
		if len(m.nodes[n].cands) > 0 {
			m.flags[st] |= stateCands
		}
		kids := kidsOf(n)
		if len(kids) == 0 {
			m.da[st].base = -1 // base+code lands on slots whose check is not st
			continue
		}
		m.flags[st] |= stateEdges
		minCode := int(codes)
		for _, e := range kids {
			minCode = min(minCode, int(m.code[e.c]))
		}
		var b int
		for q := firstFree; ; q++ {
			b = q - minCode
			if b < 0 || q < len(m.da) && m.da[q].check != -1 {
				continue
			}
			ok := true
			for _, e := range kids {
				if t := b + int(m.code[e.c]); t < len(m.da) && m.da[t].check != -1 {
					ok = false
					break
				}
			}
			if ok {
				break
			}
		}
		m.da[st].base = int32(b)
		for _, e := range kids {
			t := b + int(m.code[e.c])
			grow(t + 1)
			m.da[t].check = st
			m.node[t] = e.next
			stateOf[e.next] = int32(t)
		}
		for firstFree < len(m.da) && m.da[firstFree].check != -1 {
			firstFree++
		}
	}
	for n := range m.nodes {
		m.nodes[n].edges = nil
	}
}

// step returns the state after state s on byte c, or -1.
func (m *Matcher) step(s int32, c byte) int32 {
	k := m.code[c]
	if k == 0 {
		return -1
	}
	t := m.da[s].base + k
	if uint32(t) >= uint32(len(m.da)) || m.da[t].check != s {
		return -1
	}
	return t
}

func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			if c := byte(r); c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				b.WriteByte(c)
			}
		} else if kb.Normalize(string(r)) != "" {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// asciiAlnum appends the letters and digits of an ASCII text to dst (as
// alnum would return them) and reports true, or false when text is not
// ASCII or does not fit dst's capacity.
func asciiAlnum(dst, text []byte) ([]byte, bool) {
	if len(text) > cap(dst) {
		return dst, false
	}
	for _, c := range text {
		if c >= utf8.RuneSelf {
			return dst, false
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			dst = append(dst, c)
		}
	}
	return dst, true
}

// sameOrUpper reports whether the letters and digits of text are exact,
// or exact in capitals. written is asciiAlnum's answer for text when
// ascii, which spares alnum's and strings.ToUpper's copies.
func sameOrUpper(written []byte, ascii bool, text []byte, exact string) bool {
	if !ascii || !isASCII(exact) {
		w := alnum(string(text))
		return w == exact || w == strings.ToUpper(exact)
	}
	if string(written) == exact {
		return true
	}
	if len(written) != len(exact) {
		return false
	}
	for k := 0; k < len(exact); k++ {
		c := exact[k]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if written[k] != c {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// wordByte is true for the bytes of words: ASCII letters and digits, and
// every byte of a multi-byte UTF-8 sequence (letters of other scripts;
// kb.Normalize decides on them).
var wordByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := 0x80; c < 256; c++ {
		t[c] = true
	}
	return t
}()

var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c + 'a' - 'A')
	}
	return t
}()

// inWord reports whether text[k] is part of a word: an ASCII letter or
// digit, a letter or digit of another script, or a continuation byte
// (inside such a letter). Other characters (’ “ ” – — and the rest of
// Unicode punctuation) end words, so that "APT28’s" holds "APT28".
func inWord(text []byte, k int) bool {
	c := text[k]
	if c < utf8.RuneSelf {
		return wordByte[c]
	}
	r, size := utf8.DecodeRune(text[k:])
	if r == utf8.RuneError && size == 1 {
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// runeLen returns the length of the character at text[k] (1 for ASCII and
// for invalid bytes).
func runeLen(text []byte, k int) int {
	if text[k] < utf8.RuneSelf {
		return 1
	}
	_, size := utf8.DecodeRune(text[k:])
	return size
}

// NameMatch is a name found in a text.
type NameMatch struct {
	Start, End int
	// Candidates may be shared by every match of the same name: read
	// only (append to a copy).
	Candidates []Candidate
}

// Find calls fn for each name in text, leftmost-longest, without overlap.
func (m *Matcher) Find(text []byte, fn func(NameMatch)) { m.find(text, nil, fn) }

// find is Find told of hex words: each of hex (by start, not
// overlapping) is a run of ASCII hex digits, and longer than m.hexDepth
// when it starts a word no name can start there, so find moves past it
// without reading it. Scan passes the hashes it found: 30% of the bytes
// of IOC write-ups.
func (m *Matcher) find(text []byte, hex [][2]int, fn func(NameMatch)) {
	if m == nil || m.pats == 0 {
		return
	}
	n := len(text)
	// skipWord returns the end of the word at i. ASCII bytes are looked
	// up inline: inWord's call was a third of Find.
	skipWord := func(i int) int {
		for i < n {
			if c := text[i]; c < utf8.RuneSelf {
				if !wordByte[c] {
					return i
				}
				i++
			} else if inWord(text, i) {
				i++
			} else {
				return i
			}
		}
		return i
	}
	for i := 0; i < n; {
		if c := text[i]; c < utf8.RuneSelf {
			if !wordByte[c] {
				i++
				continue
			}
		} else if !inWord(text, i) {
			i += runeLen(text, i)
			continue
		}
		// i starts a word.
		for len(hex) > 0 && hex[0][0] < i {
			hex = hex[1:]
		}
		if len(hex) > 0 && hex[0][0] == i && hex[0][1]-i > m.hexDepth {
			// The walk would fail inside the word, and skipWord
			// follow it to its end.
			i = skipWord(hex[0][1])
			continue
		}
		if i+3 < n && text[i] < utf8.RuneSelf && text[i+1] < utf8.RuneSelf && wordByte[text[i+1]] && text[i+2] < utf8.RuneSelf && wordByte[text[i+2]] && text[i+3] < utf8.RuneSelf && wordByte[text[i+3]] {
			// A word of four or more ASCII letters or digits (wordByte
			// holds nothing else below utf8.RuneSelf).
			q := quadHash(lower[text[i]], lower[text[i+1]], lower[text[i+2]], lower[text[i+3]])
			if m.quad[q/64]&(1<<(q%64)) == 0 {
				i = skipWord(i)
				continue
			}
		} else if c0 := lower[text[i]]; !m.one[c0] && c0 < utf8.RuneSelf {
			// Two more ASCII letters or digits (most words) are read
			// here; next2 handles joins and other scripts.
			var c1, c2 byte
			ok := false
			if i+2 < n && text[i+1] < utf8.RuneSelf && wordByte[text[i+1]] && text[i+2] < utf8.RuneSelf && wordByte[text[i+2]] {
				c1, c2, ok = lower[text[i+1]], lower[text[i+2]], true
			} else {
				c1, c2, ok = m.next2(text, i+1)
			}
			if ok {
				h := triHash(c0, c1, c2)
				p := uint32(c0)<<8 | uint32(c1)
				if m.tri[h/64]&(1<<(h%64)) == 0 && m.pair[p/64]&(1<<(p%64)) == 0 {
					i = skipWord(i)
					continue
				}
			}
		}
		bestEnd, bestState := -1, int32(-1)
		cur := int32(0)
		j := i
	walk:
		for {
			// Feed the word starting at j.
			k := j
			for k < n {
				c := text[k]
				if c < utf8.RuneSelf {
					if !wordByte[c] {
						break
					}
					cur = m.step(cur, lower[c])
					if cur < 0 {
						break walk
					}
					k++
					continue
				}
				if !inWord(text, k) {
					break
				}
				// A word with letters of other scripts: feed its key.
				e := k
				for e < n && text[e] >= utf8.RuneSelf && inWord(text, e) {
					e++
				}
				key := kb.Normalize(string(text[k:e]))
				for q := 0; q < len(key) && cur >= 0; q++ {
					cur = m.step(cur, key[q])
				}
				if cur < 0 {
					break walk
				}
				k = e
			}
			if m.flags[cur]&stateCands != 0 {
				bestEnd, bestState = k, cur
			}
			// Words join across up to three of " ", "-", "_" and one
			// line break (wrapped text: "Lazarus\nGroup").
			g, nl := k, 0
			for g < n && g-k < 3 && (text[g] == ' ' || text[g] == '-' || text[g] == '_' || text[g] == '\t' || text[g] == '\r' || text[g] == '\n' && nl == 0) {
				if text[g] == '\n' {
					nl++
				}
				g++
			}
			if g == k || g >= n || !inWord(text, g) || m.flags[cur]&stateEdges == 0 && cur != 0 {
				break
			}
			j = g
		}
		if bestEnd < 0 {
			i = skipWord(i)
			continue
		}
		bestNode := m.node[bestState]
		if nd := &m.nodes[bestNode]; !nd.strict {
			fn(NameMatch{Start: i, End: bestEnd, Candidates: nd.all})
			i = bestEnd
			continue
		}
		var cands []Candidate
		var wbuf [64]byte
		written, ascii := asciiAlnum(wbuf[:0], text[i:bestEnd])
		rejected := false
		for _, c := range m.nodes[bestNode].cands {
			// Same letters in the same case, or all in capitals (a
			// heading).
			if c.strict && !sameOrUpper(written, ascii, text[i:bestEnd], c.exact) {
				rejected = true
				continue
			}
			cands = append(cands, c.Candidate)
		}
		if len(cands) > 0 {
			if !rejected {
				// Every candidate, deduplicated as nd.all is: shared,
				// no allocation.
				cands = m.nodes[bestNode].all
			} else {
				cands = dedupe(cands)
			}
			fn(NameMatch{Start: i, End: bestEnd, Candidates: cands})
			i = bestEnd
			continue
		}
		i = skipWord(i)
	}
}

// next2 returns the two normalised characters of the text after offset
// j, reading across a join between words as Find does, and false when
// they are not two ASCII letters or digits (Find then walks the trie).
func (m *Matcher) next2(text []byte, j int) (byte, byte, bool) {
	var out [2]byte
	for k := 0; k < 2; k++ {
		if j < len(text) && !wordByte[text[j]] {
			g, nl := j, 0
			for g < len(text) && g-j < 3 && (text[g] == ' ' || text[g] == '-' || text[g] == '_' || text[g] == '\t' || text[g] == '\r' || text[g] == '\n' && nl == 0) {
				if text[g] == '\n' {
					nl++
				}
				g++
			}
			if g == j {
				return 0, 0, false
			}
			j = g
		}
		if j >= len(text) || !wordByte[text[j]] || text[j] >= utf8.RuneSelf {
			return 0, 0, false
		}
		out[k] = lower[text[j]]
		j++
	}
	return out[0], out[1], true
}

// dedupe keeps one candidate per object id (the first name that matched).
// Candidates are few (one to a handful): a quadratic scan, no map.
func dedupe(cs []Candidate) []Candidate {
	out := cs[:0]
	for _, c := range cs {
		dup := false
		for _, o := range out {
			if o.ID == c.ID {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

// commonWords are English words that are also names of actors, malware or
// tools in ATT&CK and the MISP galaxies; they match only in the case the
// knowledge writes them. The list is culprit's own.
var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
about above access account action active admin agent alarm alert anchor angel apple archive arrow
attack aurora avenger backdoor badger bamboo banner barrel basic beacon bear bee bitter black blade
blue bolt bond bookworm boot border bounty brave bread bridge bronze buckeye bug builder bumblebee
butterfly cache cactus camel candy cannon carbon cardinal castle catalyst chaos charger charm cherry
chopper circle clean client cloud cobalt comet comment common copper coral cosmic crow crystal cuba
cutlass cyclops dagger dark dawn delta desert destroyer diamond dragon dream dropper duke dust eagle
echo eclipse elephant ember emerald empire equation evil explosive falcon fancy fire flame flash
flower fox freedom frost fury galaxy garden gazer ghost giant glacier gold golden gorgon granite
graphite gray green griffon guard hammer harbor hawk helix hermes hermit hidden horizon hornet
hunter ice impact indigo infinity invisible iron ivory jade jaguar jasper joker judge jupiter karma
keeper kitten knight lancer lantern leafminer legion leopard light lightning lion lizard lotus lucky
machete magic magnet mango marble mars mask matrix maze meteor midnight mint mirage mirror monsoon
moon mosaic moth mustang nebula needle neptune night ninja noble nomad north nova oasis ocean olympic
omega onyx orange orbit orion owl pacifier panda panther paper patchwork pearl pegasus phantom
phoenix pilot pinchy pink pioneer pirate pixie plague planet platinum poison polar pony prince
prism proton pulse puzzle python quartz rabbit radar rain ramsay ranger raven reaper red remote
rhino ripper rising river robin rocket rover ruby rust saber sakura salt sandworm saturn scarlet
scorpion seal sea serpent shadow shark shell shield shiva silence silent silver siren sky slate
snake snow solar sparrow spectre sphinx spider spring spy star steel sticky stone storm strike
sun sunburst swan sword taurus team tempest thor thunder tiger titan toad token torch tornado
trident trinity trojan turtle twilight typhoon umbrella union unity valkyrie vampire vanguard
venom venus viper vixen volcano vortex wake warrior wasp water wave web whale whisper white wild
winter wisdom wolf wood worm yellow zebra zero zeus
wiper loader stealer ransomware keylogger downloader implant miner spyware rootkit exploit payload
injector launcher installer updater scanner sniffer proxy tunnel beaconing
`) {
		m[w] = true
	}
	return m
}()

// NameTypes are the STIX types whose names Scan looks for.
var NameTypes = map[string]bool{"intrusion-set": true, "threat-actor": true, "campaign": true, "malware": true, "tool": true}

// PatternsOf returns the names and aliases of o as patterns, if o is of
// one of NameTypes. External ids (G0032, S0364) are left out: Scan
// reports them as ATT&CK ids.
func PatternsOf(o *stix.Object) []Pattern {
	if !NameTypes[o.Type] {
		return nil
	}
	var out []Pattern
	for _, n := range kb.NamesOf(o) {
		if n.Kind == kb.KindExternalID {
			continue
		}
		out = append(out, Pattern{Name: n.Name, ID: o.ID, Type: o.Type})
	}
	return out
}
