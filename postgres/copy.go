package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

// column kinds of a copied table: how a SQLite value becomes a PostgreSQL
// one (SQLite keeps booleans as integers).
const (
	cText = iota
	cInt
	cNullInt
	cBool
	cBytes
)

type copyTable struct {
	name string
	cols []string
	kind []int
}

// copyTables are the tables of the SQLite store (migrations 0001 to 0004)
// that this store has too, in an order that satisfies the foreign keys.
var copyTables = []copyTable{
	{"objects", []string{"id", "type", "spec_version", "modified", "name", "revoked", "deprecated", "inactive", "hash", "raw"},
		[]int{cText, cText, cText, cText, cText, cBool, cBool, cBool, cBytes, cBytes}},
	{"names", []string{"norm", "name", "object_id", "kind"}, []int{cText, cText, cText, cText}},
	{"relationships", []string{"id", "type", "source_ref", "target_ref", "confidence", "inactive"},
		[]int{cText, cText, cText, cText, cNullInt, cBool}},
	{"sources", []string{"id", "kind", "name", "path", "url", "sha256", "first_imported", "last_imported"},
		[]int{cInt, cText, cText, cText, cText, cText, cText, cText}},
	{"provenance", []string{"object_id", "source_id", "modified", "first_seen", "last_seen"}, []int{cText, cInt, cText, cText, cText}},
	{"same_as", []string{"a", "b", "confidence", "reason", "source"}, []int{cText, cText, cInt, cText, cText}},
	{"object_versions", []string{"id", "modified", "raw", "replaced_at"}, []int{cText, cText, cBytes, cText}},
	{"blobs", []string{"key", "tag", "data", "updated_at"}, []int{cText, cText, cBytes, cText}},
	{"cases", []string{"id", "version", "created", "modified", "doc"}, []int{cText, cInt, cText, cText, cBytes}},
}

// CopyReport says what CopySQLite copied.
type CopyReport struct {
	Rows        map[string]int // rows per table, equal on both sides
	Objects     int            // objects whose checksum was compared
	Observables int            // observable values indexed from the objects
}

// CopySQLite copies a whole SQLite knowledge base into this store, which
// must hold no object, source or case: every table (objects, their names,
// versions, provenance and sources, same-as links, blobs, cases) as it is,
// read in one read transaction of src (a database/sql handle on the file,
// opened read-only) and written in one transaction here, under the import
// lock. Before it commits it checks that every table has as many rows on
// both sides and that every object's bytes have the same SHA-256 on both
// sides and match the stored hash; on any difference nothing is kept.
func (s *Store) CopySQLite(ctx context.Context, src *sql.DB) (CopyReport, error) {
	rep := CopyReport{Rows: map[string]int{}}
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return rep, fmt.Errorf("copy: read the SQLite knowledge base: %w", err)
	}
	defer stx.Rollback()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return rep, errs.Wrap(errs.Unavailable, err, "copy: begin a transaction on %s", s.show)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, lockImport); err != nil {
		return rep, fmt.Errorf("copy: wait for imports: %w", err)
	}
	var used bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM objects) OR EXISTS (SELECT 1 FROM sources) OR EXISTS (SELECT 1 FROM cases)`).Scan(&used); err != nil {
		return rep, fmt.Errorf("copy: %w", err)
	}
	if used {
		return rep, errs.E(errs.Conflict, "copy: the knowledge base %s is not empty; copy into a new database or schema", s.show)
	}
	for _, t := range copyTables {
		n, err := copyOne(ctx, stx, tx, t)
		if err != nil {
			return rep, fmt.Errorf("copy table %s: %w", t.name, err)
		}
		rep.Rows[t.name] = n
	}
	if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('sources', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM sources`); err != nil {
		return rep, fmt.Errorf("copy: source ids: %w", err)
	}
	if rep.Observables, err = indexObservables(ctx, tx); err != nil {
		return rep, fmt.Errorf("copy: %w", err)
	}
	if rep.Objects, err = verifyCopy(ctx, stx, tx, rep.Rows); err != nil {
		return rep, err
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("copy: commit: %w", err)
	}
	return rep, nil
}

func copyOne(ctx context.Context, stx *sql.Tx, tx pgx.Tx, t copyTable) (int, error) {
	rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(t.cols, ", ")+` FROM `+t.name)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	src := &sqlRows{rows: rows, t: t}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, src)
	if src.err != nil {
		return 0, src.err
	}
	if err != nil {
		return 0, err
	}
	return int(n), rows.Err()
}

// sqlRows adapts SQLite rows to pgx.CopyFromSource, converting by kind.
type sqlRows struct {
	rows *sql.Rows
	t    copyTable
	err  error
}

