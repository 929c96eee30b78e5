package server

import (
	"context"
	"sort"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// memStore is the store with every object read once into memory, for the
// duration of one Load: the access index, the TAXII index and the
// attribution knowledge of each level are built from the same decoded
// objects instead of reading and decoding the knowledge base three times.
// Everything but Objects goes to the store.
type memStore struct {
	access.Store
	objs []*stix.Object // ordered by type then id, as Store.Objects
}

func loadMem(ctx context.Context, st access.Store) (*memStore, error) {
	m := &memStore{Store: st}
	err := st.Objects(ctx, kb.ObjectQuery{IncludeInactive: true}, func(o *stix.Object) error {
		m.objs = append(m.objs, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(m.objs, func(i, j int) bool {
		if m.objs[i].Type != m.objs[j].Type {
			return m.objs[i].Type < m.objs[j].Type
		}
		return m.objs[i].ID < m.objs[j].ID
	})
	return m, nil
}

// Objects implements kb.Store's Objects over the objects in memory.
func (m *memStore) Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error {
	var types map[string]bool
	if len(q.Types) > 0 {
		types = map[string]bool{}
		for _, t := range q.Types {
			types[t] = true
		}
	}
	for _, o := range m.objs {
		if types != nil && !types[o.Type] || !q.IncludeInactive && (o.Revoked || o.Deprecated) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// EachVersion and FirstSeen pass the store's bulk reads through.
func (m *memStore) EachVersion(ctx context.Context, fn func(kb.Version) error) error {
	if vl, ok := m.Store.(interface {
		EachVersion(context.Context, func(kb.Version) error) error
	}); ok {
		return vl.EachVersion(ctx, fn)
	}
	var ids []string
	for _, o := range m.objs {
		ids = append(ids, o.ID)
	}
	for _, id := range ids {
		vs, err := m.Store.Versions(ctx, id)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	return nil
}
