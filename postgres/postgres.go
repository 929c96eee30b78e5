// Package postgres is the kb.Store on a PostgreSQL server, for teams that
// outgrow one SQLite file: several culprit processes share one database.
// It talks to the server through github.com/jackc/pgx/v5 (a connection
// pool, with statements prepared and cached per connection).
//
// The schema migrations are embedded in the binary and applied in order,
// each in its own transaction under a transaction-scoped advisory lock, so
// that processes opening the same database at once apply each exactly once.
// They act on the first schema of the search_path, so one server can hold
// several knowledge bases (...?search_path=team_a in the URL).
//
// The import rules live in package kb (kb.Import); this package supplies
// one transaction per import. Imports are serialised across processes by
// pg_advisory_xact_lock; readers take no lock and see, through MVCC, the
// store either before or after an import. Every read that must be
// consistent is one statement (one snapshot under READ COMMITTED).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/internal/objstream"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a kb.Store in a PostgreSQL database. It is safe for concurrent
// use, also by several processes on one database.
type Store struct {
	pool *pgxpool.Pool
	show string // the URL without its password, for messages
	// Now is the clock used for import times; time.Now by default.
	Now func() time.Time
}

var _ kb.Store = (*Store)(nil)

// Advisory lock names: the key is hashtext(name || current_schema()), so
// that knowledge bases in different schemas of one server do not wait for
// each other.
const (
	lockMigrate = "culprit:migrate:"
	lockImport  = "culprit:import:"
)

// Open connects to the PostgreSQL database named by rawURL (postgres://
// or postgresql://, with the parameters libpq and pgx accept) and brings
// its schema up to date.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	show := Redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		// pgx's parse errors may quote the URL, password included.
		return nil, errs.E(errs.Invalid, "knowledge base %s: not a valid PostgreSQL URL", show)
	}
	if cfg.MaxConns < 4 {
		cfg.MaxConns = 4
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapOpen(show, err)
	}
	s := &Store{pool: pool, show: show, Now: time.Now}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, wrapOpen(show, err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, wrapOpen(show, err)
	}
	return s, nil
}

// Redact returns rawURL without its password, for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "a PostgreSQL URL"
	}
	return u.Redacted()
}

// wrapOpen names the database in an error of Open and gives a server that
// cannot be reached the kind a user can act on.
func wrapOpen(show string, err error) error {
	var ee *errs.Error
	if errors.As(err, &ee) {
		return err
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		// No answer from a server: not running, wrong host or port.
		return errs.Wrap(errs.Unavailable, err, "open knowledge base %s: cannot reach the PostgreSQL server", show)
	}
	return fmt.Errorf("open knowledge base %s: %w", show, err)
}

// Close closes every connection of the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// migrationNames returns the embedded migrations in order.
func migrationNames() []string {
	names, _ := fs.Glob(migrations, "migrations/*.sql") // the pattern is valid
	sort.Strings(names)
	return names
}

// SchemaVersion returns the number of the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// migrate applies, in order, every embedded migration not yet applied,
// each in its own transaction that first takes the migration lock: a
// second process opening the database meanwhile waits, then finds the
// migration recorded and skips it.
func (s *Store) migrate(ctx context.Context) error {
	for _, name := range migrationNames() {
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
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, lockMigrate); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at text NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_version WHERE version = $1)`, version).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)`, version, formatTime(time.Now()))
		return err
	})
}

// formatTime gives the stored form of a time, the SQLite store's: RFC 3339
// in UTC with nanoseconds, "" for the zero time. Stored times compare as
// strings (the columns use the C collation order of ASCII digits).
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

