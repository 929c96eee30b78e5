package assess

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/kb"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestMarkdownACH: a result that keeps its table (a case's) has the matrix
// of competing hypotheses in its Markdown report, with the analysts'
// overrides the table kept; one without a table has none.
func TestMarkdownACH(t *testing.T) {
	know, err := Starter(0)
	if err != nil {
		t.Fatal(err)
	}
	c, warns, err := casefile.ParseFile("../examples/sony-2014/case.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := know.Attribute(c, warns, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ovs := []kb.CaseOverride{{Item: "claim: attributed to Guardians of Peace", Hypothesis: plain.Hypotheses[0].ID, Rating: string(ach.Inconsistent),
		Analyst: "alice", At: time.Date(2014, 12, 20, 9, 0, 0, 0, time.UTC), Reason: "a self-claim of a persona, possibly a false flag"}}
	res, err := know.Attribute(c, warns, Options{Table: 3, Overrides: ach.Effective(ovs)})
	if err != nil {
		t.Fatal(err)
	}
	res.Table.Overrides = ovs
	var with, without bytes.Buffer
	if err := writeMarkdown(&with, res, 2); err != nil {
		t.Fatal(err)
	}
	if err := writeMarkdown(&without, plain, 2); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(without.Bytes(), []byte("Competing hypotheses")) {
		t.Error("a result without a table has a matrix")
	}
	path := filepath.Join("testdata", "sony-ach.md")
	if *update {
		if err := os.WriteFile(path, with.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(with.Bytes(), want) {
		t.Errorf("the Markdown report differs from %s:\n%s", path, with.Bytes())
	}
}
