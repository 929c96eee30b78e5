package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	tokenIDRe = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
	timeRe    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	secretRe  = regexp.MustCompile(`culprit_[0-9a-f]{12}_[A-Za-z0-9_-]{43}`)
)

// TestTokenGolden compares what culprit token prints with golden files
// (testdata/golden/token-*.golden; -update rewrites them), token ids,
// tokens and times replaced by placeholders.
func TestTokenGolden(t *testing.T) {
	c := newKBCLI(t)
	c.mustRun("", "import", "../../examples/sony-2014/knowledge.json")
	var runs []string
	record := func(args ...string) {
		code, out, errs := c.run("", args...)
		runs = append(runs, "$ culprit "+strings.Join(args, " ")+"\nexit "+itoa(code)+"\n--- stdout\n"+out+"--- stderr\n"+errs)
	}
	record("token", "create", "--role", "reader", "--tlp", "green", "--name", "partner feed")
	record("token", "create", "--role", "analyst", "--tlp", "amber+strict")
	record("token", "list")
	_, out, _ := c.run("", "token", "list", "--json")
	id := tokenIDRe.FindString(out)
	record("token", "revoke", id)
	record("token", "list")
	record("token", "create", "--role", "root", "--tlp", "red")
	record("token", "revoke", "000000000000")
	record("token")

	got := strings.Join(runs, "\n")
	got = strings.ReplaceAll(got, c.db, "$DB")
	got = secretRe.ReplaceAllString(got, "culprit_ID_SECRET")
	ids := map[string]string{}
	got = tokenIDRe.ReplaceAllStringFunc(got, func(s string) string {
		if s == "000000000000" {
			return s
		}
		if ids[s] == "" {
			ids[s] = "ID" + itoa(len(ids)+1)
		}
		return ids[s]
	})
	got = timeRe.ReplaceAllString(got, "TIME")
	path := filepath.Join("testdata", "golden", "token.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestTokenGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("culprit token output differs from %s (run with -update if intended):\n%s", path, lineDiff(string(want), got))
	}
}
