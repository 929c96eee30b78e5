// Package sqlite is the embedded kb.Store: one SQLite file, through the
// pure-Go driver modernc.org/sqlite, in WAL mode with foreign keys and a busy
// timeout. The schema migrations are embedded in the binary and applied in
// order, each in its own transaction, recording the schema version in the
// schema_version table.
//
// The import rules live in package kb (kb.Plan and kb.Link); this package
// stores their outcome in one transaction per import. The name index is
// also cached in memory, so that lookups take microseconds; the cache is
// refreshed after every import through the Store, but not after imports by
// other processes into the same file (reopen the store to see those).
//
// Open is for writers: it creates and migrates the file, and waits up to
// WriterBusyTimeout for another writer. OpenReadOnly is for commands that
// only read: mode=ro, no migration and no lock, so it reads (the last
// committed state) while another process imports, and in a read-only
// directory.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/internal/objstream"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a kb.Store in one SQLite file. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	// readOnly is set by OpenReadOnly: Import and PutBlob fail.
	readOnly bool
	// Now is the clock used for import times; time.Now by default.
	Now func() time.Time

	mu      sync.Mutex                // serialises imports
	loading sync.Mutex                // serialises loads of the name index
	names   atomic.Pointer[nameIndex] // nil until first lookup, reset by imports
	gen     atomic.Uint64             // incremented by every reset of names

	dvMu    sync.Mutex
	dvConn  *sql.Conn // kept for DataVersion, never used for writes
	dvStmt  *sql.Stmt // its PRAGMA data_version, prepared once: it runs on every request of a server
	dvConns int64     // connections taken for DataVersion so far
}

var _ kb.Store = (*Store)(nil)

// WriterBusyTimeout is how long a writer waits for another one (an import
// in another process) to commit before it gives up with an errs.Unavailable
// error. Imports of the largest public bundles take well under a minute.
const WriterBusyTimeout = 2 * time.Minute

// readerBusyTimeout bounds the rare waits of a reader: in WAL mode readers
// never wait for writers, only for a concurrent recovery of the WAL index.
const readerBusyTimeout = 10 * time.Second

// Open opens (creating it if needed) the store in the SQLite file at path
// and brings its schema up to date. The directory must exist. A schema that
// is current is only read, so that opening takes no write lock; a writer
// that finds the file locked by another waits up to WriterBusyTimeout.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if err := initFile(ctx, path); err != nil {
		return nil, wrapOpen(path, err)
	}
	dsn := "file:" + path + "?_txlock=immediate" +
		fmt.Sprintf("&_pragma=busy_timeout(%d)", WriterBusyTimeout.Milliseconds()) +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=temp_store(2)" +
		"&_pragma=cache_size(-32768)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, wrapOpen(path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	s := &Store{db: db, path: path, Now: time.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, wrapOpen(path, err)
	}
	return s, nil
}

// OpenReadOnly opens the store in the existing SQLite file at path for
// reading only: the connection is opened with mode=ro, applies no
// migration and takes no write lock, so it works while another process
// imports (readers see the last committed state, as WAL snapshots) and on
// a file the user may not write. Import and PutBlob fail with an
// errs.Forbidden error.
//
// A WAL database needs its -shm index: SQLite (3.22 and later) opens a
// read-only WAL database when the -wal and -shm files exist or can be
// created. When neither is possible (a read-only directory after the last
// writer removed them) the file is opened as immutable, which is then safe
// because nobody can be writing it.
//
// A file whose schema is older than this binary's is refused with an
// errs.Unavailable error that says to run a writing command first.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, wrapOpen(path, err)
	}
	params := "?mode=ro" +
		fmt.Sprintf("&_pragma=busy_timeout(%d)", readerBusyTimeout.Milliseconds()) +
		"&_pragma=query_only(1)" +
		"&_pragma=temp_store(2)" +
		"&_pragma=cache_size(-32768)"
	s, v, err := openRO(ctx, path, params)
	if err != nil && cannotOpenWAL(err) {
		s, v, err = openRO(ctx, path, params+"&immutable=1")
	}
	if err != nil {
		return nil, wrapOpen(path, err)
	}
	if want := latestVersion(); v < want {
		s.Close()
		return nil, errs.E(errs.Unavailable, "knowledge base %s has schema version %d, this culprit needs %d: run a writing command first (culprit import ...)", path, v, want)
	}
	return s, nil
}