// Object implements kb.Store.
func (s *Store) Object(ctx context.Context, id string) (*stix.Object, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT raw FROM objects WHERE id = $1`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
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

// Objects implements kb.Store. Every text column has the C collation, so
// ORDER BY compares bytes, as Go compares strings, whatever the database's
// default collation.
func (s *Store) Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error {
	// Only the filters given are in the text (see Relationships).
	var where []string
	var args []any
	if len(q.Types) > 0 {
		args = append(args, q.Types)
		where = append(where, "type = ANY($1)")
	}
	if !q.IncludeInactive {
		where = append(where, "NOT inactive")
	}
	query := `SELECT id, raw FROM objects`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY type, id"
	return s.each(ctx, query, args, true, fn)
}

// Relationships implements kb.Store. Only the filters given are in the
// query's text: a generic plan of "cardinality($n) = 0 OR col = ANY($n)"
// cannot use the (source_ref, type) and (target_ref, type) indexes, and
// pgx's statement cache lets the server switch to generic plans.
func (s *Store) Relationships(ctx context.Context, q kb.RelationshipQuery, fn func(*stix.Object) error) error {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		if len(vals) > 0 {
			args = append(args, vals)
			where = append(where, fmt.Sprintf("r.%s = ANY($%d)", col, len(args)))
		}
	}
	in("type", q.Types)
	in("source_ref", q.SourceRefs)
	in("target_ref", q.TargetRefs)
	if !q.IncludeInactive {
		where = append(where, "NOT r.inactive")
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

// nonNil gives an empty array for a nil slice, which pgx would send as
// NULL (and cardinality(NULL) is NULL, not 0).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// each runs query, whose rows are (id, raw), and calls fn with each parsed
// object, in order. The rows are streamed: fn runs while the query is open,
// which is why it must not write. With parallel (reads of a whole table or
// type, such as the attribution knowledge's build), the objects are parsed
// on every core while fn runs (objstream.Each).
func (s *Store) each(ctx context.Context, query string, args []any, parallel bool, fn func(*stix.Object) error) error {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query objects: %w", err)
	}
	defer rows.Close()
	return objstream.Each(objstream.FromRows(rows), fn, parallel)
}

// eachBrief is each, serial, with the objects decoded briefly
// (objstream.EachBrief), for the reads of a card.
func (s *Store) eachBrief(ctx context.Context, query string, args []any, fn func(*stix.Object) error) error {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query objects: %w", err)
	}
	defer rows.Close()
	return objstream.EachBrief(objstream.FromRows(rows), fn)
}

// LookupName implements kb.Store: one indexed query on names.norm.
func (s *Store) LookupName(ctx context.Context, name string) ([]kb.NameMatch, error) {
	if kb.LooksLikeID(name) {
		o, err := s.Object(ctx, name)
		if errors.Is(err, kb.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []kb.NameMatch{{ID: o.ID, Type: o.Type, Name: o.Name, Matched: o.ID, Kind: kb.KindID, Inactive: o.Revoked || o.Deprecated}}, nil
	}
	norm := kb.Normalize(name)
	if norm == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT n.name, n.kind, o.id, o.type, o.name, o.inactive
		FROM names n JOIN objects o ON o.id = n.object_id WHERE n.norm = $1`, norm)
	if err != nil {
		return nil, fmt.Errorf("look up %q: %w", name, err)
	}
	defer rows.Close()
	var out []kb.NameMatch
	for rows.Next() {
		var m kb.NameMatch
		var kind string
		if err := rows.Scan(&m.Matched, &kind, &m.ID, &m.Type, &m.Name, &m.Inactive); err != nil {
			return nil, fmt.Errorf("look up %q: %w", name, err)
		}
		m.Kind = kb.NameKind(kind)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up %q: %w", name, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return kb.SortMatches(out), nil
}

