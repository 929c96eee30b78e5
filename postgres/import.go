package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Import implements kb.Store. kb.Import drives the import; this method
// supplies one transaction (writer). The transaction first takes the
// import lock of the schema, so imports from any number of processes run
// one after another; readers take no lock and see the store before or
// after the commit. A process killed during an import leaves the
// transaction uncommitted: the server rolls it back and releases the lock.
func (s *Store) Import(ctx context.Context, src kb.Source, objs kb.Stream, opts kb.ImportOptions) (kb.ImportStats, error) {
	if src.ImportedAt.IsZero() {
		src.ImportedAt = s.now()
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return kb.ImportStats{}, errs.Wrap(errs.Unavailable, err, "import %s: begin a transaction on %s", src.Name, s.show)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, lockImport); err != nil {
		return kb.ImportStats{}, fmt.Errorf("import %s: wait for other imports: %w", src.Name, err)
	}
	w := &writer{tx: tx, now: formatTime(src.ImportedAt)}
	stats, _, err := kb.Import(ctx, w, src, objs, opts)
	if err != nil {
		return kb.ImportStats{}, err
	}
	if err := w.flush(ctx); err != nil {
		return kb.ImportStats{}, fmt.Errorf("import %s: %w", src.Name, err)
	}
	// Delivered to every Watch when, and only if, the import commits.
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, current_schema())`, importChannel); err != nil {
		return kb.ImportStats{}, fmt.Errorf("import %s: notify: %w", src.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return kb.ImportStats{}, fmt.Errorf("import %s: commit: %w", src.Name, err)
	}
	return stats, nil
}

// batchSize is how many changes Put queues as statements before it sends
// them to the server in one round trip; copySize is how many new objects
// it buffers before it sends their rows with COPY.
const (
	batchSize = 256
	copySize  = 4096
)

// writer is the kb.ImportTx of one import transaction.
//
// A new object (no stored version, no earlier change of this import:
// neither Replaces nor Rewrite) cannot conflict with a stored row, so its
// rows (object, names, observables, relationship) are buffered and sent
// with COPY, the server's bulk path: a feed of new indicators costs four
// COPY streams per copySize objects instead of four statements per object.
// Any other change is queued as statements in a pgx.Batch. Only one of the
// two buffers is ever non-empty: a change of the other kind, and every
// other method, first sends what is buffered, so the server sees every
// row in the order kb.Import made them. Rows are written to the tables
// themselves, inside the import's transaction: a failed or killed import
// leaves none of them.
type writer struct {
	tx    pgx.Tx
	now   string
	batch *pgx.Batch // nil when empty
	what  []string   // for each queued statement, what it does (for errors)
	n     int        // changes queued

	rows copyRows // new objects' rows, waiting for COPY
}

// copyRows are the rows of new objects for COPY, one slice per table.
type copyRows struct {
	objects, names, observables, relationships [][]any
	first, last                                string // ids of the first and last object, for errors
}

func (r *copyRows) len() int { return len(r.objects) }

var _ kb.CurrentOfTx = (*writer)(nil)

func (w *writer) queue(what, sql string, args ...any) {
	if w.batch == nil {
		w.batch = &pgx.Batch{}
	}
	w.batch.Queue(sql, args...)
	w.what = append(w.what, what)
}

// flush sends what is buffered (COPY rows or queued statements) and
// reports the first failure.
func (w *writer) flush(ctx context.Context) error {
	if err := w.flushCopy(ctx); err != nil {
		return err
	}
	if len(w.what) == 0 {
		return nil
	}
	// The batch is read as its results are, so it must outlive them.
	what, batch := w.what, w.batch
	w.batch, w.what, w.n = nil, nil, 0
	br := w.tx.SendBatch(ctx, batch)
	for _, d := range what {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return br.Close()
}

// Columns of the tables new objects are copied into, in the order of the
// rows of copyRows. The objects go first: the other tables' foreign keys
// refer to them.
var copyInto = []struct {
	table string
	cols  []string
	rows  func(*copyRows) [][]any
}{
	{"objects", []string{"id", "type", "spec_version", "modified", "name", "revoked", "deprecated", "inactive", "hash", "raw"},
		func(r *copyRows) [][]any { return r.objects }},
	{"names", []string{"norm", "name", "object_id", "kind"}, func(r *copyRows) [][]any { return r.names }},
	{"observables", []string{"value", "object_id"}, func(r *copyRows) [][]any { return r.observables }},
	{"relationships", []string{"id", "type", "source_ref", "target_ref", "confidence", "inactive"},
		func(r *copyRows) [][]any { return r.relationships }},
}

// flushCopy sends the buffered rows of new objects, one COPY per table.
func (w *writer) flushCopy(ctx context.Context) error {
	if w.rows.len() == 0 {
		return nil
	}
	rows := w.rows
	w.rows = copyRows{}
	for _, t := range copyInto {
		r := t.rows(&rows)
		if len(r) == 0 {
			continue
		}
		if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(r)); err != nil {
			return fmt.Errorf("store %d new objects (%s to %s): %s: %w", rows.len(), rows.first, rows.last, t.table, err)
		}
	}
	return nil
}

// putNew buffers the rows of a new object for COPY.
func (w *writer) putNew(ctx context.Context, c *kb.Change, specVersion string) error {
	if len(w.what) > 0 {
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
	o := c.Object
	r := &w.rows
	if r.len() == 0 {
		r.first = o.ID
	}
	r.last = o.ID
	r.objects = append(r.objects, []any{o.ID, o.Type, specVersion, formatTime(o.Modified), o.Name, o.Revoked, o.Deprecated, c.Inactive, c.Hash[:], []byte(o.Raw)})
	for i, n := range c.Names {
		if !firstName(c.Names[:i], n) {
			continue // as ON CONFLICT DO NOTHING would
		}
		r.names = append(r.names, []any{n.Norm, n.Name, o.ID, string(n.Kind)})
	}
	for _, v := range kb.Observables(o) {
		r.observables = append(r.observables, []any{v, o.ID})
	}
	if o.Type == "relationship" {
		var conf any
		if o.Confidence != nil {
			conf = int32(*o.Confidence)
		}
		r.relationships = append(r.relationships, []any{o.ID, o.RelationshipType, o.SourceRef, o.TargetRef, conf, c.Inactive})
	}
	if r.len() >= copySize {
		return w.flushCopy(ctx)
	}
	return nil
}

// firstName reports whether no name of before has n's key in the names
// table (norm and kind; the object is the same).
func firstName(before []kb.Name, n kb.Name) bool {
	for _, b := range before {
		if b.Norm == n.Norm && b.Kind == n.Kind {
			return false
		}
	}
	return true
}

// Current implements kb.ImportTx.
func (w *writer) Current(ctx context.Context) (map[string]kb.Current, error) {
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := w.tx.Query(ctx, `SELECT id, modified, hash FROM objects`)
	if err != nil {
		return nil, fmt.Errorf("load versions: %w", err)
	}
	m := make(map[string]kb.Current)
	return m, scanCurrent(rows, m)
}

// CurrentOf implements kb.CurrentOfTx.
func (w *writer) CurrentOf(ctx context.Context, ids []string) (map[string]kb.Current, bool, error) {
	if err := w.flush(ctx); err != nil {
		return nil, false, err
	}
	var empty bool
	if err := w.tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM objects)`).Scan(&empty); err != nil {
		return nil, false, fmt.Errorf("load versions: %w", err)
	}
	rows, err := w.tx.Query(ctx, `SELECT id, modified, hash FROM objects WHERE id = ANY($1)`, nonNil(ids))
	if err != nil {
		return nil, false, fmt.Errorf("load versions: %w", err)
	}
	m := make(map[string]kb.Current, len(ids))
	return m, empty, scanCurrent(rows, m)
}

