package ssdeep

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestIndexFormat pins the persisted index format, version 1, byte for
// byte: a change to the framing (internal/frame) or the entries must be a
// deliberate version change, not an accident. The golden file is the hex
// dump of a three-entry index.
func TestIndexFormat(t *testing.T) {
	x := NewIndex()
	for i, in := range [][]byte{benchInput(5000), benchInput(40000)[7:], []byte(strings.Repeat("the attack actor malware sample ", 300))} {
		if err := x.Add(Sum(in), uint64(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n, err := x.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	got := hex.Dump(buf.Bytes())
	golden := filepath.Join("testdata", "index-v1.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("index bytes differ from %s:\n got:\n%s\nwant:\n%s", golden, got, want)
	}
	y, err := ReadIndex(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("ReadIndex(golden bytes): %v", err)
	}
	if y.Len() != 3 {
		t.Errorf("ReadIndex(golden bytes).Len() = %d, want 3", y.Len())
	}
}
