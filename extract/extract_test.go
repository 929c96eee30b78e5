package extract

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"

	"github.com/culprit-cti/culprit/ioc"
)

// found returns "kind value" for every indicator item of text.
func found(t *testing.T, text string, opt Options) []string {
	t.Helper()
	items, err := All(strings.NewReader(text), opt)
	if err != nil {
		t.Fatalf("All(%q): %v", text, err)
	}
	var out []string
	for _, it := range items {
		s := string(it.Kind) + " " + it.Value
		if len(it.Benign) > 0 {
			s += " (" + strings.Join(it.Benign, "; ") + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestIndicators(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"ipv4", "C2 at 203.0.113.7:443 and 198[.]51[.]100[.]9.", []string{"ipv4-addr 203.0.113.7", "ipv4-addr 198.51.100.9"}},
		{"version", "Updated to version 1.2.3.4 and v2.0.0.1; OID 1.3.6.1.4.1.311 on 12.05.2014.", nil},
		{"ipv6", "beacon to [2001:DB8::1]:80 or fdc4:2581:575b:5a72:0000:0000:0000:0001; at 12:30:45", []string{"ipv6-addr 2001:db8::1", "ipv6-addr fdc4:2581:575b:5a72::1"}},
		{"url", "Download from hxxp://evil[.]example[.]com:80/a/b.exe, then (see https://x.example.org/p?q=1).",
			[]string{"url http://evil.example.com/a/b.exe", "domain-name evil.example.com", "url https://x.example.org/p?q=1", "domain-name x.example.org"}},
		{"email", "Mail alice[@]evil-mail.net or Bob.Smith@Example.COM.", []string{"email-addr alice@evil-mail.net", "domain-name evil-mail.net", "email-addr Bob.Smith@example.com", "domain-name example.com"}},
		{"file names", "Attached report.pdf and invoice.zip, run setup.exe.", []string{"domain-name invoice.zip (culprit: looks like a file name)"}},
		{"sentences", "The wiper.It spread. Node.js and System.IO are not hosts.", nil},
		{"hashes", "MD5 68B329DA9893E34099C7D8AD5CB9C940 sha1:adc83b19e793491b1c6ea0fd8b46cd9f32e592fc", []string{"file:hashes.MD5 68b329da9893e34099c7d8ad5cb9c940", "file:hashes.SHA-1 adc83b19e793491b1c6ea0fd8b46cd9f32e592fc"}},
		{"ids", "Exploits CVE-2014-6271 (T1059.001, TA0002) by G0032 using S0364; AS15169 and ASN 1234, just as 2014.",
			[]string{"vulnerability CVE-2014-6271", "x-mitre-attack-id T1059.001", "x-mitre-attack-id TA0002", "x-mitre-attack-id G0032", "x-mitre-attack-id S0364", "autonomous-system AS15169", "autonomous-system AS1234"}},
		{"coins", "Pay 1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36v or 1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36w.", []string{"x-bitcoin-address 1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36v"}},
		{"paths", `Drops C:\Program Files\Common Files\x.dll and %APPDATA%\m.exe; sets HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run.`,
			[]string{`x-windows-path c:\program files\common files\x.dll`, `x-windows-path %appdata%\m.exe`, `windows-registry-key HKCU\software\microsoft\windows\currentversion\run`}},
		{"ssdeep", "ssdeep 96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhOxCfL3MQ5F here", []string{"file:hashes.SSDEEP 96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhOxCfL3MQ5F"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(t, tt.text, Options{NoStatements: true})
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestOffsets(t *testing.T) {
	text := "x hxxp://a[.]example[.]com/ y 10[.]0[.]0[.]1 z"
	items, err := All(strings.NewReader(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if got := text[it.Offset : it.Offset+int64(len(it.Text))]; got != it.Text {
			t.Errorf("%s %q at %d: text there is %q", it.Kind, it.Text, it.Offset, got)
		}
		if ioc.Refang(it.Text) == "" {
			t.Errorf("empty text for %v", it)
		}
	}
	if len(items) != 3 {
		t.Errorf("%d items, want 3: %v", len(items), items)
	}
}

func TestNamesPunctuation(t *testing.T) {
	m := NewMatcher([]Pattern{{Name: "APT28", ID: "intrusion-set--a", Type: "intrusion-set"}, {Name: "Sandworm Team", ID: "intrusion-set--s", Type: "intrusion-set"}})
	text := []byte("APT28’s tools, “Sandworm Team” and Sandworm–Team; ÄPT28 is not APT28.")
	var got []string
	m.Find(text, func(nm NameMatch) { got = append(got, string(text[nm.Start:nm.End])) })
	want := []string{"APT28", "Sandworm Team", "APT28"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Find = %q, want %q", got, want)
	}
}

// TestHostNameCache checks the per-Scan cache of host decisions: answers
// equal the uncached ones, survive the reuse of the chunk buffer the names
// were read from, and stay right after the cache is cleared when full.
func TestHostNameCache(t *testing.T) {
	s := &scanner{}
	names := []string{"Example.COM", "example.com", "evil.example.", "report.pdf", "e.g", "foo.blogspot.com", "blogspot.com", "co.uk", "x.co.uk", "bücher.de", "1.2.3.4", "a..b", "-a.com"}
	for round := 0; round < 3; round++ {
		for _, n := range names {
			buf := []byte(n)
			got, ok := s.hostName(unsafeString(buf))
			for k := range buf {
				buf[k] = '#' // the chunk is reused
			}
			want, wantOK := ioc.NormalizeDomain(n)
			if wantOK {
				suffix, icann := publicsuffix.PublicSuffix(want)
				wantOK = !(!icann && !strings.Contains(suffix, ".") || want == suffix)
			}
			if ok != wantOK || ok && got != want {
				t.Errorf("round %d: hostName(%q) = %q, %v, want %q, %v", round, n, got, ok, want, wantOK)
			}
		}
		if round == 1 {
			for k := 0; len(s.hosts) < maxHosts; k++ {
				s.hostName(fmt.Sprintf("h%d.example", k))
			}
		}
	}
	if len(s.hosts) > maxHosts {
		t.Errorf("cache holds %d names, more than %d", len(s.hosts), maxHosts)
	}
}
