package extract

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzScan(f *testing.F) {
	f.Add("C2 hxxp://evil[.]example[.]com:8080/a?b=c 203.0.113.7 2001:db8::1 CVE-2014-6271 T1059.001 AS1234")
	f.Add(`C:\Program Files\x <y>\z.exe HKLM\Software\a b\c test[at]example[.]com`)
	f.Add("The group calling itself Guardians of Peace claimed the attack, according to the FBI.")
	f.Fuzz(func(t *testing.T, s string) {
		err := Scan(strings.NewReader(s), Options{}, func(it Item) error {
			if it.Offset < 0 || it.Offset > int64(len(s)) {
				t.Fatalf("offset %d outside the input of %d bytes", it.Offset, len(s))
			}
			if it.Kind != KindStatement && !strings.HasPrefix(s[it.Offset:], it.Text) {
				t.Fatalf("%s %q at %d: input there is %q", it.Kind, it.Text, it.Offset, s[it.Offset:min(len(s), int(it.Offset)+len(it.Text))])
			}
			if !utf8.ValidString(it.Snippet) {
				t.Fatalf("snippet %q is not UTF-8", it.Snippet)
			}
			return nil
		})
		_ = err // binary input is refused with an error: fine
	})
}

func FuzzHTMLReader(f *testing.F) {
	f.Add("<p>a &amp; b</p><script>x</script><!-- c -->")
	f.Add("<style><p>x</style></p>")
	f.Fuzz(func(t *testing.T, s string) {
		b, _ := io.ReadAll(io.LimitReader(NewHTMLReader(strings.NewReader(s)), 1<<20))
		if len(b) > 2*len(s)+16 {
			t.Fatalf("%d bytes of text from %d bytes of HTML", len(b), len(s))
		}
	})
}

func FuzzPDF(f *testing.F) {
	f.Add(minimalPDF("hello 203.0.113.7"))
	f.Add([]byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rc, _, err := OpenText("fuzz.pdf-", bytes.NewReader(append([]byte("%PDF-"), b...)))
		if err == nil {
			io.Copy(io.Discard, rc)
			rc.Close()
		}
	})
}

func FuzzMatcher(f *testing.F) {
	f.Add("APT 38 and apt38, Guardians-of-Peace, Zox zox", "APT38|Zox|Guardians of Peace")
	f.Fuzz(func(t *testing.T, text, names string) {
		var pats []Pattern
		for _, n := range strings.Split(names, "|") {
			pats = append(pats, Pattern{Name: n, ID: "x--" + n, Type: "malware"})
		}
		m := NewMatcher(pats)
		last := 0
		m.Find([]byte(text), func(nm NameMatch) {
			if nm.Start < last || nm.End <= nm.Start || nm.End > len(text) || len(nm.Candidates) == 0 {
				t.Fatalf("match %+v after %d in %q", nm, last, text)
			}
			last = nm.End
		})
	})
}

func FuzzWarninglist(f *testing.F) {
	f.Add(`{"name":"x","version":1,"type":"cidr","list":["10.0.0.0/8","::1"],"matching_attributes":["ip-src"]}`)
	f.Add(`{"name":"y","version":1,"type":"regex","list":["/^a@.*$/i"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWarninglist(strings.NewReader(s))
		if err != nil {
			return
		}
		w.Match("ipv4-addr", "10.1.2.3")
		w.Match("domain-name", "a.example.com")
	})
}
