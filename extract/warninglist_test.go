package extract

import (
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/ioc"
)

func TestWarninglists(t *testing.T) {
	lists, err := LoadWarninglists(refdata.Path(t, "misp-warninglists", "lists"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) < 30 {
		t.Fatalf("%d lists loaded, want the 39 of the shared data", len(lists))
	}
	text := "Resolved via 8.8.8.8 and 10.1.2.3; fetched https://www.google.com/x and " +
		"c2.evil-example.xyz (203.0.113.7); the file d41d8cd98f00b204e9800998ecf8427e; mail abuse@bad-example.org."
	items, err := All(strings.NewReader(text), Options{Warninglists: lists, NoStatements: true})
	if err != nil {
		t.Fatal(err)
	}
	benign := map[string]string{}
	for _, it := range items {
		benign[it.Value] = strings.Join(it.Benign, "; ")
	}
	for v, want := range map[string]string{
		"8.8.8.8":                          "public DNS",
		"10.1.2.3":                         "1918",
		"www.google.com":                   "",
		"d41d8cd98f00b204e9800998ecf8427e": "empty",
		"abuse@bad-example.org":            "",
	} {
		got, ok := benign[v]
		if !ok {
			t.Errorf("%s not extracted (items are never dropped)", v)
			continue
		}
		if got == "" || !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
			t.Errorf("%s marked %q, want a list with %q", v, got, want)
		}
	}
	if got := benign["c2.evil-example.xyz"]; got != "" {
		t.Errorf("c2.evil-example.xyz marked benign by %s", got)
	}
	// A list restricted to other types does not apply.
	for _, w := range lists {
		if w.Applies(ioc.MD5) && w.Match(ioc.MD5, "8.8.8.8") {
			t.Errorf("%s matches an address as an MD5", w.Name)
		}
	}
}
