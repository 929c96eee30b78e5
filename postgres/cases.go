package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/culprit-cti/culprit/kb"
)

// PutCase implements kb.Store: the version check and the write are one
// statement, so concurrent writers of one case cannot both succeed (the
// UPDATE's WHERE is re-checked on the row a concurrent writer committed).
func (s *Store) PutCase(ctx context.Context, c *kb.Case) error {
	read := c.Version
	c.Version = read + 1
	doc, err := kb.CheckCase(c)
	if err != nil {
		c.Version = read
		return err
	}
	created, modified := c.Created.UTC().Format(time.RFC3339Nano), c.Modified.UTC().Format(time.RFC3339Nano)
	var n int64
	if read == 0 {
		var tag pgconn.CommandTag
		tag, err = s.pool.Exec(ctx,
			`INSERT INTO cases (id, version, created, modified, doc) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.Version, created, modified, doc)
		n = tag.RowsAffected()
	} else {
		var tag pgconn.CommandTag
		tag, err = s.pool.Exec(ctx,
			`UPDATE cases SET version = $1, modified = $2, doc = $3 WHERE id = $4 AND version = $5`,
			c.Version, modified, doc, c.ID, read)
		n = tag.RowsAffected()
	}
	if err == nil && n == 1 {
		return nil
	}
	c.Version = read
	if err != nil {
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	var have int
	switch err := s.pool.QueryRow(ctx, `SELECT version FROM cases WHERE id = $1`, c.ID).Scan(&have); {
	case errors.Is(err, pgx.ErrNoRows):
		return kb.CaseNotFound(c.ID)
	case err != nil:
		return fmt.Errorf("write case %s: %w", c.ID, err)
	default:
		return kb.CaseConflict(c.ID, read, have)
	}
}

// Case implements kb.Store.
func (s *Store) Case(ctx context.Context, id string) (*kb.Case, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT doc FROM cases WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, `SELECT id, doc FROM cases ORDER BY created, id`)
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
	rows.Close()
	if err := rows.Err(); err != nil {
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
