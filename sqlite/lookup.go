package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/culprit-cti/culprit/kb"
)

// nameIndex is the in-memory name index: Normalize(name) to the matches,
// one per object with its strongest kind, in LookupName order.
type nameIndex struct {
	byNorm map[string][]kb.NameMatch
}

// LookupName implements kb.Store. The index is loaded on first use and
// after each import; a lookup is a map access.
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
	idx := s.names.Load()
	if idx == nil {
		var err error
		if idx, err = s.loadNames(ctx); err != nil {
			return nil, err
		}
	}
	m := idx.byNorm[kb.Normalize(name)]
	if len(m) == 0 {
		return nil, nil
	}
	return append([]kb.NameMatch(nil), m...), nil
}

func (s *Store) loadNames(ctx context.Context) (*nameIndex, error) {
	s.loading.Lock()
	defer s.loading.Unlock()
	if idx := s.names.Load(); idx != nil {
		return idx, nil
	}
	// An import that commits while the index is read makes it stale:
	// it is then used for this lookup but not kept.
	gen := s.gen.Load()
	rows, err := s.db.QueryContext(ctx, `
		SELECT n.norm, n.name, n.kind, o.id, o.type, o.name, o.inactive
		FROM names n JOIN objects o ON o.id = n.object_id`)
	if err != nil {
		return nil, fmt.Errorf("load name index: %w", err)
	}
	defer rows.Close()
	idx := &nameIndex{byNorm: make(map[string][]kb.NameMatch)}
	for rows.Next() {
		var norm, kind string
		var m kb.NameMatch
		if err := rows.Scan(&norm, &m.Matched, &kind, &m.ID, &m.Type, &m.Name, &m.Inactive); err != nil {
			return nil, fmt.Errorf("load name index: %w", err)
		}
		m.Kind = kb.NameKind(kind)
		idx.byNorm[norm] = append(idx.byNorm[norm], m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load name index: %w", err)
	}
	for norm, ms := range idx.byNorm {
		idx.byNorm[norm] = kb.SortMatches(ms)
	}
	if s.gen.Load() == gen {
		s.names.Store(idx)
	}
	return idx, nil
}

// ResetNameIndex drops the cached name index; the next lookup reloads it
// from the database. Imports through this Store do it themselves; call it
// after another process has imported into the same file.
func (s *Store) ResetNameIndex() {
	s.gen.Add(1)
	s.names.Store(nil)
}

// ObjectsWithValue returns the ids of the objects indexed by the
// observable value v (in kb.ObservableValue form), ordered by id: the
// indicators whose patterns name it and the SCOs that carry it. One
// indexed read of the observables table, whatever the number of objects.
func (s *Store) ObjectsWithValue(ctx context.Context, v string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object_id FROM observables WHERE value = ? ORDER BY object_id`, kb.ObservableValue(v))
	if err != nil {
		return nil, fmt.Errorf("objects with value %q: %w", v, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("objects with value %q: %w", v, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("objects with value %q: %w", v, err)
	}
	return ids, nil
}