// openRO opens path with the read-only parameters and reads the schema
// version, which is the first read and so where SQLite reports that it
// cannot open the WAL index.
func openRO(ctx context.Context, path, params string) (*Store, int, error) {
	db, err := sql.Open("sqlite", "file:"+path+params)
	if err != nil {
		return nil, 0, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	s := &Store{db: db, path: path, readOnly: true, Now: time.Now}
	v, err := s.schemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return s, v, nil
}

// cannotOpenWAL reports whether err is SQLite's way of saying that the WAL
// index of a read-only database can neither be opened nor created.
func cannotOpenWAL(err error) bool {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
		return true
	}
	return false
}

// sqliteCode returns the extended result code of a SQLite error in err's
// chain, or 0.
func sqliteCode(err error) int {
	var se interface{ Code() int }
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isBusy reports whether err says the database stayed locked by another
// connection for the whole busy timeout.
func isBusy(err error) bool {
	c := sqliteCode(err) & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// wrapOpen names the file in an error of Open and gives it a kind a user
// can act on.
func wrapOpen(path string, err error) error {
	if isBusy(err) {
		return errs.Wrap(errs.Unavailable, err, "open knowledge base %s: locked by another writer for %v (an import in progress?); try again when it has finished", path, WriterBusyTimeout)
	}
	var ee *errs.Error
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return errs.Wrap(errs.NotFound, err, "open knowledge base %s", path)
	}
	return fmt.Errorf("open knowledge base %s: %w", path, err)
}

func checkPath(path string) error {
	if path == "" {
		return errs.E(errs.Invalid, "open store: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return errs.E(errs.Invalid, "open store %s: path must not contain '?' or '#'", path)
	}
	return nil
}

// errReadOnly is the error of a write to a store opened read-only.
func (s *Store) errReadOnly(what string) error {
	return errs.E(errs.Forbidden, "%s: knowledge base %s is open read-only", what, s.path)
}

// pageSize is the page size of new databases: objects are kilobytes of
// JSON, and larger pages mean fewer overflow pages and a quarter of the
// writes of the default 4 KiB.
const pageSize = 16384

// initFile gives a new (absent or empty) database file its page size,
// which must be set before anything else: the driver applies journal_mode
// first, and a WAL database cannot change its page size. Two processes
// may create the same file at once: the busy timeout makes the second
// wait for the first instead of failing with SQLITE_BUSY.
func initFile(ctx context.Context, path string) error {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path+fmt.Sprintf("?_pragma=busy_timeout(%d)", WriterBusyTimeout.Milliseconds()))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	return db.Close()
}

// Close closes the database.
func (s *Store) Close() error {
	s.dvMu.Lock()
	s.dropDataVersionConn()
	s.dvMu.Unlock()
	return s.db.Close()
}

// dropDataVersionConn gives back DataVersion's connection (dvMu held).
func (s *Store) dropDataVersionConn() {
	if s.dvStmt != nil {
		s.dvStmt.Close()
		s.dvStmt = nil
	}
	if s.dvConn != nil {
		s.dvConn.Close()
		s.dvConn = nil
	}
}

// DataVersion returns a number that differs from the one of the previous
// call when anything (an import, a case, a blob) was committed to the file
// since, by this process or another. It is SQLite's PRAGMA data_version
// of a connection kept for it and never used to write (SQLite counts the
// commits of every other connection), and costs no table read: a server
// polls it and reads the store's Stats, which count whole tables, only
// when it changed. The kept connection is one of the pool's.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	s.dvMu.Lock()
	defer s.dvMu.Unlock()
	if s.dvConn == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("data version: %w", err)
		}
		st, err := c.PrepareContext(ctx, `PRAGMA data_version`)
		if err != nil {
			c.Close()
			return 0, fmt.Errorf("data version: %w", err)
		}
		s.dvConn, s.dvStmt = c, st
		s.dvConns++
	}
	var v int64
	if err := s.dvStmt.QueryRowContext(ctx).Scan(&v); err != nil {
		// A broken connection is not kept: the next call takes another.
		s.dropDataVersionConn()
		return 0, fmt.Errorf("data version: %w", err)
	}
	// A new connection counts afresh: the number of connections taken
	// keeps its values apart from the previous one's.
	return s.dvConns<<40 | v&(1<<40-1), nil
}

// SchemaVersion returns the number of migrations applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := s.schemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// schemaVersion reads the highest applied migration; a file without the
// schema_version table (empty, or not made by culprit) is at version 0.
func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, err
	}
	return v, nil
}

// migrationNames returns the embedded migrations in order.
func migrationNames() []string {
	names, _ := fs.Glob(migrations, "migrations/*.sql") // the pattern is valid
	sort.Strings(names)
	return names
}

