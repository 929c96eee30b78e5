package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/postgres"
	"github.com/culprit-cti/culprit/sqlite"
)

// dbUsage is the help text of every --db flag.
const dbUsage = "knowledge base: a file path, sqlite:PATH or a postgres:// URL (default $CULPRIT_DB, else $XDG_DATA_HOME/culprit/culprit.db)"

// dbPath resolves the knowledge base location: the --db flag, else
// $CULPRIT_DB, else $XDG_DATA_HOME/culprit/culprit.db, else
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
			return "", errs.E(errs.Invalid, "no knowledge base path: set --db, CULPRIT_DB, XDG_DATA_HOME or HOME")
		}
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "culprit", "culprit.db"), nil
}

// backend is a parsed knowledge base location.
type backend struct {
	kind string // "sqlite" or "postgres"
	path string // the SQLite file
	show string // how messages name it (a URL without its password)
}

// parseLocation picks the backend from a --db value: a path or
// sqlite:PATH is the embedded SQLite store; postgres:// and
// postgresql:// URLs name the PostgreSQL backend.
func parseLocation(loc string) backend {
	switch {
	case strings.HasPrefix(loc, "postgres://"), strings.HasPrefix(loc, "postgresql://"):
		show := "a PostgreSQL URL"
		if u, err := url.Parse(loc); err == nil {
			show = u.Redacted()
		}
		return backend{kind: "postgres", show: show}
	case strings.HasPrefix(loc, "sqlite:"):
		p := strings.TrimPrefix(loc, "sqlite:")
		p = strings.TrimPrefix(p, "//") // sqlite:///abs/path
		return backend{kind: "sqlite", path: p, show: p}
	}
	return backend{kind: "sqlite", path: loc, show: loc}
}

// storeExists returns an error wrapping fs.ErrNotExist when the knowledge
// base at loc is a SQLite file that does not exist. A database on a server
// is taken to exist: opening it reports an unreachable server.
func storeExists(loc string) error {
	b := parseLocation(loc)
	if b.kind != "sqlite" {
		return nil
	}
	_, err := os.Stat(b.path)
	return err
}

// openStore opens the knowledge base named by flagValue (see dbPath). With
// create, it is opened for writing, and a missing file (and its directory)
// is created; without, it is opened read-only (no migration, no lock: it
// works during another process's import and in a read-only directory), and
// a missing file is an error that says how to fill the knowledge base.
func openStore(ctx context.Context, e *env, flagValue string, create bool) (kb.Store, error) {
	loc, err := dbPath(e, flagValue)
	if err != nil {
		return nil, err
	}
	return openStoreAt(ctx, loc, create)
}

// openStoreAt is openStore for a location already resolved.
func openStoreAt(ctx context.Context, loc string, create bool) (kb.Store, error) {
	b := parseLocation(loc)
	if b.kind == "postgres" {
		// A server needs no file created and no read-only mode: readers
		// never block on an import (MVCC), and Open migrates under a lock.
		return postgres.Open(ctx, loc)
	}
	if b.path == "" {
		return nil, errs.E(errs.Invalid, "knowledge base %q: no file path", loc)
	}
	if !create {
		if _, err := os.Stat(b.path); errors.Is(err, fs.ErrNotExist) {
			return nil, errs.E(errs.NotFound, "no knowledge base at %s: import data first (culprit import FILE) or give --db", b.path)
		}
		return sqlite.OpenReadOnly(ctx, b.path)
	}
	if err := os.MkdirAll(filepath.Dir(b.path), 0o700); err != nil {
		return nil, fmt.Errorf("create knowledge base directory: %w", err)
	}
	return sqlite.Open(ctx, b.path)
}

