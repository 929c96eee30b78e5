package kb

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/stix"
)

// Bounds of the observable index: values longer than MaxObservable are not
// indexed (no real hash, address or domain is), nor more than
// MaxObservables per object.
const (
	MaxObservable  = 2048
	MaxObservables = 1000
)

// ObservableValue is the form in which a value is indexed and looked up in
// a store's observable index: trimmed and lower-cased.
func ObservableValue(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

// Observables returns the values an object is indexed by in a store's
// observable index (value to objects, one entry per value and object,
// never pairs of objects), in ObservableValue form: an SCO's value and
// hashes, and the string literals of an indicator's pattern (the 'x' in
// [file:hashes.'SHA-256' = 'x'], but not the quoted property name
// 'SHA-256', which would cost an index entry per indicator and match
// nothing a user looks up). Values are distinct and sorted. Every backend indexes the same values, so that
// a lookup answers the same on each.
func Observables(o *stix.Object) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		v = ObservableValue(v)
		if v == "" || len(v) > MaxObservable || seen[v] || len(out) >= MaxObservables {
			return
		}
		seen[v] = true
		out = append(out, v)
	}
	add(o.Value)
	for _, h := range o.Hashes {
		add(h)
	}
	if o.Type == "indicator" {
		var ind struct {
			Pattern string `json:"pattern"`
		}
		if json.Unmarshal(o.Raw, &ind) == nil {
			for _, lit := range patternLiterals(ind.Pattern) {
				add(lit)
			}
		}
	}
	// Hashes is a map: sorted, the values do not depend on its order.
	sort.Strings(out)
	return out
}

// patternLiterals returns the single-quoted string literals of a STIX
// pattern that are values, with \' and \\ unescaped: a literal after a
// dot is a step of an object path (hashes.'SHA-256'), not a value. An
// unterminated literal is dropped.
func patternLiterals(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] != '\'' {
			continue
		}
		step := strings.HasSuffix(strings.TrimRight(p[:i], " \t\r\n"), ".")
		var b strings.Builder
		j := i + 1
		for ; j < len(p); j++ {
			if p[j] == '\\' && j+1 < len(p) {
				j++
				b.WriteByte(p[j])
				continue
			}
			if p[j] == '\'' {
				break
			}
			b.WriteByte(p[j])
		}
		if j >= len(p) {
			break
		}
		if !step {
			out = append(out, b.String())
		}
		i = j
	}
	return out
}
