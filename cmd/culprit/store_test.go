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
		// Port 1 of the loopback: no server, and no DNS or network needed.
		{"postgres unreachable", "postgres://culprit:secret@127.0.0.1:1/kb?connect_timeout=5", true, errs.Unavailable, "cannot reach the PostgreSQL server"},
		{"postgresql scheme", "postgresql://127.0.0.1:1/kb?connect_timeout=5", false, errs.Unavailable, "cannot reach"},
		{"postgres URL invalid", "postgres://culprit:secret@127.0.0.1:notaport/kb", false, errs.Invalid, "not a valid PostgreSQL URL"},
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
