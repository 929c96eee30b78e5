package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Blob returns the blob stored under key and its tag, or ok false when
// there is none.
func (s *Store) Blob(ctx context.Context, key string) (data []byte, tag string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT data, tag FROM blobs WHERE key = ?`, key).Scan(&data, &tag)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("read blob %s: %w", key, err)
	}
	return data, tag, true, nil
}

// PutBlob stores data under key with its tag, replacing any earlier blob.
func (s *Store) PutBlob(ctx context.Context, key, tag string, data []byte) error {
	if s.readOnly {
		return s.errReadOnly("write blob " + key)
	}
	if data == nil {
		data = []byte{}
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO blobs (key, tag, data, updated_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (key) DO UPDATE SET tag = excluded.tag, data = excluded.data, updated_at = excluded.updated_at`,
		key, tag, data, s.now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("write blob %s: %w", key, err)
	}
	return nil
}
