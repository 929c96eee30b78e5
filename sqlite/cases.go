package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/culprit-cti/culprit/kb"
)

// PutCase implements kb.Store: the version check and the write are one
// statement, so concurrent writers of one case cannot both succeed.
func (s *Store) PutCase(ctx context.Context, c *kb.Case) error {
	if s.readOnly {
		return s.errReadOnly("write case " + c.ID)
	}
	read := c.Version
	c.Version = read + 1
	doc, err := kb.CheckCase(c)
	if err != nil {
		c.Version = read
		return err
	}
	created, modified := c.Created.UTC().Format(time.RFC3339Nano), c.Modified.UTC().Format(time.RFC3339Nano)
	var res sql.Result
	if read == 0 {
		res, err = s.db.ExecContext(ctx,
			`INSERT INTO cases (id, version, created, modified, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.Version, created, modified, doc)
	} else {
		res, err = s.db.ExecContext(ctx,
			`UPDATE cases SET version = ?, modified = ?, doc = ? WHERE id = ? AND version = ?`,
			c.Version, modified, doc, c.ID, read)
	}
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 1 {
			return nil
		}
	}
	c.Version = read
	if err != nil {
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	var have int
	switch err := s.db.QueryRowContext(ctx, `SELECT version FROM cases WHERE id = ?`, c.ID).Scan(&have); {
	case errors.Is(err, sql.ErrNoRows):
		return kb.CaseNotFound(c.ID)
	case err != nil:
		return fmt.Errorf("write case %s: %w", c.ID, err)
	case read == 0:
		return kb.CaseConflict(c.ID, 0, have)
	default:
		return kb.CaseConflict(c.ID, read, have)
	}
}

// Case implements kb.Store.
func (s *Store) Case(ctx context.Context, id string) (*kb.Case, error) {
	var doc []byte
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM cases WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kb.CaseNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read case %s: %w", id, err)
	}
	return decodeCase(id, doc)
}

// Cases implements kb.Store. The cases are read first and fn called
// after, so fn may call the store, even to write.
func (s *Store) Cases(ctx context.Context, fn func(*kb.Case) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, doc FROM cases ORDER BY created, id`)
	if err != nil {
		return fmt.Errorf("read cases: %w", err)
	}
	var cases []*kb.Case
	for rows.Next() {
		var id string
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			rows.Close()
			return fmt.Errorf("read cases: %w", err)
		}
		c, err := decodeCase(id, doc)
		if err != nil {
			rows.Close()
			return err
		}
		cases = append(cases, c)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("read cases: %w", err)
	}
	for _, c := range cases {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

func decodeCase(id string, doc []byte) (*kb.Case, error) {
	var c kb.Case
	if err := json.Unmarshal(doc, &c); err != nil {
		return nil, fmt.Errorf("read case %s: stored document: %w", id, err)
	}
	return &c, nil
}
