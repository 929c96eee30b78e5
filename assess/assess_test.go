package assess

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

func starterStore(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceBuiltin, Name: "starter"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return st
}

func sony(t *testing.T, k *Knowledge) string {
	t.Helper()
	res, err := k.AttributeFile("../examples/sony-2014/case.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The compiled knowledge is stored on the first load, read on the next,
// rebuilt when the store changes or the stored form is damaged, and
// attributes exactly as the built one.
func TestLoadCompiled(t *testing.T) {
	ctx := context.Background()
	st := starterStore(t)
	built, err := Load(ctx, st, "kb", 0)
	if err != nil {
		t.Fatal(err)
	}
	data, tag, ok, err := st.Blob(ctx, CompiledKey)
	if err != nil || !ok || len(data) == 0 || !strings.Contains(tag, "fold 70") {
		t.Fatalf("after Load: compiled blob %d bytes, tag %q, ok %v, %v", len(data), tag, ok, err)
	}
	want := sony(t, built)
	read, err := Load(ctx, st, "kb", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := sony(t, read); got != want {
		t.Errorf("the compiled knowledge attributes differently:\n got %s\nwant %s", got, want)
	}

	// A damaged blob under the current tag is rebuilt, not trusted.
	if err := st.PutBlob(ctx, CompiledKey, tag, []byte("culprit-knowledge\ngarbage")); err != nil {
		t.Fatal(err)
	}
	again, err := Load(ctx, st, "kb", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := sony(t, again); got != want {
		t.Error("after a damaged compiled blob, Load attributes differently")
	}
	if data, _, _, _ := st.Blob(ctx, CompiledKey); bytes.Contains(data, []byte("garbage")) {
		t.Error("Load left the damaged compiled blob in place")
	}

	// Another fold threshold, or an import, is another state.
	if _, err := Load(ctx, st, "kb", 90); err != nil {
		t.Fatal(err)
	}
	if _, tag90, _, _ := st.Blob(ctx, CompiledKey); tag90 == tag {
		t.Error("the compiled knowledge of fold 90 has the tag of fold 70")
	}
	time.Sleep(time.Millisecond)
	objs, _ := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter")
	if _, err := st.Import(ctx, kb.Source{Name: "again"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, tag2, _, _ := st.Blob(ctx, CompiledKey); tag2 == tag || !strings.Contains(tag2, "fold 70") {
		t.Errorf("after an import and Refresh, tag %q (was %q): want a new state at the default fold", tag2, tag)
	}
}

func TestNewRenderer(t *testing.T) {
	var b bytes.Buffer
	for _, f := range Formats {
		if _, err := NewRenderer(f, &b, 5, time.Now()); err != nil {
			t.Errorf("NewRenderer(%q) = %v", f, err)
		}
	}
	if _, err := NewRenderer("yaml", &b, 5, time.Now()); errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("NewRenderer(yaml) = %v, want invalid naming the format", err)
	}
	if _, err := NewRenderer("text", &b, 0, time.Now()); errs.KindOf(err) != errs.Invalid {
		t.Errorf("NewRenderer(top 0) = %v, want invalid", err)
	}
}

func TestItemText(t *testing.T) {
	for _, tc := range []struct{ item, matched, want string }{
		{"S0364", "S0364 RawDisk", "S0364 RawDisk"},
		{"attributed to Lazarus Group", "Lazarus Group", "attributed to Lazarus Group"},
		{"attributed to Unit 121", "Lazarus Group", "attributed to Unit 121 = Lazarus Group"},
		{"T1485", "", "T1485"},
		{"data obfuscation", "T1001 Data Obfuscation", "data obfuscation = T1001 Data Obfuscation"},
	} {
		if got := itemText(attrib.Evidence{Item: tc.item, Matched: tc.matched}); got != tc.want {
			t.Errorf("itemText(%q, %q) = %q, want %q", tc.item, tc.matched, got, tc.want)
		}
	}
}

// A parser's warnings come first among the result's.
func TestAttributeKeepsParserWarnings(t *testing.T) {
	k, err := Starter(0)
	if err != nil {
		t.Fatal(err)
	}
	c := &casefile.Case{Name: "w", Techniques: []casefile.Item{{Ref: "T1485"}}}
	res, err := k.Attribute(c, []casefile.Warning{{Line: 3, Field: "techniques[1]", Message: "unknown key"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "unknown key") {
		t.Errorf("warnings %q, want the parser's first", res.Warnings)
	}
}
