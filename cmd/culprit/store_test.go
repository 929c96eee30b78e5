package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

func TestOpenStoreBackends(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "k.db")
	for _, tc := range []struct {
		name   string
		loc    string
		create bool
		kind   errs.Kind // of the error; Internal for none
		msg    string
	}{
		{"missing file read-only", path, false, errs.NotFound, "import data first"},
		{"postgres not built", "postgres://culprit:secret@db.example.org/kb", true, errs.Unavailable, "PostgreSQL backend is not built yet"},
		{"postgresql scheme", "postgresql://db.example.org/kb", false, errs.Unavailable, "not built yet"},
		{"sqlite scheme without a path", "sqlite:", true, errs.Invalid, "no file path"},
		{"path", path, true, errs.Internal, ""},
		{"sqlite scheme", "sqlite:" + path, false, errs.Internal, ""},
		{"sqlite URL form", "sqlite://" + path, false, errs.Internal, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := openStoreAt(ctx, tc.loc, tc.create)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("openStoreAt(%q, %v): %v", tc.loc, tc.create, err)
				}
				defer s.Close()
				if _, err := s.Stats(ctx); err != nil {
					t.Errorf("Stats: %v", err)
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("openStoreAt(%q, %v) succeeded, want an error", tc.loc, tc.create)
			}
			if errs.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("openStoreAt(%q, %v) = %v (%v), want %v with %q", tc.loc, tc.create, err, errs.KindOf(err), tc.kind, tc.msg)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
	// Read-only stores refuse writes with a kind the CLI and server map.
	s, err := openStoreAt(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Import(ctx, kb.Source{Name: "x"}, kb.SliceStream(nil), kb.ImportOptions{}); !errors.Is(err, errs.Of(errs.Forbidden)) {
		t.Errorf("Import on a store opened read-only = %v, want Forbidden", err)
	}
}
