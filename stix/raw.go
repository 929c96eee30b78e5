package stix

import (
	"bytes"
	"errors"
	"fmt"
)

// member is one top-level member of a JSON object held as raw bytes: the key
// (without quotes, never escaped, see checkMembers) and the byte range of
// its value.
type member struct {
	kStart, kEnd int // key is raw[kStart:kEnd]
	start, end   int // value is raw[start:end]
}

// is reports whether the member's key is name.
func (m member) is(raw []byte, name string) bool {
	return string(raw[m.kStart:m.kEnd]) == name
}

// errNotObject is returned by members when the input is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// members lists the top-level members of raw, which must be one syntactically
// valid JSON object (as produced by encoding/json), in input order. It checks
// that every property name follows STIX 2.1 section 3.1 (ASCII a-z, 0-9 and
// underscore, at most 250 characters) and appears once. buf is reused for the
// result.
func members(raw []byte, buf []member) ([]member, error) {
	out := buf[:0]
	var seen map[string]bool
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errNotObject
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return out, nil
	}
	for i < len(raw) {
		if raw[i] != '"' {
			return nil, fmt.Errorf("malformed object at byte %d", i)
		}
		kEnd, err := stringEnd(raw, i)
		if err != nil {
			return nil, err
		}
		kStart := i + 1
		key := raw[kStart : kEnd-1]
		if err := checkPropertyName(key); err != nil {
			return nil, err
		}
		i = skipSpace(raw, kEnd)
		if i >= len(raw) || raw[i] != ':' {
			return nil, fmt.Errorf("malformed object at byte %d", i)
		}
		i = skipSpace(raw, i+1)
		vEnd, err := valueEnd(raw, i)
		if err != nil {
			return nil, err
		}
		if len(out) < 32 {
			for _, m := range out {
				if string(raw[m.kStart:m.kEnd]) == string(key) {
					return nil, fmt.Errorf("duplicate property %q", key)
				}
			}
		} else {
			// Many properties: a set keeps the check linear.
			if seen == nil {
				seen = make(map[string]bool, 2*len(out))
				for _, m := range out {
					seen[string(raw[m.kStart:m.kEnd])] = true
				}
			}
			if seen[string(key)] {
				return nil, fmt.Errorf("duplicate property %q", key)
			}
			seen[string(key)] = true
		}
		out = append(out, member{kStart: kStart, kEnd: kEnd - 1, start: i, end: vEnd})
		i = skipSpace(raw, vEnd)
		if i >= len(raw) {
			break
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return out, nil
		default:
			return nil, fmt.Errorf("malformed object at byte %d", i)
		}
	}
	return nil, errors.New("unterminated object")
}

// checkPropertyName applies the STIX 2.1 naming rule for property names
// (section 3.1): ASCII a-z, 0-9 and underscore, at most 250 characters.
// The 3-character minimum applies to custom names only; id is a predefined
// two-letter name, so it is not enforced here.
func checkPropertyName(key []byte) error {
	if len(key) == 0 || len(key) > 250 {
		return fmt.Errorf("invalid property name %q: must be 1 to 250 characters", truncate(string(key), 64))
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("invalid property name %q: only a-z, 0-9 and _ are allowed", truncate(string(key), 64))
		}
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at b[i]=='"'.
func stringEnd(b []byte, i int) (int, error) {
	if e := quoteEnd(b, i); e > 0 {
		return e, nil
	}
	return 0, errors.New("unterminated string")
}

// valueEnd returns the index just past the JSON value starting at b[i]. The
// input is trusted to be valid JSON; only nesting and strings are tracked.
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("missing value")
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated value")
	default:
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j, nil
			}
			j++
		}
		return j, nil
	}
}

// edit is one change to raw object bytes: replace raw[at:end] with text.
// Insertions have end == at.
type edit struct {
	at, end int
	text    string
}

// applyEdits returns a new slice with raw and the edits applied. Edits must
// be sorted by position and must not overlap.
func applyEdits(raw []byte, edits []edit) []byte {
	n := len(raw)
	for _, e := range edits {
		n += len(e.text) - (e.end - e.at)
	}
	out := make([]byte, 0, n)
	last := 0
	for _, e := range edits {
		out = append(out, raw[last:e.at]...)
		out = append(out, e.text...)
		last = e.end
	}
	return append(out, raw[last:]...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// compact appends src to dst without the white space outside strings. src
// must be valid JSON.
func compact(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		case '"':
			e := quoteEnd(src, i)
			if e < 0 {
				e = len(src)
			}
			dst = append(dst, src[i:e]...)
			i = e
			continue
		}
		j := i + 1
		for j < len(src) {
			c := src[j]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' {
				break
			}
			j++
		}
		dst = append(dst, src[i:j]...)
		i = j
	}
	return dst
}

// quoteEnd returns the index just past the JSON string that starts at
// b[i] == '"', or -1 if it is not terminated.
func quoteEnd(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0 // backslashes before the quote
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}
