package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Delete implements kb.Store: kb.Delete decides what goes; this method
// supplies the transaction (the import's writer, which has the
// kb.DeleteTx methods below). It takes the import lock, so it runs between
// imports, and drops the cached name index after it commits.
func (s *Store) Delete(ctx context.Context, id string, versions []time.Time) (kb.DeleteStats, error) {
	if s.readOnly {
		return kb.DeleteStats{}, s.errReadOnly("delete " + id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return kb.DeleteStats{}, wrapBusy(s.path, fmt.Errorf("delete %s: begin: %w", id, err))
	}
	defer tx.Rollback()
	w, err := newWriter(ctx, tx, formatTime(s.now()))
	if err != nil {
		return kb.DeleteStats{}, fmt.Errorf("delete %s: %w", id, err)
	}
	defer w.close()
	st, err := kb.Delete(ctx, w, id, versions)
	if err != nil {
		return kb.DeleteStats{}, err
	}
	w.close()
	if err := tx.Commit(); err != nil {
		return kb.DeleteStats{}, wrapBusy(s.path, fmt.Errorf("delete %s: commit: %w", id, err))
	}
	s.ResetNameIndex()
	return st, nil
}

// Stored implements kb.DeleteTx.
func (w *writer) Stored(ctx context.Context, id string) (*stix.Object, []kb.Version, error) {
	var raw []byte
	err := w.tx.QueryRowContext(ctx, `SELECT raw FROM objects WHERE id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("object %s: %w", id, kb.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("object %s: %w", id, err)
	}
	cur, err := stix.ParseObject(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("stored object %s: %w", id, err)
	}
	rows, err := w.tx.QueryContext(ctx, `SELECT modified, raw, replaced_at FROM object_versions WHERE id = ? ORDER BY modified`, id)
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
	rows, err := w.tx.QueryContext(ctx, `SELECT id FROM relationships WHERE (source_ref = ? OR target_ref = ?) AND id <> ? LIMIT ?`, id, id, id, n)
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
	_, err := w.tx.ExecContext(ctx, `DELETE FROM object_versions WHERE id = ? AND modified = ?`, id, formatTime(m))
	return err
}

// SetReplacedAt implements kb.DeleteTx.
func (w *writer) SetReplacedAt(ctx context.Context, id string, m, at time.Time) error {
	_, err := w.tx.ExecContext(ctx, `UPDATE object_versions SET replaced_at = ? WHERE id = ? AND modified = ?`, formatTime(at), id, formatTime(m))
	return err
}

// Remove implements kb.DeleteTx. The foreign keys would cascade the
// names, observables and relationship row; they are deleted by name so
// that the statement says what goes.
func (w *writer) Remove(ctx context.Context, id string) error {
	for _, q := range []string{
		`DELETE FROM names WHERE object_id = ?`,
		`DELETE FROM observables WHERE object_id = ?`,
		`DELETE FROM relationships WHERE id = ?`,
		`DELETE FROM provenance WHERE object_id = ?`,
		`DELETE FROM object_versions WHERE id = ?`,
		`DELETE FROM objects WHERE id = ?`,
	} {
		if _, err := w.tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("remove %s: %w", id, err)
		}
	}
	return nil
}

var _ kb.DeleteTx = (*writer)(nil)
