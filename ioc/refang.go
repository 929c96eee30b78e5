package ioc

import "strings"

// Refang undoes the defanging reports apply so that indicators cannot be
// clicked or resolved by accident. The rules are those of the labelled
// corpora culprit is tested against (ioc-extractor's refang table and the
// forms in ioc-finder's and ESET's texts):
//
//   - a dot, "@", ":", "://" or "/" written as "dot", "at" or itself inside
//     brackets, braces or parentheses, in any mix: "[.]", "(.)", "{.}",
//     "[dot]", "(dot)", "{dot}", "[.)", "[at]", "[@]", "(@)", "{@}", "[:]",
//     "[://]", "[/]";
//   - half-bracketed dots between two letters or digits: "1[.1", "1.)1";
//   - "hxxp", "hXXp" and "h**p" (and the "s" forms) before ":" or "[:" as
//     "http";
//   - a dot with a space on each side, " . ", between two letters or
//     digits (only in a single value: in prose it ends sentences, so
//     package extract does not apply this rule).
//
// Values without any of these are returned unchanged.
func Refang(v string) string {
	if !mayBeDefanged(v) {
		return v
	}
	// Most values with a bracket, an "h" or a space (every URL has an
	// "h") hold nothing defanged: copy only from the first change.
	var b strings.Builder
	copied := 0 // v[:copied] is in b
	for i := 0; i < len(v); {
		repl, n := DefangAt(v, i)
		if n == 0 && v[i] == ' ' && i+2 < len(v) && v[i+1] == '.' && v[i+2] == ' ' && i > 0 && isAlnum(v[i-1]) && i+3 < len(v) && isAlnum(v[i+3]) {
			repl, n = ".", 3
		}
		if n == 0 {
			i++
			continue
		}
		if copied == 0 {
			b.Grow(len(v))
		}
		b.WriteString(v[copied:i])
		b.WriteString(repl)
		i += n
		copied = i
	}
	if copied == 0 {
		return v
	}
	b.WriteString(v[copied:])
	return b.String()
}

func mayBeDefanged(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '[', '(', '{', ']', ')', '}', 'h', 'H', ' ':
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c >= 0x80
}

func isOpen(c byte) bool  { return c == '[' || c == '(' || c == '{' }
func isClose(c byte) bool { return c == ']' || c == ')' || c == '}' }

// defangInner lists what may stand between the brackets, longest first,
// and what it stands for.
var defangInner = [...]struct{ in, out string }{
	{"://", "://"}, {"dot", "."}, {"at", "@"}, {".", "."}, {"@", "@"}, {":", ":"}, {"/", "/"},
}

// DefangAt reports whether a defanged token starts at s[i] (see Refang,
// except the spaced dot), and if so returns what it stands for and its
// length in bytes. Package extract uses it to refang text while keeping
// byte offsets into the original.
func DefangAt(s string, i int) (repl string, n int) {
	c := s[i]
	switch {
	case isOpen(c):
		for _, d := range defangInner {
			j := i + 1 + len(d.in)
			if j < len(s) && isClose(s[j]) && strings.EqualFold(s[i+1:j], d.in) {
				return d.out, j + 1 - i
			}
		}
		// "1[.1": an opening bracket and a dot between alphanumerics.
		if i > 0 && i+2 < len(s) && s[i+1] == '.' && isAlnum(s[i-1]) && isAlnum(s[i+2]) {
			return ".", 2
		}
	case c == '.':
		// "1.)1": a dot and a closing bracket between alphanumerics.
		if i > 0 && i+2 < len(s) && isClose(s[i+1]) && isAlnum(s[i-1]) && isAlnum(s[i+2]) {
			return ".", 2
		}
	case c == 'h' || c == 'H':
		if i > 0 && isAlnum(s[i-1]) || i+4 > len(s) {
			return "", 0
		}
		m := s[i+1 : i+3]
		if !(m == "xx" || m == "XX" || m == "xX" || m == "Xx" || m == "**") || s[i+3] != 'p' && s[i+3] != 'P' {
			return "", 0
		}
		j := i + 4
		out := "http"
		if j < len(s) && (s[j] == 's' || s[j] == 'S') {
			j++
			out = "https"
		}
		if j < len(s) && (s[j] == ':' || s[j] == '[' && j+1 < len(s) && s[j+1] == ':') {
			return out, j - i
		}
	}
	return "", 0
}