// SameAs implements kb.Store.
func (s *Store) SameAs(ctx context.Context) ([]kb.SameAs, error) {
	rows, err := s.pool.Query(ctx, `SELECT a, b, confidence, reason, source FROM same_as ORDER BY a, b`)
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

// Provenance implements kb.Store. The rows and whether the object exists
// come from one statement, so one snapshot.
func (s *Store) Provenance(ctx context.Context, id string) ([]kb.Provenance, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.kind, s.name, s.path, s.url, s.sha256, s.last_imported, p.modified, p.first_seen, p.last_seen, s.id
		FROM provenance p JOIN sources s ON s.id = p.source_id
		WHERE p.object_id = $1
		UNION ALL
		SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
		WHERE EXISTS (SELECT 1 FROM objects WHERE id = $1)
		ORDER BY 8 NULLS LAST, 10`, id)
	if err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", id, err)
	}
	defer rows.Close()
	var out []kb.Provenance
	exists := false
	for rows.Next() {
		var kind, name, path, u, sha, imported, modified, first, last *string
		var sourceID *int64
		if err := rows.Scan(&kind, &name, &path, &u, &sha, &imported, &modified, &first, &last, &sourceID); err != nil {
			return nil, fmt.Errorf("provenance of %s: %w", id, err)
		}
		if kind == nil {
			exists = true
			continue
		}
		p := kb.Provenance{Source: kb.Source{Kind: kb.SourceKind(*kind), Name: *name, Path: *path, URL: *u, SHA256: *sha}}
		for _, f := range []struct {
			s string
			t *time.Time
		}{{*imported, &p.Source.ImportedAt}, {*modified, &p.Modified}, {*first, &p.FirstSeen}, {*last, &p.LastSeen}} {
			if *f.t, err = parseTime(f.s); err != nil {
				return nil, fmt.Errorf("provenance of %s: %w", id, err)
			}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", id, err)
	}
	if len(out) == 0 && !exists {
		return nil, fmt.Errorf("provenance of %s: %w", id, kb.ErrNotFound)
	}
	return out, nil
}

// Versions implements kb.Store.
func (s *Store) Versions(ctx context.Context, id string) ([]kb.Version, error) {
	rows, err := s.pool.Query(ctx, `SELECT modified, raw, replaced_at FROM object_versions WHERE id = $1 ORDER BY modified`, id)
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

// Stats implements kb.Store: one statement, so the counts describe one
// state of the store even while an import commits.
func (s *Store) Stats(ctx context.Context) (kb.Stats, error) {
	st := kb.Stats{ByType: make(map[string]int)}
	var byType map[string]int
	var last string
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM objects),
		(SELECT COUNT(*) FROM objects WHERE inactive),
		(SELECT COALESCE(jsonb_object_agg(type, n), '{}') FROM (SELECT type, COUNT(*) AS n FROM objects GROUP BY type) t),
		(SELECT COUNT(*) FROM names),
		(SELECT COUNT(*) FROM same_as),
		(SELECT COUNT(*) FROM sources),
		(SELECT COUNT(*) FROM object_versions),
		(SELECT COALESCE(MAX(last_imported), '') FROM sources)`).
		Scan(&st.Objects, &st.Inactive, &byType, &st.Names, &st.SameAs, &st.Sources, &st.Versions, &last)
	if err != nil {
		return kb.Stats{}, fmt.Errorf("stats: %w", err)
	}
	for k, v := range byType {
		st.ByType[k] = v
	}
	if st.LastImport, err = parseTime(last); err != nil {
		return kb.Stats{}, fmt.Errorf("stats: last import: %w", err)
	}
	return st, nil
}

// Blob implements kb.Store.
func (s *Store) Blob(ctx context.Context, key string) (data []byte, tag string, ok bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT data, tag FROM blobs WHERE key = $1`, key).Scan(&data, &tag)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("read blob %s: %w", key, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, tag, true, nil
}

// PutBlob implements kb.Store: one upsert, atomic.
func (s *Store) PutBlob(ctx context.Context, key, tag string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO blobs (key, tag, data, updated_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (key) DO UPDATE SET tag = excluded.tag, data = excluded.data, updated_at = excluded.updated_at`,
		key, tag, data, formatTime(s.now()))
	if err != nil {
		return fmt.Errorf("write blob %s: %w", key, err)
	}
	return nil
}

func parseStored(raw []byte) (*stix.Object, error) {
	o, err := stix.ParseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("stored object: %w", err)
	}
	return o, nil
}

// ObjectsByID implements kb.ObjectsByID: the objects of ids that exist,
// in one query, decoded briefly.
func (s *Store) ObjectsByID(ctx context.Context, ids []string) (map[string]*stix.Object, error) {
	out := make(map[string]*stix.Object, len(ids))
	err := s.eachBrief(ctx, `SELECT id, raw FROM objects WHERE id = ANY($1)`, []any{nonNil(ids)}, func(o *stix.Object) error {
		out[o.ID] = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