// latestVersion is the version of the last embedded migration: the schema
// version of a file this binary has brought up to date.
func latestVersion() int {
	latest := 0
	for _, name := range migrationNames() {
		num, _, _ := strings.Cut(strings.TrimPrefix(name, "migrations/"), "_")
		if v, err := strconv.Atoi(num); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// migrate applies, in order, every embedded migration not yet applied. A
// migration's version is the number its file name starts with. When the
// schema is current nothing is written, so a writer that only reads (or
// waits for its turn to write) takes no lock here.
func (s *Store) migrate(ctx context.Context) error {
	names := migrationNames()
	if v, err := s.schemaVersion(ctx); err == nil && v >= latestVersion() {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", base)
		}
		if err := s.migrateOne(ctx, v, name); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func (s *Store) migrateOne(ctx context.Context, version int, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if fill := backfill[version]; fill != nil {
		if err := fill(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, version, formatTime(time.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// backfill holds the Go step of a migration that SQL cannot express, run
// after its SQL in its transaction.
var backfill = map[int]func(context.Context, *sql.Tx) error{
	5: indexObservables,
}

// indexObservables fills the observables table (migration 5) from the
// objects stored before it.
func indexObservables(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT raw FROM objects WHERE type = 'indicator' OR raw LIKE '%"value"%' OR raw LIKE '%"hashes"%'`)
	if err != nil {
		return fmt.Errorf("index observables: %w", err)
	}
	var ids, vals []string
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return fmt.Errorf("index observables: %w", err)
		}
		o, err := stix.ParseObject(raw)
		if err != nil {
			rows.Close()
			return fmt.Errorf("index observables: stored object: %w", err)
		}
		for _, v := range kb.Observables(o) {
			ids, vals = append(ids, o.ID), append(vals, v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index observables: %w", err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO observables (value, object_id) VALUES (?, ?)`)
	if err != nil {
		return fmt.Errorf("index observables: %w", err)
	}
	defer st.Close()
	for i := range ids {
		if _, err := st.ExecContext(ctx, vals[i], ids[i]); err != nil {
			return fmt.Errorf("index observables of %s: %w", ids[i], err)
		}
	}
	return nil
}

// formatTime gives the stored form of a time: RFC 3339 in UTC with
// nanoseconds, "" for the zero time. Stored times compare as strings.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Object implements kb.Store.
func (s *Store) Object(ctx context.Context, id string) (*stix.Object, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT raw FROM objects WHERE id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("object %s: %w", id, kb.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", id, err)
	}
	o, err := stix.ParseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("stored object %s: %w", id, err)
	}
	return o, nil
}

// Objects implements kb.Store.
func (s *Store) Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error {
	var where []string
	var args []any
	if len(q.Types) > 0 {
		where = append(where, "type IN ("+placeholders(len(q.Types))+")")
		for _, t := range q.Types {
			args = append(args, t)
		}
	}
	if !q.IncludeInactive {
		where = append(where, "inactive = 0")
	}
	query := `SELECT id, raw FROM objects`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY type, id"
	return s.each(ctx, query, args, true, fn)
}

// Relationships implements kb.Store.
func (s *Store) Relationships(ctx context.Context, q kb.RelationshipQuery, fn func(*stix.Object) error) error {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		where = append(where, "r."+col+" IN ("+placeholders(len(vals))+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in("type", q.Types)
	in("source_ref", q.SourceRefs)
	in("target_ref", q.TargetRefs)
	if !q.IncludeInactive {
		where = append(where, "r.inactive = 0")
	}
	query := `SELECT o.id, o.raw FROM relationships r JOIN objects o ON o.id = r.id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY r.id"
	if q.Brief {
		return s.eachBrief(ctx, query, args, fn)
	}
	return s.each(ctx, query, args, len(q.SourceRefs) == 0 && len(q.TargetRefs) == 0, fn)
}

// each runs query, whose rows are (id, raw), and calls fn with each parsed
// object, in order; with parallel (reads of a whole table or type, such as
// the attribution knowledge's build), the objects are parsed on every core
// while fn runs (objstream.Each).
func (s *Store) each(ctx context.Context, query string, args []any, parallel bool, fn func(*stix.Object) error) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query objects: %w", err)
	}
	defer rows.Close()
	return objstream.Each(objstream.FromRows(rows), fn, parallel)
}

// eachBrief is each, serial, with the objects decoded briefly
// (objstream.EachBrief), for the reads of a card.
func (s *Store) eachBrief(ctx context.Context, query string, args []any, fn func(*stix.Object) error) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query objects: %w", err)
	}
	defer rows.Close()
	return objstream.EachBrief(objstream.FromRows(rows), fn)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// SameAs implements kb.Store.
func (s *Store) SameAs(ctx context.Context) ([]kb.SameAs, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a, b, confidence, reason, source FROM same_as ORDER BY a, b`)
	if err != nil {
		return nil, fmt.Errorf("same-as links: %w", err)
	}
	defer rows.Close()
	var out []kb.SameAs
	for rows.Next() {
		var l kb.SameAs
		if err := rows.Scan(&l.A, &l.B, &l.Confidence, &l.Reason, &l.Source); err != nil {
			return nil, fmt.Errorf("same-as links: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("same-as links: %w", err)
	}
	return out, nil
}

// Provenance implements kb.Store.
func (s *Store) Provenance(ctx context.Context, id string) ([]kb.Provenance, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT s.kind, s.name, s.path, s.url, s.sha256, s.last_imported, p.modified, p.first_seen, p.last_seen
		FROM provenance p JOIN sources s ON s.id = p.source_id
		WHERE p.object_id = ? ORDER BY p.first_seen, s.id`, id)
	if err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", id, err)
	}
	defer rows.Close()
	var out []kb.Provenance
	for rows.Next() {
		var p kb.Provenance
		var kind, imported, modified, first, last string
		if err := rows.Scan(&kind, &p.Source.Name, &p.Source.Path, &p.Source.URL, &p.Source.SHA256, &imported, &modified, &first, &last); err != nil {
			return nil, fmt.Errorf("provenance of %s: %w", id, err)
		}
		p.Source.Kind = kb.SourceKind(kind)
		for _, f := range []struct {
			s string
			t *time.Time
		}{{imported, &p.Source.ImportedAt}, {modified, &p.Modified}, {first, &p.FirstSeen}, {last, &p.LastSeen}} {
			if *f.t, err = parseTime(f.s); err != nil {
				return nil, fmt.Errorf("provenance of %s: %w", id, err)
			}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", id, err)
	}
	if len(out) == 0 {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM objects WHERE id = ?`, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("provenance of %s: %w", id, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("provenance of %s: %w", id, kb.ErrNotFound)
		}
	}
	return out, nil
}

// Versions implements kb.Store.
func (s *Store) Versions(ctx context.Context, id string) ([]kb.Version, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT modified, raw, replaced_at FROM object_versions WHERE id = ? ORDER BY modified`, id)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", id, err)
	}
	defer rows.Close()
	var out []kb.Version
	for rows.Next() {
		v := kb.Version{ID: id}
		var modified, replaced string
		if err := rows.Scan(&modified, &v.Raw, &replaced); err != nil {
			return nil, fmt.Errorf("versions of %s: %w", id, err)
		}
		if v.Modified, err = parseTime(modified); err != nil {
			return nil, err
		}
		if v.ReplacedAt, err = parseTime(replaced); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("versions of %s: %w", id, err)
	}
	return out, nil
}

// Stats implements kb.Store.
func (s *Store) Stats(ctx context.Context) (kb.Stats, error) {
	st := kb.Stats{ByType: make(map[string]int)}
	rows, err := s.db.QueryContext(ctx, `SELECT type, COUNT(*), SUM(inactive) FROM objects GROUP BY type ORDER BY type`)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ string
		var n, inactive int
		if err := rows.Scan(&typ, &n, &inactive); err != nil {
			return st, fmt.Errorf("stats: %w", err)
		}
		st.ByType[typ] = n
		st.Objects += n
		st.Inactive += inactive
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	for _, c := range []struct {
		q string
		n *int
	}{
		{`SELECT COUNT(*) FROM names`, &st.Names},
		{`SELECT COUNT(*) FROM same_as`, &st.SameAs},
		{`SELECT COUNT(*) FROM sources`, &st.Sources},
		{`SELECT COUNT(*) FROM object_versions`, &st.Versions},
	} {
		if err := s.db.QueryRowContext(ctx, c.q).Scan(c.n); err != nil {
			return st, fmt.Errorf("stats: %w", err)
		}
	}
	var last string
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(last_imported), '') FROM sources`).Scan(&last); err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	if last != "" {
		t, err := parseTime(last)
		if err != nil {
			return st, fmt.Errorf("stats: last import: %w", err)
		}
		st.LastImport = t
	}
	return st, nil
}

// ObjectsByID implements kb.ObjectsByID: the objects of ids that exist,
// read a few hundred to a query, decoded briefly.
func (s *Store) ObjectsByID(ctx context.Context, ids []string) (map[string]*stix.Object, error) {
	out := make(map[string]*stix.Object, len(ids))
	const chunk = 500 // well under SQLite's limit of bound parameters
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		err := s.eachBrief(ctx, `SELECT id, raw FROM objects WHERE id IN (`+placeholders(n)+`)`, args, func(o *stix.Object) error {
			out[o.ID] = o
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