// scanCurrent reads rows of (id, modified, hash) into m and closes rows.
func scanCurrent(rows pgx.Rows, m map[string]kb.Current) error {
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

// Put implements kb.ImportTx: a new object's rows are buffered for COPY
// (putNew); a change to a stored object, or to one written earlier in this
// import, is queued as statements: the previous version to the history
// when it is replaced, the object, its names, its observable values and
// its relationship row, replacing the stored ones.
func (w *writer) Put(ctx context.Context, c *kb.Change) error {
	o := c.Object
	specVersion := o.SpecVersion
	if specVersion == "" {
		specVersion = "2.1"
	}
	if !c.Replaces && !c.Rewrite {
		return w.putNew(ctx, c, specVersion)
	}
	if err := w.flushCopy(ctx); err != nil {
		return err
	}
	if c.Replaces {
		w.queue("keep previous version of "+o.ID,
			`INSERT INTO object_versions (id, modified, raw, replaced_at)
			SELECT id, modified, raw, $1 FROM objects WHERE id = $2 ON CONFLICT DO NOTHING`, w.now, o.ID)
	}
	w.queue("replace names of "+o.ID, `DELETE FROM names WHERE object_id = $1`, o.ID)
	w.queue("replace observables of "+o.ID, `DELETE FROM observables WHERE object_id = $1`, o.ID)
	w.queue("store "+o.ID,
		`INSERT INTO objects (id, type, spec_version, modified, name, revoked, deprecated, inactive, hash, raw)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET type = excluded.type, spec_version = excluded.spec_version,
			modified = excluded.modified, name = excluded.name, revoked = excluded.revoked,
			deprecated = excluded.deprecated, inactive = excluded.inactive, hash = excluded.hash, raw = excluded.raw`,
		o.ID, o.Type, specVersion, formatTime(o.Modified), o.Name, o.Revoked, o.Deprecated, c.Inactive, c.Hash[:], []byte(o.Raw))
	if len(c.Names) > 0 {
		norms, names, kinds := make([]string, len(c.Names)), make([]string, len(c.Names)), make([]string, len(c.Names))
		for i, n := range c.Names {
			norms[i], names[i], kinds[i] = n.Norm, n.Name, string(n.Kind)
		}
		w.queue("index names of "+o.ID,
			`INSERT INTO names (norm, name, object_id, kind) SELECT n, m, $4, k FROM unnest($1::text[], $2::text[], $3::text[]) AS u(n, m, k)
			ON CONFLICT DO NOTHING`, norms, names, kinds, o.ID)
	}
	if vals := kb.Observables(o); len(vals) > 0 {
		w.queue("index observables of "+o.ID,
			`INSERT INTO observables (value, object_id) SELECT v, $2 FROM unnest($1::text[]) AS u(v) ON CONFLICT DO NOTHING`, vals, o.ID)
	}
	if o.Type == "relationship" {
		var conf any
		if o.Confidence != nil {
			conf = *o.Confidence
		}
		w.queue("store relationship "+o.ID,
			`INSERT INTO relationships (id, type, source_ref, target_ref, confidence, inactive) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET type = excluded.type, source_ref = excluded.source_ref, target_ref = excluded.target_ref,
				confidence = excluded.confidence, inactive = excluded.inactive`,
			o.ID, o.RelationshipType, o.SourceRef, o.TargetRef, conf, c.Inactive)
	}
	w.n++
	if w.n >= batchSize {
		return w.flush(ctx)
	}
	return nil
}

// Delete implements kb.ImportTx.
func (w *writer) Delete(ctx context.Context, id string) error {
	w.queue("delete "+id, `DELETE FROM objects WHERE id = $1`, id)
	return w.flush(ctx)
}

// RecordProvenance implements kb.ImportTx: the source, and for each object
// seen that the source supplied it, in one statement over arrays; rows
// whose version did not change are left as they are, so that re-importing
// a source rewrites nothing.
func (w *writer) RecordProvenance(ctx context.Context, src kb.Source, seen []kb.Seen) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	var sourceID int64
	err := w.tx.QueryRow(ctx, `
		INSERT INTO sources (kind, name, path, url, sha256, first_imported, last_imported)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (kind, name, sha256) DO UPDATE SET path = excluded.path, url = excluded.url, last_imported = excluded.last_imported
		RETURNING id`,
		string(src.Kind), src.Name, src.Path, src.URL, src.SHA256, w.now).Scan(&sourceID)
	if err != nil {
		return fmt.Errorf("record source: %w", err)
	}
	// The objects new to the store have no provenance row: theirs are
	// copied in one stream (a feed of new indicators is all of them; an
	// upsert of 2,000,000 rows took most of the 107 s after the last
	// object of BenchmarkScale's feed). The others may have a row to
	// update.
	var old []kb.Seen
	fresh := 0
	for _, x := range seen {
		if x.New {
			fresh++
		} else {
			old = append(old, x)
		}
	}
	if fresh > 0 {
		i := 0
		rows := pgx.CopyFromFunc(func() ([]any, error) {
			for i < len(seen) && !seen[i].New {
				i++
			}
			if i == len(seen) {
				return nil, nil
			}
			x := seen[i]
			i++
			return []any{x.ID, sourceID, formatTime(x.Modified), w.now, w.now}, nil
		})
		if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{"provenance"}, []string{"object_id", "source_id", "modified", "first_seen", "last_seen"}, rows); err != nil {
			return fmt.Errorf("record provenance: %w", err)
		}
	}
	seen = old
	const chunk = 10000 // bounds one statement's arrays
	for len(seen) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(chunk, len(seen))
		ids, mods := make([]string, n), make([]string, n)
		for i, x := range seen[:n] {
			ids[i], mods[i] = x.ID, formatTime(x.Modified)
		}
		seen = seen[n:]
		_, err := w.tx.Exec(ctx, `
			INSERT INTO provenance (object_id, source_id, modified, first_seen, last_seen)
			SELECT i, $3, m, $4, $4 FROM unnest($1::text[], $2::text[]) AS u(i, m)
			ON CONFLICT (object_id, source_id) DO UPDATE SET modified = excluded.modified, last_seen = excluded.last_seen
			WHERE provenance.modified <> excluded.modified`, ids, mods, sourceID, w.now)
		if err != nil {
			return fmt.Errorf("record provenance: %w", err)
		}
	}
	return nil
}

