package ioc

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/internal/refdata"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		t    Type
		in   string
		want string // "" means invalid
	}{
		{IPv4, "203.0.113.7", "203.0.113.7"},
		{IPv4, "203[.]0[.]113[.]7", "203.0.113.7"},
		{IPv4, "10.1.2.3/8", "10.0.0.0/8"},
		{IPv4, "2001:db8::1", ""},
		{IPv4, "1.2.3", ""},
		{IPv6, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
		{IPv6, "fdc4:2581:575b:5a72:0000:0000:0000:0001", "fdc4:2581:575b:5a72::1"},
		{IPv6, "fe80::1%eth0", ""},
		{IPv6, "203.0.113.7", ""},
		{Domain, "Example.COM.", "example.com"},
		{Domain, "example[.]com", "example.com"},
		{Domain, "bücher.de", "xn--bcher-kva.de"},
		{Domain, "XN--BCHER-KVA.de", "xn--bcher-kva.de"},
		{Domain, "my_host.example.org", "my_host.example.org"},
		{Domain, "localhost", ""},
		{Domain, "1.2.3.4", ""},
		{Domain, "-bad.example.com", ""},
		{Domain, "a..b", ""},
		{URL, "HTTP://Example.COM:80", "http://example.com/"},
		{URL, "hxxps://evil[.]example:443/a/%7euser/%2f?q=%3a#frag", "https://evil.example/a/~user/%2F?q=%3A"},
		{URL, "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"},
		{URL, "ftp://files.example.net:21/pub", "ftp://files.example.net/pub"},
		{URL, "http://192.168.0.1:9090/url", "http://192.168.0.1:9090/url"},
		{URL, "http://user@host.example.com?x=1", "http://user@host.example.com/?x=1"},
		{URL, "example.com/path", ""},
		{URL, "http://exa mple.com/", ""},
		{Email, "Alice@Example.COM", "Alice@example.com"},
		{Email, "test[at]example[.]com", "test@example.com"},
		{Email, "no-at-sign.example.com", ""},
		{Email, "a@b", ""},
		{MD5, "68B329DA9893E34099C7D8AD5CB9C940", "68b329da9893e34099c7d8ad5cb9c940"},
		{MD5, "68b329da9893e34099c7d8ad5cb9c94", ""},
		{SHA1, "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc", "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc"},
		{SHA256, "01BA4719C80B6FE911B091A7C05124B64EEECE964E09C058EF8F9805DACA546B", "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"},
		{SHA512, strings.Repeat("d", 128), strings.Repeat("d", 128)},
		{SHA512, strings.Repeat("g", 128), ""},
		{SSDEEP, `96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhOxCfL3MQ5F`, `96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhOxCfL3MQ5F`},
		{SSDEEP, `96:abc:def,"file.exe"`, `96:abc:def`},
		{SSDEEP, `97:abc:def`, ""},
		{TLSH, "t1" + strings.Repeat("a", 70), "T1" + strings.Repeat("A", 70)},
		{TLSH, strings.Repeat("b", 70), "T1" + strings.Repeat("B", 70)},
		{TLSH, "T1" + strings.Repeat("a", 69), ""},
		{CVE, "cve-2014-6271", "CVE-2014-6271"},
		{CVE, "CVE-2021-44228", "CVE-2021-44228"},
		{CVE, "CVE-14-6271", ""},
		{ASN, "as1234", "AS1234"},
		{ASN, "ASN 15169", "AS15169"},
		{ASN, "AS4294967296", ""},
		{AttackID, "t1059.001", "T1059.001"},
		{AttackID, "TA0001", "TA0001"},
		{AttackID, "G0032", "G0032"},
		{AttackID, "X0032", ""},
		{AttackID, "T1059.1", ""},
		{Bitcoin, "1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36v", "1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36v"},
		{Bitcoin, "1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36w", ""},
		{Bitcoin, "BC1QL49YDAPNJAFL5T2CP9ZQPJWE6PDGMXY98859V2", "bc1ql49ydapnjafl5t2cp9zqpjwe6pdgmxy98859v2"},
		{Bitcoin, "bc1ql49ydapnjafl5t2cp9zqpjwe6pdgmxy98859v3", ""},
		{Monero, "49urk473npMgWFFBBk2xLMjEqTgg1PHMzg1MjDWBST5AMEEyh58TjCvLEf58uu5kruPWu5pA1RBPKX3quEQpHKoGQ1zbTGe", "49urk473npMgWFFBBk2xLMjEqTgg1PHMzg1MjDWBST5AMEEyh58TjCvLEf58uu5kruPWu5pA1RBPKX3quEQpHKoGQ1zbTGe"},
		{Monero, "49urk473npMgWFFBBk2xLMjEqTgg1PHMzg1MjDWBST5AMEEyh58TjCvLEf58uu5kruPWu5pA1RBPKX3quEQpHKoGQ1zbTGf", ""},
		{WindowsPath, `C:\Windows\System32\drivers\ETC\hosts`, `c:\windows\system32\drivers\etc\hosts`},
		{WindowsPath, `%APPDATA%\Microsoft\x.dll`, `%appdata%\microsoft\x.dll`},
		{WindowsPath, `\\fileserver\share\a.txt`, `\\fileserver\share\a.txt`},
		{WindowsPath, `/usr/bin/ls`, ""},
		{RegistryKey, `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run`, `HKLM\software\microsoft\windows\currentversion\run`},
		{RegistryKey, `hkcu\Software\X\`, `HKCU\software\x`},
		{RegistryKey, `HKEY_NOWHERE\x`, ""},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.t, tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Normalize(%s, %q) = %q, want an error", tt.t, tt.in, got)
			} else if errs.KindOf(err) != errs.Invalid {
				t.Errorf("Normalize(%s, %q) error kind %v, want Invalid", tt.t, tt.in, errs.KindOf(err))
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%s, %q) = %q, %v, want %q", tt.t, tt.in, got, err, tt.want)
		}
		// Canonical forms are fixed points.
		if again, err := Normalize(tt.t, got); err != nil || again != got {
			t.Errorf("Normalize(%s, %q) = %q, %v, want it unchanged", tt.t, got, again, err)
		}
	}
}

func TestKey(t *testing.T) {
	a, err1 := Key(IPv6, "2001:DB8:0::1")
	b, err2 := Key(IPv6, "2001:db8::0:1")
	if err1 != nil || err2 != nil || a != b {
		t.Errorf("Key of equal IPv6 addresses: %q, %v and %q, %v", a, err1, b, err2)
	}
	c, _ := Key(Domain, "2001.db8")
	if c == a {
		t.Errorf("keys of different types collide: %q", c)
	}
	if _, err := Key("x-nonsense", "v"); err == nil {
		t.Error("Key of an unknown type: no error")
	}
}

// TestRefangTable runs every rule of ioc-extractor's refang table.
func TestRefangTable(t *testing.T) {
	p := refdata.Path(t, "ioc", "ioc-extractor", "refang.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Input, Want string }
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("%s: %d cases, want at least 30", p, len(cases))
	}
	for _, c := range cases {
		if got := Refang(c.Input); got != c.Want {
			t.Errorf("Refang(%q) = %q, want %q", c.Input, got, c.Want)
		}
	}
}

func TestRefangProse(t *testing.T) {
	for in, want := range map[string]string{
		"see (the report).": "see (the report).",
		"hXXps[:]//a[.]b":   "https://a.b",
		"shxxp://x":         "shxxp://x",
		"h**ps:":            "https:",
		"DownloadString('https://example[.]com/rdp.ps1')": "DownloadString('https://example.com/rdp.ps1')",
	} {
		if got := Refang(in); got != want {
			t.Errorf("Refang(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCoinCorpus checks the validators against iocsearcher's valid
// Bitcoin and Monero addresses, and that one changed character fails.
func TestCoinCorpus(t *testing.T) {
	p := refdata.Path(t, "ioc", "iocsearcher", "blockchain_valid.ioc")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, v, _ := strings.Cut(sc.Text(), " ")
		var valid func(string) bool
		switch kind {
		case "bitcoin":
			valid = ValidBitcoin
		case "monero":
			valid = ValidMonero
		default:
			if ValidBitcoin(v) {
				// Litecoin and Dogecoin use other version bytes.
				t.Errorf("ValidBitcoin(%q) (a %s address) = true", v, kind)
			}
			continue
		}
		n++
		if !valid(v) {
			t.Errorf("%s address %q: not valid", kind, v)
		}
		b := []byte(v)
		i := len(b) - 3
		if b[i] == 'q' {
			b[i] = 'p'
		} else {
			b[i] = 'q'
		}
		if valid(string(b)) {
			t.Errorf("%s address %q with one character changed: valid", kind, b)
		}
	}
	if n < 8 {
		t.Errorf("%d Bitcoin and Monero addresses read, want at least 8", n)
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add(0, "2001:db8::1")
	f.Add(3, "hxxps://evil[.]example:443/%7e?x#y")
	f.Add(2, "bücher.de")
	f.Add(4, "a@b.example")
	f.Add(14, "1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36v")
	f.Add(15, "49urk473npMgWFFBBk2xLMjEqTgg1PHMzg1MjDWBST5AMEEyh58TjCvLEf58uu5kruPWu5pA1RBPKX3quEQpHKoGQ1zbTGe")
	f.Add(17, `HKLM\Software`)
	f.Fuzz(func(t *testing.T, ti int, v string) {
		if ti < 0 {
			ti = -ti
		}
		typ := Types[ti%len(Types)]
		got, err := Normalize(typ, v)
		if err != nil {
			return
		}
		again, err := Normalize(typ, got)
		if err != nil || again != got {
			t.Errorf("Normalize(%s, %q) = %q; again = %q, %v", typ, v, got, again, err)
		}
	})
}

func FuzzRefang(f *testing.F) {
	f.Add("hxxp://a[.]b(dot)c{@}d[/]e")
	f.Add("1.)1[.1.)1")
	f.Fuzz(func(t *testing.T, v string) {
		if got := Refang(v); len(got) > len(v) {
			t.Errorf("Refang(%q) = %q is longer", v, got)
		}
	})
}

// FuzzParseIP checks that the character pre-test of ParseIP never refuses
// an address net/netip accepts.
func FuzzParseIP(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "2001:db8::1", "fe80::1%eth0", "::ffff:1.2.3.4", "example.com", "12:30:45", "deadbeef"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := netip.ParseAddr(s)
		got, ok := ParseIP(s)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("ParseIP(%q) = %v, %v; netip.ParseAddr = %v, %v", s, got, ok, want, err)
		}
	})
}
