package extract

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/kb"
)

// TestMatcherDoubleArray checks the double array against the keys it was
// built from, on random name sets: a text walks from the root exactly
// when it is a prefix of some key, and a whole key ends in a state whose
// candidates hold its names.
func TestMatcherDoubleArray(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []string{"A", "b", "C", "d", "e", "Z", "0", "7", "é", "ж", " ", "-"}
	word := func(n int) string {
		var sb strings.Builder
		for k := 0; k < n; k++ {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	for round := 0; round < 200; round++ {
		var pats []Pattern
		for k := r.IntN(300) + 1; k > 0; k-- {
			name := "X" + word(r.IntN(8)) // a capital: no name is left out as too short and common
			pats = append(pats, Pattern{Name: name, ID: "malware--" + name, Type: "malware"})
		}
		m := NewMatcher(pats)
		prefixes := map[string]bool{}
		for _, p := range pats {
			key := kb.Normalize(p.Name)
			for k := 1; k <= len(key); k++ {
				prefixes[key[:k]] = true
			}
			st := int32(0)
			for k := 0; k < len(key) && st >= 0; k++ {
				st = m.step(st, key[k])
			}
			if st < 0 || m.flags[st]&stateCands == 0 {
				t.Fatalf("key %q of %q: walk ends in state %d", key, p.Name, st)
			}
			found := false
			for _, c := range m.nodes[m.node[st]].cands {
				found = found || c.ID == p.ID
			}
			if !found {
				t.Fatalf("key %q: state %d lacks %s", key, st, p.ID)
			}
		}
		for k := 0; k < 300; k++ {
			q := kb.Normalize("X" + word(r.IntN(6)))
			st := int32(0)
			for i := 0; i < len(q) && st >= 0; i++ {
				st = m.step(st, q[i])
			}
			if (st >= 0) != prefixes[q] {
				t.Fatalf("walk of %q reaches state %d; a prefix of a key: %v", q, st, prefixes[q])
			}
		}
	}
}

// TestMatcherHexHints checks that the hex runs Scan tells the matcher of
// change nothing it finds: on random texts of hex runs, words and joins,
// with names that are hex words themselves (one longer than the runs),
// find with every hex run of the text as a hint reports what Find does.
func TestMatcherHexHints(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	names := []string{"dead", "Babadeda", "cafe", "DEADBEEF", "beef cafe", "abc123", "Lazarus", "Turla", "APT1",
		"0123456789abcdef0123456789abcdef0123", "ab", "c"}
	var pats []Pattern
	for k, n := range names {
		pats = append(pats, Pattern{Name: n, ID: fmt.Sprint("x--", k), Type: "malware"})
	}
	for _, long := range []bool{false, true} {
		ps := pats
		if !long {
			ps = pats[:len(pats)-3]
		}
		m := NewMatcher(ps)
		pieces := append([]string{" ", "-", "\n", ".", ",", "é", "zz"}, names...)
		for n := 0; n < 2000; n++ {
			var sb strings.Builder
			for k := r.IntN(30); k > 0; k-- {
				if r.IntN(3) == 0 {
					for h := r.IntN(50); h > 0; h-- {
						sb.WriteByte("0123456789abcdefABCDEF"[r.IntN(22)])
					}
				} else {
					sb.WriteString(pieces[r.IntN(len(pieces))])
				}
			}
			text := []byte(sb.String())
			var hex [][2]int
			for i := 0; i < len(text); {
				j := i
				for j < len(text) && partClass[text[j]]&partHex != 0 {
					j++
				}
				if j > i {
					a := i + r.IntN(j-i) // any start within the run
					if r.IntN(2) == 0 {
						a = i
					}
					hex = append(hex, [2]int{a, a + r.IntN(j-a) + 1})
					i = j
					continue
				}
				i++
			}
			var want, got []NameMatch
			m.Find(text, func(nm NameMatch) { want = append(want, nm) })
			m.find(text, hex, func(nm NameMatch) { got = append(got, nm) })
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%q (hex %v, depth %d): %v, want %v", text, hex, m.hexDepth, got, want)
			}
		}
		if long && m.hexDepth < 36 || !long && m.hexDepth != 8 {
			t.Errorf("hexDepth %d with long=%v", m.hexDepth, long)
		}
	}
}

// TestMatcherFilters checks that the word filters (one, pair, tri, quad)
// only skip words that cannot start a name: on texts made of pieces of the
// names, joins and other words, Find reports the same as a matcher whose
// filters let every word through to the trie.
func TestMatcherFilters(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	names := []string{"Lazarus Group", "APT28", "APT 1", "Zox", "comrat", "Cobalt Strike", "the Dukes", "TheMoon", "Win32/Agent",
		"Équation", "x", "Ke3chang", "sofacy", "Sednit", "Fancy Bear", "wind", "gh0st"}
	var pats []Pattern
	for k, n := range names {
		pats = append(pats, Pattern{Name: n, ID: fmt.Sprint("x--", k), Type: "intrusion-set"})
	}
	m := NewMatcher(pats)
	open := *m
	for _, f := range [][]uint64{open.tri[:], open.pair[:], open.quad[:]} {
		for k := range f {
			f[k] = ^uint64(0)
		}
	}
	for c := range open.one {
		open.one[c] = true
	}
	var pieces []string
	for _, n := range names {
		pieces = append(pieces, n, strings.ToLower(n), strings.ToUpper(n), n[:len(n)/2], n[len(n)/2:])
	}
	pieces = append(pieces, " ", "  ", "-", "_", "\n", ".", "/", "é", "the", "com", "window", "x1", "’s")
	for n := 0; n < 5000; n++ {
		var sb strings.Builder
		for k := r.IntN(20); k > 0; k-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := []byte(sb.String())
		var want, got []NameMatch
		open.Find(text, func(nm NameMatch) { want = append(want, nm) })
		m.Find(text, func(nm NameMatch) { got = append(got, nm) })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: %v, want %v", text, got, want)
		}
	}
}
