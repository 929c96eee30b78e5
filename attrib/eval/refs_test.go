package eval

import (
	"testing"

	"github.com/culprit-cti/culprit/stix"
)

func TestCanonURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "https://www.example.com/blog/a-b-c/", "example.com/blog/a-b-c"},
		{"http and case", "HTTP://Example.COM/blog/a-b-c", "example.com/blog/a-b-c"},
		{"wayback", "https://web.archive.org/web/20160303200515/https://example.com/x.pdf", "example.com/x.pdf"},
		{"wayback collapsed slashes", "https://web.archive.org/web/20180808125108/https:/www.example.com/x.html", "example.com/x.html"},
		{"wayback flags", "http://web.archive.org/web/20200101000000id_/http://example.com/x", "example.com/x"},
		{"tracking params", "https://example.com/p?utm_source=tw&id=3&fbclid=xyz", "example.com/p?id=3"},
		{"params sorted", "https://example.com/p?b=2&a=1", "example.com/p?a=1&b=2"},
		{"fragment", "https://example.com/p#section", "example.com/p"},
		{"index page", "https://example.com/research/index.html", "example.com/research"},
		{"not a URL", "Secureworks. (n.d.). IRON HUNTER.", ""},
		{"ftp", "ftp://example.com/x", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := canonURL(tc.in); got != tc.want {
				t.Errorf("canonURL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com/blog/2021/03/operation-dust-storm-report.pdf", "operation-dust-storm-report"},
		{"example.com/blog/2021/03", ""},             // numeric
		{"example.com/post.php", ""},                 // too short
		{"example.com/a/verylongbutonewordonly", ""}, // one word
		{"example.com/p?id=3-4-5-6-7-8-9", ""},       // query: not a path name
	}
	for _, tc := range tests {
		if got := slug(tc.in); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOldRefsMatch(t *testing.T) {
	old := []stix.ExternalReference{
		{SourceName: "A", URL: "https://www.fireeye.com/blog/threat-research/2017/03/fin7-spear-phishing-campaign.html"},
		{SourceName: "B", URL: "https://web.archive.org/web/20160101000000/http://vendor.example/paper.pdf"},
		{SourceName: "C", URL: "https://symantec.example/connect/blogs/dragonfly-western-energy-suppliers", Description: "Symantec. (2014, July 7). Dragonfly: Western energy sector targeted. Retrieved April 10, 2016."},
		{SourceName: "D", URL: "https://x.example/r1", Description: "F-Secure Labs. (2015, April 22). CozyDuke: Malware Analysis. Retrieved December 10, 2015."},
	}
	var objs []*stix.Object
	objs = append(objs, &stix.Object{Type: "relationship", ExternalReferences: old})
	o := newOldRefs(objs)
	tests := []struct {
		name string
		ref  stix.ExternalReference
		want string
	}{
		{"identical", old[0], "same"},
		{"archived later", stix.ExternalReference{SourceName: "A", URL: "https://web.archive.org/web/20180808125108/https:/www.fireeye.com/blog/threat-research/2017/03/fin7-spear-phishing-campaign.html"}, RuleArchive},
		{"archive dropped", stix.ExternalReference{SourceName: "B", URL: "http://vendor.example/paper.pdf"}, RuleArchive},
		{"https and slash", stix.ExternalReference{SourceName: "A2", URL: "http://fireeye.com/blog/threat-research/2017/03/fin7-spear-phishing-campaign.html/"}, RuleURLForm},
		{"moved vendor", stix.ExternalReference{SourceName: "C2", URL: "https://docs.broadcom.example/doc/dragonfly-western-energy-suppliers"}, RuleMoved},
		{"same title and date", stix.ExternalReference{SourceName: "D2", URL: "https://www.f-secure.example/documents/996508/CozyDuke", Description: "F-Secure Labs. (2015, April 22). CozyDuke: Malware Analysis. Retrieved March 1, 2020."}, RuleTitleDate},
		{"same title, other date", stix.ExternalReference{SourceName: "D3", URL: "https://y.example/r2", Description: "F-Secure Labs. (2016, April 22). CozyDuke: Malware Analysis. Retrieved March 1, 2020."}, ""},
		{"new", stix.ExternalReference{SourceName: "E", URL: "https://new.example/blog/a-new-report-on-a-group"}, ""},
		{"short slug elsewhere", stix.ExternalReference{SourceName: "F", URL: "https://other.example/paper.pdf"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := o.match(tc.ref); got != tc.want {
				t.Errorf("match(%+v) = %q, want %q", tc.ref, got, tc.want)
			}
		})
	}
}

func FuzzCanonURL(f *testing.F) {
	f.Add("https://web.archive.org/web/20160303200515/https://www.example.com/x.pdf?utm_source=a")
	f.Add("http://[::1]:80/%zz")
	f.Fuzz(func(t *testing.T, s string) {
		c := canonURL(s)
		// Escaping may lengthen a URL past the input bound, which then
		// names nothing: idempotence holds within the bound.
		if c != "" && len(c)+len("https://") <= maxRefLen && canonURL("https://"+c) != c {
			t.Errorf("canonURL not idempotent: %q -> %q -> %q", s, c, canonURL("https://"+c))
		}
		_ = slug(c)
	})
}
