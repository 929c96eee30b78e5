package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Import implements kb.Store. kb.Import drives the import (planning,
// prefetch, error naming, the relink decision); this method supplies the
// transaction and the SQL (importTx). Any error rolls everything back.
func (s *Store) Import(ctx context.Context, src kb.Source, objs kb.Stream, opts kb.ImportOptions) (kb.ImportStats, error) {
	if s.readOnly {
		return kb.ImportStats{}, s.errReadOnly("import " + src.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if src.ImportedAt.IsZero() {
		src.ImportedAt = s.now()
	}
	fail := func(err error) (kb.ImportStats, error) { return kb.ImportStats{}, err }

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(wrapBusy(s.path, fmt.Errorf("import %s: begin: %w", src.Name, err)))
	}
	defer tx.Rollback()
	w, err := newWriter(ctx, tx, formatTime(src.ImportedAt))
	if err != nil {
		return fail(fmt.Errorf("import %s: %w", src.Name, err))
	}
	defer w.close()
	stats, changed, err := kb.Import(ctx, w, src, objs, opts)
	if err != nil {
		return fail(err)
	}
	w.close()
	if err := tx.Commit(); err != nil {
		return fail(wrapBusy(s.path, fmt.Errorf("import %s: commit: %w", src.Name, err)))
	}
	if changed {
		s.ResetNameIndex()
	}
	return stats, nil
}

// wrapBusy gives a lock timeout the kind and advice of wrapOpen.
func wrapBusy(path string, err error) error {
	if isBusy(err) {
		return errs.Wrap(errs.Unavailable, err, "knowledge base %s is locked by another writer (an import in progress?); try again when it has finished", path)
	}
	return err
}

// Current implements kb.ImportTx.
func (w *writer) Current(ctx context.Context) (map[string]kb.Current, error) {
	return loadCurrent(ctx, w.tx)
}

// Delete implements kb.ImportTx.
func (w *writer) Delete(ctx context.Context, id string) error {
	_, err := w.tx.ExecContext(ctx, `DELETE FROM objects WHERE id = ?`, id)
	return err
}

// CountSameAs implements kb.ImportTx.
func (w *writer) CountSameAs(ctx context.Context) (int, error) {
	var n int
	if err := w.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM same_as`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count same-as links: %w", err)
	}
	return n, nil
}

// CurrentOf implements kb.CurrentOfTx.
func (w *writer) CurrentOf(ctx context.Context, ids []string) (map[string]kb.Current, bool, error) {
	var empty bool
	if err := w.tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM objects)`).Scan(&empty); err != nil {
		return nil, false, fmt.Errorf("load versions: %w", err)
	}
	m := make(map[string]kb.Current, len(ids))
	const batch = 500 // well below SQLite's limit on bound parameters
	for len(ids) > 0 {
		n := min(batch, len(ids))
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := w.tx.QueryContext(ctx, `SELECT id, modified, hash FROM objects WHERE id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, false, fmt.Errorf("load versions: %w", err)
		}
		if err := scanCurrent(rows, m); err != nil {
			return nil, false, err
		}
	}
	return m, empty, nil
}

// scanCurrent reads rows of (id, modified, hash) into m and closes rows.
func scanCurrent(rows *sql.Rows, m map[string]kb.Current) error {
	defer rows.Close()
	var id, modified string
	var hash []byte
	for rows.Next() {
		if err := rows.Scan(&id, &modified, &hash); err != nil {
			return fmt.Errorf("load versions: %w", err)
		}
		var c kb.Current
		var err error
		if c.Modified, err = parseTime(modified); err != nil {
			return err
		}
		copy(c.Hash[:], hash)
		m[id] = c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load versions: %w", err)
	}
	return nil
}

// loadCurrent reads the version of every stored object.
func loadCurrent(ctx context.Context, tx *sql.Tx) (map[string]kb.Current, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM objects`).Scan(&n); err != nil {
		return nil, fmt.Errorf("count objects: %w", err)
	}
	m := make(map[string]kb.Current, n)
	rows, err := tx.QueryContext(ctx, `SELECT id, modified, hash FROM objects`)
	if err != nil {
		return nil, fmt.Errorf("load versions: %w", err)
	}
	return m, scanCurrent(rows, m)
}

// writer holds the prepared statements of one import transaction.
type writer struct {
	tx    *sql.Tx
	now   string
	stmts []*sql.Stmt

	keep, dropNames, dropObservables, upsert, name, observable, rel *sql.Stmt
}

func newWriter(ctx context.Context, tx *sql.Tx, now string) (*writer, error) {
	w := &writer{tx: tx, now: now}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&w.keep, `INSERT OR IGNORE INTO object_versions (id, modified, raw, replaced_at)
			SELECT id, modified, raw, ? FROM objects WHERE id = ?`},
		{&w.dropNames, `DELETE FROM names WHERE object_id = ?`},
		{&w.dropObservables, `DELETE FROM observables WHERE object_id = ?`},
		{&w.upsert, `INSERT INTO objects (id, type, spec_version, modified, name, revoked, deprecated, inactive, hash, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET type = excluded.type, spec_version = excluded.spec_version,
				modified = excluded.modified, name = excluded.name, revoked = excluded.revoked,
				deprecated = excluded.deprecated, inactive = excluded.inactive, hash = excluded.hash, raw = excluded.raw`},
		{&w.name, `INSERT OR IGNORE INTO names (norm, name, object_id, kind) VALUES (?, ?, ?, ?)`},
		{&w.observable, `INSERT OR IGNORE INTO observables (value, object_id) VALUES (?, ?)`},
		{&w.rel, `INSERT OR REPLACE INTO relationships (id, type, source_ref, target_ref, confidence, inactive) VALUES (?, ?, ?, ?, ?, ?)`},
	} {
		st, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
		*p.st = st
		w.stmts = append(w.stmts, st)
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range w.stmts {
		st.Close()
	}
	w.stmts = nil
}

// Put implements kb.ImportTx: it writes one change: the previous version to the history when it is
// replaced, the object, its names, its observable values (kb.Observables) and its relationship row.
func (w *writer) Put(ctx context.Context, c *kb.Change) error {
	o := c.Object
	if c.Replaces {
		if _, err := w.keep.ExecContext(ctx, w.now, o.ID); err != nil {
			return fmt.Errorf("keep previous version of %s: %w", o.ID, err)
		}
	}
	if c.Replaces || c.Rewrite {
		if _, err := w.dropNames.ExecContext(ctx, o.ID); err != nil {
			return fmt.Errorf("replace names of %s: %w", o.ID, err)
		}
		if _, err := w.dropObservables.ExecContext(ctx, o.ID); err != nil {
			return fmt.Errorf("replace observables of %s: %w", o.ID, err)
		}
	}
	specVersion := o.SpecVersion
	if specVersion == "" {
		specVersion = "2.1"
	}
	_, err := w.upsert.ExecContext(ctx, o.ID, o.Type, specVersion, formatTime(o.Modified), o.Name,
		o.Revoked, o.Deprecated, c.Inactive, c.Hash[:], []byte(o.Raw))
	if err != nil {
		return fmt.Errorf("store %s: %w", o.ID, err)
	}
	for _, n := range c.Names {
		if _, err := w.name.ExecContext(ctx, n.Norm, n.Name, o.ID, string(n.Kind)); err != nil {
			return fmt.Errorf("index names of %s: %w", o.ID, err)
		}
	}
	for _, v := range kb.Observables(o) {
		if _, err := w.observable.ExecContext(ctx, v, o.ID); err != nil {
			return fmt.Errorf("index observables of %s: %w", o.ID, err)
		}
	}
	if o.Type == "relationship" {
		var conf any
		if o.Confidence != nil {
			conf = *o.Confidence
		}
		if _, err := w.rel.ExecContext(ctx, o.ID, o.RelationshipType, o.SourceRef, o.TargetRef, conf, c.Inactive); err != nil {
			return fmt.Errorf("store relationship %s: %w", o.ID, err)
		}
	}
	return nil
}

// RecordProvenance implements kb.ImportTx: it records the source and, for each object seen, that the source
// supplied it; only rows that are new or whose version changed are
// written, so that re-importing a source costs one read of its rows.
func (w *writer) RecordProvenance(ctx context.Context, src kb.Source, seen []kb.Seen) error {
	var sourceID int64
	err := w.tx.QueryRowContext(ctx, `
		INSERT INTO sources (kind, name, path, url, sha256, first_imported, last_imported)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, name, sha256) DO UPDATE SET path = excluded.path, url = excluded.url, last_imported = excluded.last_imported
		RETURNING id`,
		string(src.Kind), src.Name, src.Path, src.URL, src.SHA256, w.now, w.now).Scan(&sourceID)
	if err != nil {
		return fmt.Errorf("record source: %w", err)
	}
	have := make(map[string]string)
	rows, err := w.tx.QueryContext(ctx, `SELECT object_id, modified FROM provenance WHERE source_id = ?`, sourceID)
	if err != nil {
		return fmt.Errorf("read provenance: %w", err)
	}
	for rows.Next() {
		var id, modified string
		if err := rows.Scan(&id, &modified); err != nil {
			rows.Close()
			return fmt.Errorf("read provenance: %w", err)
		}
		have[id] = modified
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read provenance: %w", err)
	}
	prov, err := w.tx.PrepareContext(ctx, `
		INSERT INTO provenance (object_id, source_id, modified, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (object_id, source_id) DO UPDATE SET modified = excluded.modified, last_seen = excluded.last_seen`)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer prov.Close()
	for i, s := range seen {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		modified := formatTime(s.Modified)
		if m, ok := have[s.ID]; ok && m == modified {
			continue
		}
		if _, err := prov.ExecContext(ctx, s.ID, sourceID, modified, w.now, w.now); err != nil {
			return fmt.Errorf("record provenance of %s: %w", s.ID, err)
		}
	}
	return nil
}

// LinkInputs implements kb.ImportTx: the active actors and same-as
// relationships, the input of kb.Link.
func (w *writer) LinkInputs(ctx context.Context) ([]*stix.Object, error) {
	var objs []*stix.Object
	rows, err := w.tx.QueryContext(ctx, `
		SELECT raw FROM objects WHERE inactive = 0 AND type IN ('intrusion-set', 'threat-actor')
		UNION ALL
		SELECT o.raw FROM relationships r JOIN objects o ON o.id = r.id
		WHERE r.inactive = 0 AND r.type IN ('same-as', 'duplicate-of', 'similar')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		o, err := stix.ParseObject(raw)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, rows.Err()
}

// ReplaceSameAs implements kb.ImportTx.
func (w *writer) ReplaceSameAs(ctx context.Context, links []kb.SameAs) error {
	if _, err := w.tx.ExecContext(ctx, `DELETE FROM same_as`); err != nil {
		return err
	}
	st, err := w.tx.PrepareContext(ctx, `INSERT INTO same_as (a, b, confidence, reason, source) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, l := range links {
		if _, err := st.ExecContext(ctx, l.A, l.B, l.Confidence, l.Reason, l.Source); err != nil {
			return err
		}
	}
	return nil
}

var _ kb.ImportTx = (*writer)(nil)
