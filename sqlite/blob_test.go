package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

func TestBlob(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kb.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := s.Blob(ctx, "index"); ok || err != nil {
		t.Fatalf("Blob of an empty store = ok %v, %v; want none", ok, err)
	}
	for _, tt := range []struct{ tag, data string }{{"gen-1", "first"}, {"gen-2", "second, replacing the first"}} {
		if err := s.PutBlob(ctx, "index", tt.tag, []byte(tt.data)); err != nil {
			t.Fatal(err)
		}
		data, tag, ok, err := s.Blob(ctx, "index")
		if !ok || err != nil || tag != tt.tag || !bytes.Equal(data, []byte(tt.data)) {
			t.Errorf("Blob after PutBlob(%q, %q) = %q, %q, %v, %v", tt.tag, tt.data, data, tag, ok, err)
		}
	}
	s.Close()
	// The blob outlives the process: a reopened store reads it back.
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if data, tag, ok, err := s.Blob(ctx, "index"); !ok || err != nil || tag != "gen-2" || string(data) != "second, replacing the first" {
		t.Errorf("Blob after reopening = %q, %q, %v, %v", data, tag, ok, err)
	}
}
