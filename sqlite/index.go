package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/culprit-cti/culprit/kb"
)

// This file holds the bulk reads the server's indexes need (package access
// and the TAXII index of package server): one query each instead of one per
// object. They are not part of kb.Store; the server asks for them with an
// interface assertion and falls back to the per-object methods.

// EachVersion calls fn for every earlier version of every object, ordered
// by id then modified.
func (s *Store) EachVersion(ctx context.Context, fn func(kb.Version) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, modified, raw, replaced_at FROM object_versions ORDER BY id, modified`)
	if err != nil {
		return fmt.Errorf("versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v kb.Version
		var modified, replaced string
		if err := rows.Scan(&v.ID, &modified, &v.Raw, &replaced); err != nil {
			return fmt.Errorf("versions: %w", err)
		}
		if v.Modified, err = parseTime(modified); err != nil {
			return fmt.Errorf("versions of %s: %w", v.ID, err)
		}
		if v.ReplacedAt, err = parseTime(replaced); err != nil {
			return fmt.Errorf("versions of %s: %w", v.ID, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("versions: %w", err)
	}
	return nil
}

// FirstSeen returns, for every object with a provenance, the earliest
// first_seen of its sources: when the knowledge base first stored it.
func (s *Store) FirstSeen(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object_id, MIN(first_seen) FROM provenance GROUP BY object_id`)
	if err != nil {
		return nil, fmt.Errorf("first seen: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id, first string
		if err := rows.Scan(&id, &first); err != nil {
			return nil, fmt.Errorf("first seen: %w", err)
		}
		t, err := parseTime(first)
		if err != nil {
			return nil, fmt.Errorf("first seen of %s: %w", id, err)
		}
		out[id] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("first seen: %w", err)
	}
	return out, nil
}
