package kb

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/culprit-cti/culprit/stix"
)

// MaxNameLen bounds the length in bytes of a name that is indexed; longer
// names (which are descriptions, not names) are not indexed.
const MaxNameLen = 512

// Normalize returns the form under which names are compared: lower case,
// with everything but letters and digits removed, so that "Guardians of
// Peace", "guardians-of-peace" and "GUARDIANS_OF_PEACE" are equal, as are
// "APT 38" and "APT38", and "T1059.001" and "t1059001". Letters of every
// script are kept. A name with no letter or digit normalises to "".
func Normalize(name string) string {
	// Fast path: ASCII, which almost every name is.
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		b := make([]byte, 0, len(name))
		for i := 0; i < len(name); i++ {
			c := name[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				b = append(b, c)
			case c >= 'A' && c <= 'Z':
				b = append(b, c+'a'-'A')
			}
		}
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(name))
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			sb.WriteRune(unicode.ToLower(r))
		}
	}
	return sb.String()
}

// Name is one indexed name of an object.
type Name struct {
	Norm string   // Normalize(Name)
	Name string   // as supplied
	Kind NameKind // primary, alias or external_id
}

// NamesOf returns the names under which o is found by a lookup: its name,
// its aliases (aliases and x_mitre_aliases) and the external_id of each of
// its external references, each once per kind, strongest kind first. Names
// that normalise to "" or are longer than MaxNameLen are left out.
func NamesOf(o *stix.Object) []Name {
	var out []Name
	seen := make(map[string]bool)
	add := func(name string, kind NameKind) {
		if len(name) > MaxNameLen {
			return
		}
		n := Normalize(name)
		if n == "" {
			return
		}
		key := string(kind) + "\x00" + n
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Name{Norm: n, Name: name, Kind: kind})
	}
	for _, r := range o.ExternalReferences {
		if r.ExternalID != "" {
			add(r.ExternalID, KindExternalID)
		}
	}
	add(o.Name, KindPrimary)
	primary := Normalize(o.Name)
	for _, a := range o.Aliases {
		if Normalize(a) == primary {
			continue // ATT&CK lists the name as the first alias
		}
		add(a, KindAlias)
	}
	return out
}

// kindRank orders name kinds from strongest to weakest.
func kindRank(k NameKind) int {
	switch k {
	case KindID:
		return 0
	case KindExternalID:
		return 1
	case KindPrimary:
		return 2
	default:
		return 3
	}
}

// IsActor reports whether a STIX type describes an actor: intrusion-set or
// threat-actor.
func IsActor(typ string) bool { return typ == "intrusion-set" || typ == "threat-actor" }

// isUUID reports whether s has the form of a UUID (8-4-4-4-12 hex digits).
func isUUID(s string) bool { return LooksLikeID("x--" + s) }

// LooksLikeID reports whether s has the form of a STIX identifier,
// <type>--<UUID>.
func LooksLikeID(s string) bool {
	i := strings.Index(s, "--")
	if i <= 0 || len(s)-i-2 != 36 {
		return false
	}
	u := s[i+2:]
	for j := 0; j < len(u); j++ {
		c := u[j]
		switch j {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// SortMatches keeps one match per object, its strongest, and orders them
// as Store.LookupName promises: by kind (id, external id, primary, alias),
// then type, then id. Backends use it; it reuses ms's storage.
func SortMatches(ms []NameMatch) []NameMatch {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return kindRank(a.Kind) < kindRank(b.Kind)
	})
	out := ms[:0]
	for i, m := range ms {
		if i > 0 && ms[i-1].ID == m.ID {
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := kindRank(a.Kind), kindRank(b.Kind); ra != rb {
			return ra < rb
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.ID < b.ID
	})
	return out
}
