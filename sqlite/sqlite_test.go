package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/kb/kbtest"
	"github.com/culprit-cti/culprit/sqlite"
)

// openTemp opens a store in a new file under t.TempDir.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "culprit.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	kbtest.Run(t, func(t *testing.T) kb.Store { return openTemp(t) })
}
