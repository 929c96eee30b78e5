package similarity

import (
	"bytes"
	"context"
	"fmt"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// BlobKey is the name under which the index is kept in the store.
const BlobKey = "similarity-index"

// Store is what the similarity index needs of the knowledge base: its file
// objects, a summary that changes when they may have, and a place for the
// persisted index.
type Store interface {
	Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error
	Stats(ctx context.Context) (kb.Stats, error)
	Blob(ctx context.Context, key string) (data []byte, tag string, ok bool, err error)
	PutBlob(ctx context.Context, key, tag string, data []byte) error
}

// Load returns the index of the store's samples. It reads the persisted
// index when its tag matches the store's state, and otherwise builds the
// index from the stored file objects and persists it. built says which.
func Load(ctx context.Context, st Store) (ix *Index, built bool, err error) {
	tag, err := stateTag(ctx, st)
	if err != nil {
		return nil, false, err
	}
	data, have, ok, err := st.Blob(ctx, BlobKey)
	if err != nil {
		return nil, false, err
	}
	if ok && have == tag {
		if ix, err := ReadIndex(bytes.NewReader(data)); err == nil {
			return ix, false, nil
		}
		// A damaged blob is rebuilt, never trusted.
	}
	var samples []Sample
	err = st.Objects(ctx, kb.ObjectQuery{Types: []string{"file"}}, func(o *stix.Object) error {
		if s, ok := FromObject(o); ok {
			samples = append(samples, s)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("read samples: %w", err)
	}
	ix, _ = New(samples) // unparseable digests stay out of the index
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		return nil, false, fmt.Errorf("encode similarity index: %w", err)
	}
	if err := st.PutBlob(ctx, BlobKey, tag, buf.Bytes()); err != nil {
		return nil, false, err
	}
	return ix, true, nil
}

// stateTag summarises the store's state as far as samples are concerned.
// File objects have deterministic ids and no versions, so any change to
// them changes the object count, the file count or the version count.
func stateTag(ctx context.Context, st Store) (string, error) {
	s, err := st.Stats(ctx)
	if err != nil {
		return "", fmt.Errorf("knowledge base state: %w", err)
	}
	return fmt.Sprintf("v1 objects=%d files=%d inactive=%d versions=%d sources=%d",
		s.Objects, s.ByType["file"], s.Inactive, s.Versions, s.Sources), nil
}
