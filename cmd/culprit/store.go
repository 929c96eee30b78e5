package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/culprit-cti/culprit/sqlite"
)

// dbUsage is the help text of every --db flag.
const dbUsage = "knowledge base file (default $CULPRIT_DB, else $XDG_DATA_HOME/culprit/culprit.db)"

// dbPath resolves the knowledge base file: the --db flag, else $CULPRIT_DB,
// else $XDG_DATA_HOME/culprit/culprit.db, else
// ~/.local/share/culprit/culprit.db.
func dbPath(e *env, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := e.getenv("CULPRIT_DB"); p != "" {
		return p, nil
	}
	data := e.getenv("XDG_DATA_HOME")
	if data == "" {
		home := e.getenv("HOME")
		if home == "" {
			return "", errors.New("no knowledge base path: set --db, CULPRIT_DB, XDG_DATA_HOME or HOME")
		}
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "culprit", "culprit.db"), nil
}

// openStore opens the knowledge base. With create, a missing file (and its
// directory) is created; without, a missing file is an error that says how
// to fill the knowledge base.
func openStore(ctx context.Context, e *env, flagValue string, create bool) (*sqlite.Store, error) {
	path, err := dbPath(e, flagValue)
	if err != nil {
		return nil, err
	}
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create knowledge base directory: %w", err)
		}
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no knowledge base at %s: import data first (culprit import FILE) or give --db", path)
	}
	return sqlite.Open(ctx, path)
}
