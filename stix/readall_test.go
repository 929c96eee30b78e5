package stix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadAll(t *testing.T) {
	bundle := `{"type":"bundle","id":"bundle--6f1f1ffb-1b1e-4f7c-9a5a-1c3c6a4c2a11","objects":[` +
		`{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--0c9c6f3a-2a43-4b55-9d48-3a0f4b6f6a11","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"A"},` +
		`{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--1c9c6f3a-2a43-4b55-9d48-3a0f4b6f6a11","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"B"}]}`
	objs, err := ReadAll(strings.NewReader(bundle), "b.json")
	if err != nil || len(objs) != 2 || objs[0].Name != "A" || objs[1].Name != "B" {
		t.Fatalf("ReadAll = %d objects, %v; want A and B", len(objs), err)
	}
	p := filepath.Join(t.TempDir(), "b.json")
	if err := os.WriteFile(p, []byte(bundle), 0o600); err != nil {
		t.Fatal(err)
	}
	if objs, err := ReadFile(p); err != nil || len(objs) != 2 {
		t.Errorf("ReadFile = %d objects, %v; want 2", len(objs), err)
	}
	broken := strings.Replace(bundle, `"name":"B"`, `"name":"B",`, 1)
	if _, err := ReadAll(strings.NewReader(broken), "broken.json"); err == nil || !strings.Contains(err.Error(), "broken.json") {
		t.Errorf("ReadAll of invalid JSON: err = %v, want an error naming the input", err)
	}
}
