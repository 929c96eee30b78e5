package extract

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSnippetCollapse compares snippets with a plain definition (the text
// within snippetW bytes of the item, ASCII white-space runs as one space,
// none at the ends) on random ASCII texts.
func TestSnippetCollapse(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "ab. \n\t\r\f\vZ9-"
	for n := 0; n < 2000; n++ {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		start := r.IntN(len(b) + 1)
		end := start + r.IntN(len(b)-start+1)
		lo, hi := max(0, start-snippetW), min(len(b), end+snippetW)
		want := strings.Join(strings.FieldsFunc(string(b[lo:hi]), func(c rune) bool { return strings.ContainsRune(" \n\t\r\f\v", c) }), " ")
		if got := snippet(b, start, end); got != want {
			t.Fatalf("snippet(%q, %d, %d) = %q, want %q", b, start, end, got, want)
		}
	}
}

// TestScannerLower checks the lower-casing into the arena: values stay
// intact while later ones are added, every byte value is mapped as
// strings.ToLower maps ASCII, at every alignment, and a value without
// capitals is returned as it is.
func TestScannerLower(t *testing.T) {
	s := &scanner{}
	in := []string{"ABCDEF", "abc", "0A1B", strings.Repeat("F", 5000), "Mixed", "@[`{AZaz\x80\xc1\xdaZ", "0123456789abcdefABCDEF0123456789abcdefAB"}
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	for k := 0; k < 16; k++ {
		in = append(in, string(all[k:]), string(all[:256-k]))
	}
	var got []string
	for _, v := range in {
		l, owned := s.lower(v)
		if owned != strings.ContainsAny(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Errorf("lower(%.20q) owned = %v", v, owned)
		}
		got = append(got, l)
	}
	for i, v := range in {
		want := []byte(v)
		for k, c := range want {
			if c >= 'A' && c <= 'Z' {
				want[k] = c + 'a' - 'A'
			}
		}
		if got[i] != string(want) {
			t.Errorf("lower(%.20q) = %.20q, want %.20q", v, got[i], want)
		}
	}
}

// TestSnippetWords compares the word-at-a-time snippet with a byte-at-a-time
// collapse of the same window on random texts that hold multi-byte
// characters, invalid UTF-8 and control bytes, at every alignment.
func TestSnippetWords(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "Z", "9", ".", " ", "  ", "\n", "\r\n", "\t", "\f", "\v", "\x01", "é", "’", "\xff", "\xe2\x80", "abcdefgh", "        "}
	for n := 0; n < 5000; n++ {
		var sb strings.Builder
		for k := r.IntN(80); k > 0; k-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		b := []byte(sb.String())
		start := r.IntN(len(b) + 1)
		end := start + r.IntN(len(b)-start+1)
		lo, hi := max(0, start-snippetW), min(len(b), end+snippetW)
		for lo > 0 && lo < start && !utf8.RuneStart(b[lo]) {
			lo++
		}
		for hi < len(b) && hi > end && !utf8.RuneStart(b[hi]) {
			hi--
		}
		var want []byte
		space := false
		for _, c := range b[lo:hi] {
			if isSnippetSpace[c] {
				space = len(want) > 0
				continue
			}
			if space {
				want = append(want, ' ')
				space = false
			}
			want = append(want, c)
		}
		want = bytes.ToValidUTF8(want, []byte("\uFFFD"))
		if got := snippet(b, start, end); got != string(want) {
			t.Fatalf("snippet(%q, %d, %d) = %q, want %q", b, start, end, got, want)
		}
	}
}
