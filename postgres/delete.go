package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Delete implements kb.Store: kb.Delete decides what goes; this method
// supplies one transaction (the import's writer, which has the
// kb.DeleteTx methods below). It takes the import lock, so it runs between
// imports from any process, and notifies every Watch as an import does,
// when it commits.
func (s *Store) Delete(ctx context.Context, id string, versions []time.Time) (kb.DeleteStats, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return kb.DeleteStats{}, errs.Wrap(errs.Unavailable, err, "delete %s: begin a transaction on %s", id, s.show)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, lockImport); err != nil {
		return kb.DeleteStats{}, fmt.Errorf("delete %s: wait for imports: %w", id, err)
	}
	w := &writer{tx: tx, now: formatTime(s.now())}
	st, err := kb.Delete(ctx, w, id, versions)
	if err != nil {
		return kb.DeleteStats{}, err
	}
	if err := w.flush(ctx); err != nil {
		return kb.DeleteStats{}, fmt.Errorf("delete %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, current_schema())`, importChannel); err != nil {
		return kb.DeleteStats{}, fmt.Errorf("delete %s: notify: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return kb.DeleteStats{}, fmt.Errorf("delete %s: commit: %w", id, err)
	}
	return st, nil
}

// Stored implements kb.DeleteTx.
func (w *writer) Stored(ctx context.Context, id string) (*stix.Object, []kb.Version, error) {
	if err := w.flush(ctx); err != nil {
		return nil, nil, err
	}
	var raw []byte
	err := w.tx.QueryRow(ctx, `SELECT raw FROM objects WHERE id = $1`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("object %s: %w", id, kb.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("object %s: %w", id, err)
	}
	cur, err := parseStored(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("object %s: %w", id, err)
	}
	rows, err := w.tx.Query(ctx, `SELECT modified, raw, replaced_at FROM object_versions WHERE id = $1 ORDER BY modified`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("versions of %s: %w", id, err)
	}
	defer rows.Close()
	var out []kb.Version
	for rows.Next() {
		v := kb.Version{ID: id}
		var modified, replaced string
		if err := rows.Scan(&modified, &v.Raw, &replaced); err != nil {
			return nil, nil, fmt.Errorf("versions of %s: %w", id, err)
		}
		if v.Modified, err = parseTime(modified); err != nil {
			return nil, nil, err
		}
		if v.ReplacedAt, err = parseTime(replaced); err != nil {
			return nil, nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("versions of %s: %w", id, err)
	}
	return cur, out, nil
}

// Referrers implements kb.DeleteTx.
func (w *writer) Referrers(ctx context.Context, id string, n int) ([]string, error) {
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := w.tx.Query(ctx, `SELECT id FROM relationships WHERE (source_ref = $1 OR target_ref = $1) AND id <> $1 LIMIT $2`, id, n)
	if err != nil {
		return nil, fmt.Errorf("relationships of %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("relationships of %s: %w", id, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DropVersion implements kb.DeleteTx.
func (w *writer) DropVersion(ctx context.Context, id string, m time.Time) error {
	w.queue("delete a version of "+id, `DELETE FROM object_versions WHERE id = $1 AND modified = $2`, id, formatTime(m))
	return w.flush(ctx)
}

// SetReplacedAt implements kb.DeleteTx.
func (w *writer) SetReplacedAt(ctx context.Context, id string, m, at time.Time) error {
	w.queue("set the replacement time of a version of "+id,
		`UPDATE object_versions SET replaced_at = $3 WHERE id = $1 AND modified = $2`, id, formatTime(m), formatTime(at))
	return w.flush(ctx)
}

// Remove implements kb.DeleteTx: every row of the object, in one round
// trip. The foreign keys would cascade the names, observables and
// relationship row; they are deleted by name so that the batch says what
// goes.
func (w *writer) Remove(ctx context.Context, id string) error {
	for _, t := range []struct{ table, col string }{
		{"names", "object_id"}, {"observables", "object_id"}, {"relationships", "id"},
		{"provenance", "object_id"}, {"object_versions", "id"}, {"objects", "id"},
	} {
		w.queue("remove "+id+" from "+t.table, `DELETE FROM `+t.table+` WHERE `+t.col+` = $1`, id)
	}
	return w.flush(ctx)
}

var _ kb.DeleteTx = (*writer)(nil)
