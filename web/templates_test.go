package web

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0 campaigns"},
		{1, "1 campaign"},
		{2, "2 campaigns"},
		{1001, "1001 campaigns"},
	}
	for _, tt := range tests {
		if got := count(tt.n, "campaign", "campaigns"); got != tt.want {
			t.Errorf("count(%d, campaign, campaigns) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestGoldenListsResolve checks that every input of the golden pages that
// points to a suggestion list (list="X") has the page's <datalist id="X">:
// a dangling reference suggests nothing and says nothing.
func TestGoldenListsResolve(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden pages (%v)", err)
	}
	listRef := regexp.MustCompile(`<input[^>]* list="([^"]+)"`)
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range listRef.FindAllSubmatch(b, -1) {
			checked++
			// A list the script fills (data-src) has attributes after its id.
			if !bytes.Contains(b, []byte(`<datalist id="`+string(m[1])+`">`)) && !bytes.Contains(b, []byte(`<datalist id="`+string(m[1])+`" data-src="`)) {
				t.Errorf("%s: an input names list %q, but the page has no such datalist", filepath.Base(f), m[1])
			}
		}
	}
	if checked == 0 {
		t.Error("no golden page has an input with a suggestion list")
	}
}
