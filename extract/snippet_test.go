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

// TestScannerLower checks the scratch lower-casing: values of a chunk stay
// intact while later ones are added.
func TestScannerLower(t *testing.T) {
	s := &scanner{}
	var got []string
	for _, v := range []string{"ABCDEF", "abc", "0A1B", strings.Repeat("F", 5000), "Mixed"} {
		got = append(got, s.lower(v))
	}
	want := []string{"abcdef", "abc", "0a1b", strings.Repeat("f", 5000), "mixed"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lower %d = %.20q, want %.20q", i, got[i], want[i])
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