func (r *sqlRows) Next() bool { return r.err == nil && r.rows.Next() }
func (r *sqlRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

func (r *sqlRows) Values() ([]any, error) {
	dst := make([]any, len(r.t.cols))
	texts := make([]string, len(dst))
	ints := make([]int64, len(dst))
	nulls := make([]sql.NullInt64, len(dst))
	blobs := make([][]byte, len(dst))
	for i, k := range r.t.kind {
		switch k {
		case cText:
			dst[i] = &texts[i]
		case cInt, cBool:
			dst[i] = &ints[i]
		case cNullInt:
			dst[i] = &nulls[i]
		case cBytes:
			dst[i] = &blobs[i]
		}
	}
	if err := r.rows.Scan(dst...); err != nil {
		r.err = err
		return nil, err
	}
	out := make([]any, len(dst))
	for i, k := range r.t.kind {
		switch k {
		case cText:
			out[i] = texts[i]
		case cInt:
			out[i] = ints[i]
		case cBool:
			out[i] = ints[i] != 0
		case cNullInt:
			if nulls[i].Valid {
				out[i] = nulls[i].Int64
			}
		case cBytes:
			if blobs[i] == nil {
				blobs[i] = []byte{}
			}
			out[i] = blobs[i]
		}
	}
	return out, nil
}

// indexObservables fills the observables table from the copied objects
// (computed, not copied: a SQLite file of schema version 4 or older has no
// such table, and the index is derived from the objects alone).
func indexObservables(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, `SELECT raw FROM objects WHERE type = 'indicator' OR raw LIKE '%"value"%' OR raw LIKE '%"hashes"%'`)
	if err != nil {
		return 0, fmt.Errorf("observables: %w", err)
	}
	var ids, vals []string
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return 0, fmt.Errorf("observables: %w", err)
		}
		o, err := parseStored(raw)
		if err != nil {
			rows.Close()
			return 0, err
		}
		for _, v := range kb.Observables(o) {
			ids, vals = append(ids, o.ID), append(vals, v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("observables: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO observables (value, object_id) SELECT v, i FROM unnest($1::text[], $2::text[]) AS u(v, i) ON CONFLICT DO NOTHING`, vals, ids)
	if err != nil {
		return 0, fmt.Errorf("observables: %w", err)
	}
	return len(vals), nil
}

// verifyCopy compares the row count of every table and the SHA-256 of
// every object's bytes on both sides, and the stored hash with the bytes.
func verifyCopy(ctx context.Context, stx *sql.Tx, tx pgx.Tx, copied map[string]int) (int, error) {
	for _, t := range copyTables {
		var a, b int
		if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&a); err != nil {
			return 0, fmt.Errorf("verify %s: %w", t.name, err)
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&b); err != nil {
			return 0, fmt.Errorf("verify %s: %w", t.name, err)
		}
		if a != b || a != copied[t.name] {
			return 0, fmt.Errorf("verify %s: %d rows in SQLite, %d copied, %d in PostgreSQL", t.name, a, copied[t.name], b)
		}
	}
	want := map[string][32]byte{}
	srows, err := stx.QueryContext(ctx, `SELECT id, raw FROM objects`)
	if err != nil {
		return 0, fmt.Errorf("verify objects: %w", err)
	}
	for srows.Next() {
		var id string
		var raw []byte
		if err := srows.Scan(&id, &raw); err != nil {
			srows.Close()
			return 0, fmt.Errorf("verify objects: %w", err)
		}
		want[id] = sha256.Sum256(raw)
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return 0, fmt.Errorf("verify objects: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT id, hash, raw FROM objects`)
	if err != nil {
		return 0, fmt.Errorf("verify objects: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		var hash, raw []byte
		if err := rows.Scan(&id, &hash, &raw); err != nil {
			return 0, fmt.Errorf("verify objects: %w", err)
		}
		sum := sha256.Sum256(raw)
		w, ok := want[id]
		switch {
		case !ok:
			return 0, fmt.Errorf("verify objects: %s is in PostgreSQL, not in SQLite", id)
		case w != sum:
			return 0, fmt.Errorf("verify objects: %s: SHA-256 %x in SQLite, %x in PostgreSQL", id, w, sum)
		case !bytes.Equal(hash, sum[:]):
			return 0, fmt.Errorf("verify objects: %s: its stored hash does not match its bytes", id)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("verify objects: %w", err)
	}
	if n != len(want) {
		return 0, fmt.Errorf("verify objects: %d in SQLite, %d in PostgreSQL", len(want), n)
	}
	return n, nil
}