// LinkInputs implements kb.ImportTx: the active actors and same-as
// relationships, the input of kb.Link.
func (w *writer) LinkInputs(ctx context.Context) ([]*stix.Object, error) {
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := w.tx.Query(ctx, `
		SELECT raw FROM objects WHERE NOT inactive AND type IN ('intrusion-set', 'threat-actor')
		UNION ALL
		SELECT o.raw FROM relationships r JOIN objects o ON o.id = r.id
		WHERE NOT r.inactive AND r.type IN ('same-as', 'duplicate-of', 'similar')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var objs []*stix.Object
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
	if err := w.flush(ctx); err != nil {
		return err
	}
	if _, err := w.tx.Exec(ctx, `DELETE FROM same_as`); err != nil {
		return err
	}
	rows := make([][]any, len(links))
	for i, l := range links {
		rows[i] = []any{l.A, l.B, l.Confidence, l.Reason, l.Source}
	}
	_, err := w.tx.CopyFrom(ctx, pgx.Identifier{"same_as"}, []string{"a", "b", "confidence", "reason", "source"}, pgx.CopyFromRows(rows))
	return err
}

// CountSameAs implements kb.ImportTx.
func (w *writer) CountSameAs(ctx context.Context) (int, error) {
	if err := w.flush(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := w.tx.QueryRow(ctx, `SELECT COUNT(*) FROM same_as`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count same-as links: %w", err)
	}
	return n, nil
}

// ObjectsWithValue returns the ids of the objects indexed by the
// observable value v (compared lower-cased), ordered by id: the
// indicators whose patterns name it and the SCOs that carry it.
func (s *Store) ObjectsWithValue(ctx context.Context, v string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT object_id FROM observables WHERE value = $1 ORDER BY object_id`, kb.ObservableValue(v))
	if err != nil {
		return nil, fmt.Errorf("objects with value %q: %w", v, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("objects with value %q: %w", v, err)
	}
	return ids, nil
}
