package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden with the output of this run")

// goldenCase is one command whose whole output is compared with a golden
// file: testdata/golden/<name>.golden holds the command line, its exit
// status, its stdout and its stderr. Paths of the test's temporary
// directory read $TMP, and those of testdata $TESTDATA, so the files do
// not depend on the machine.
type goldenCase struct {
	name  string
	setup string   // "" (empty knowledge base), or "umbrella": the fixture imported
	args  []string // $DB is the knowledge base file
}

var goldenCases = []goldenCase{
	// The Sony 2014 example on an empty database: the starter knowledge.
	{"attribute-sony-text", "", []string{"attribute", "../../examples/sony-2014/case.yaml"}},
	{"attribute-sony-json", "", []string{"attribute", "--json", "../../examples/sony-2014/case.yaml"}},
	{"attribute-sony-markdown", "", []string{"attribute", "--format", "markdown", "--top", "2", "../../examples/sony-2014/case.yaml"}},
	// Issue 7's defect in miniature: a galaxy gives the umbrella name
	// Grizzly Steppe to both APT28 and APT29. They stay two hypotheses,
	// and the claim naming the umbrella is shared between them.
	{"attribute-umbrella-text", "umbrella", []string{"attribute", "--db", "$DB", "$TESTDATA/umbrella/apt29.yaml"}},
	{"attribute-umbrella-json", "umbrella", []string{"attribute", "--db", "$DB", "--json", "--top", "3", "$TESTDATA/umbrella/apt29.yaml"}},
	// Behaviour the knowledge has but no actor is known for: said plainly.
	{"attribute-novel-text", "umbrella", []string{"attribute", "--db", "$DB", "$TESTDATA/umbrella/novel.yaml"}},
	{"show-apt29", "umbrella", []string{"show", "--db", "$DB", "APT29"}},
	{"show-apt29-json", "umbrella", []string{"show", "--db", "$DB", "--json", "G0016"}},
	{"show-umbrella", "umbrella", []string{"show", "--db", "$DB", "Grizzly Steppe"}},
	{"show-unknown", "umbrella", []string{"show", "--db", "$DB", "Nobody Here"}},
	{"actors", "umbrella", []string{"actors", "--db", "$DB"}},
	{"actors-query-json", "umbrella", []string{"actors", "--db", "$DB", "--json", "cozy bear"}},
	{"sample-script", "", []string{"sample", "$TESTDATA/sample/dropper.sh"}},
	{"sample-script-json", "", []string{"sample", "--json", "$TESTDATA/sample/dropper.sh"}},
}

func TestGolden(t *testing.T) {
	testdata, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	dbs := map[string]string{}
	parent := t
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			db := filepath.Join(tmp, "kb.db")
			if tc.setup != "" {
				if dbs[tc.setup] == "" {
					dbs[tc.setup] = goldenSetup(parent, tc.setup, testdata)
				}
				copyFile(t, dbs[tc.setup], db)
				if _, err := os.Stat(dbs[tc.setup] + "-wal"); err == nil {
					copyFile(t, dbs[tc.setup]+"-wal", db+"-wal")
				}
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				a = strings.ReplaceAll(a, "$DB", db)
				args[i] = strings.ReplaceAll(a, "$TESTDATA", testdata)
			}
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
				switch k {
				case "HOME":
					return tmp
				case "XDG_DATA_HOME":
					return filepath.Join(tmp, "data")
				}
				return ""
			}}
			code := run(context.Background(), args, e)
			var got bytes.Buffer
			got.WriteString("$ culprit " + strings.Join(tc.args, " ") + "\n")
			got.WriteString("exit " + itoa(code) + "\n")
			got.WriteString("--- stdout\n")
			got.Write(stdout.Bytes())
			got.WriteString("--- stderr\n")
			got.Write(stderr.Bytes())
			out := strings.ReplaceAll(got.String(), testdata, "$TESTDATA")
			out = strings.ReplaceAll(out, tmp, "$TMP")
			path := filepath.Join("testdata", "golden", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("output of culprit %s differs from %s (run with -update if the change is intended):\n%s",
					strings.Join(tc.args, " "), path, lineDiff(string(want), out))
			}
		})
	}
}

// goldenSetup builds the knowledge base of a setup once per test run and
// returns its path.
func goldenSetup(t *testing.T, setup, testdata string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "culprit-golden-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	db := filepath.Join(dir, "kb.db")
	switch setup {
	case "umbrella":
		c := &kbCLI{t: t, db: db}
		c.mustRun("", "import", filepath.Join(testdata, "umbrella", "knowledge.json"), filepath.Join(testdata, "umbrella", "threat-actor.json"))
	default:
		t.Fatalf("unknown golden setup %q", setup)
	}
	return db
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// lineDiff is a line diff of want and got.
func lineDiff(want, got string) string {
	return cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
}
