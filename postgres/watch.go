package postgres

import (
	"context"
	"errors"
	"fmt"
)

// importChannel is the notification channel of committed imports; the
// payload is the schema imported into, so that knowledge bases sharing a
// server tell theirs apart.
const importChannel = "culprit_import"

// Watch calls changed each time an import into this knowledge base
// commits, from this process or another, until ctx ends (it then returns
// ctx's error) or the connection fails. It holds one connection of the
// pool for its whole run. A process that caches what it derives from the
// store (culprit serve's compiled knowledge) refreshes it from changed, so
// that it sees another process's import without a restart; the
// notification is sent by the import's transaction and so delivered only
// when it commits. changed runs on Watch's goroutine: a slow changed
// delays the next call, and notifications meanwhile are merged by the
// server's queue, not lost.
func (s *Store) Watch(ctx context.Context, changed func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("watch imports: %w", err)
	}
	defer conn.Release()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("watch imports: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+importChannel); err != nil {
		return fmt.Errorf("watch imports: %w", err)
	}
	// The connection goes back to the pool still listening unless told.
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+importChannel)
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.Canceled) {
				return err
			}
			return fmt.Errorf("watch imports: %w", err)
		}
		if n.Payload == schema {
			changed()
		}
	}
}