// storeFiles returns the local files that hold the knowledge base named
// by flagValue, so that commands refuse to write their output onto them
// (see outfile). A database on a server has none.
func storeFiles(e *env, flagValue string) []string {
	loc, err := dbPath(e, flagValue)
	if err != nil {
		return nil
	}
	b := parseLocation(loc)
	if b.kind != "sqlite" || b.path == "" {
		return nil
	}
	return []string{b.path, b.path + "-wal", b.path + "-shm"}
}

// errCreatedMeanwhile is returned by the finish function of
// openStoreForImport when another process created the knowledge base
// while this one was building it: the import must be run against it.
var errCreatedMeanwhile = errors.New("another command created the knowledge base meanwhile")

// openStoreForImport opens the knowledge base named by flagValue for an
// import, so that a failed import creates nothing. An existing knowledge
// base (or a server) is opened as by openStore. A SQLite file that does not
// exist yet is built under a hidden temporary name beside it; finish(keep)
// closes the store and, with keep, links the file into place (without
// replacing a file created meanwhile by another process: then it returns
// errCreatedMeanwhile), or else removes it, and the directory when it made
// it. Always call finish.
func openStoreForImport(ctx context.Context, e *env, flagValue string) (kb.Store, func(keep bool) error, error) {
	loc, err := dbPath(e, flagValue)
	if err != nil {
		return nil, nil, err
	}
	b := parseLocation(loc)
	plain := func() (kb.Store, func(bool) error, error) {
		s, err := openStoreAt(ctx, loc, true)
		if err != nil {
			return nil, nil, err
		}
		return s, func(bool) error { return s.Close() }, nil
	}
	if b.kind != "sqlite" || b.path == "" {
		return plain()
	}
	if _, err := os.Stat(b.path); !errors.Is(err, fs.ErrNotExist) {
		return plain()
	}
	dir := filepath.Dir(b.path)
	madeDir := false
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create knowledge base directory: %w", err)
		}
		madeDir = true
	}
	// Created with the mode SQLite gives the files it creates (0644 less
	// the umask), so that the knowledge base is as readable as before.
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.new-%d-%d", filepath.Base(b.path), os.Getpid(), time.Now().UnixNano()))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if madeDir {
			os.Remove(dir)
		}
		return nil, nil, fmt.Errorf("create knowledge base %s: %w", b.path, err)
	}
	f.Close()
	discard := func() {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmp + suffix)
		}
		if madeDir {
			os.Remove(dir) // only when empty
		}
	}
	s, err := sqlite.Open(ctx, tmp)
	if err != nil {
		discard()
		return nil, nil, err
	}
	finish := func(keep bool) error {
		cerr := s.Close()
		defer discard()
		if !keep {
			return nil
		}
		if cerr != nil {
			return fmt.Errorf("close knowledge base %s: %w", b.path, cerr)
		}
		// The last close checkpoints the WAL into the file and removes
		// it; a WAL left over would hold committed data the link misses.
		if st, err := os.Stat(tmp + "-wal"); err == nil && st.Size() > 0 {
			return fmt.Errorf("create knowledge base %s: its write-ahead log was not checkpointed", b.path)
		}
		if err := os.Link(tmp, b.path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return errCreatedMeanwhile
			}
			return fmt.Errorf("create knowledge base %s: %w", b.path, err)
		}
		madeDir = false
		return nil
	}
	return s, finish, nil
}

// copySQLiteToPostgres copies the SQLite knowledge base at path into the
// empty PostgreSQL one at url (postgres.Store.CopySQLite), for culprit
// migrate: the one other place that needs both backends by name.
func copySQLiteToPostgres(ctx context.Context, path, url string) (postgres.CopyReport, error) {
	// OpenReadOnly checks the file and that its schema is this binary's,
	// whose tables CopySQLite reads.
	ro, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return postgres.CopyReport{}, err
	}
	ro.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return postgres.CopyReport{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	st, err := postgres.Open(ctx, url)
	if err != nil {
		return postgres.CopyReport{}, err
	}
	defer st.Close()
	return st.CopySQLite(ctx, db)
}
