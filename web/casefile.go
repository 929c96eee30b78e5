package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/culprit-cti/culprit/casefile"
)

// caseYAML writes c as a YAML case file that casefile.Parse reads back to
// the same items: every scalar is quoted as JSON, which YAML reads as a
// double-quoted string.
func caseYAML(c *casefile.Case, header string) []byte {
	q := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(header), "\n") {
		if l != "" {
			b.WriteString("# " + l + "\n")
		}
	}
	if c.Name != "" {
		fmt.Fprintf(&b, "name: %s\n", q(c.Name))
	}
	item := func(it casefile.Item) string {
		s := "  - {name: " + q(it.Ref)
		if it.Source != "" {
			s += ", source: " + q(it.Source)
		}
		if it.Note != "" {
			s += ", note: " + q(it.Note)
		}
		return s + "}\n"
	}
	if len(c.Techniques) > 0 {
		b.WriteString("techniques:\n")
		for _, it := range c.Techniques {
			b.WriteString(item(it))
		}
	}
	if len(c.Software) > 0 {
		b.WriteString("software:\n")
		for _, it := range c.Software {
			b.WriteString(item(it))
		}
	}
	if len(c.Indicators) > 0 {
		b.WriteString("indicators:\n")
		for _, in := range c.Indicators {
			s := "  - {type: " + q(in.Type) + ", value: " + q(in.Value)
			if in.Source != "" {
				s += ", source: " + q(in.Source)
			}
			if in.Note != "" {
				s += ", note: " + q(in.Note)
			}
			b.WriteString(s + "}\n")
		}
	}
	if len(c.Samples) > 0 {
		b.WriteString("samples:\n")
		for _, sm := range c.Samples {
			s := "  - {name: " + q(sm.Name)
			for _, kv := range [][2]string{{"sha256", sm.SHA256}, {"tlsh", sm.TLSH}, {"ssdeep", sm.SSDEEP}, {"source", sm.Source}} {
				if kv[1] != "" {
					s += ", " + kv[0] + ": " + q(kv[1])
				}
			}
			b.WriteString(s + "}\n")
		}
	}
	if len(c.Claims) > 0 {
		b.WriteString("claims:\n")
		for _, cl := range c.Claims {
			fmt.Fprintf(&b, "  - actor: %s\n", q(cl.Actor))
			if cl.Statement != "" {
				fmt.Fprintf(&b, "    statement: %s\n", q(cl.Statement))
			}
			if cl.Source != "" {
				fmt.Fprintf(&b, "    source: %s\n", q(cl.Source))
			}
			if cl.Reliability != "" {
				fmt.Fprintf(&b, "    reliability: %s\n", cl.Reliability)
			}
			if cl.Credibility != 0 {
				fmt.Fprintf(&b, "    credibility: %d\n", cl.Credibility)
			}
			if cl.SelfClaim {
				b.WriteString("    self_claim: true\n")
			}
		}
	}
	if c.Notes != "" {
		fmt.Fprintf(&b, "notes: %s\n", q(c.Notes))
	}
	return []byte(b.String())
}
