package extract

import (
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
