package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/culprit-cti/culprit/errs"
)

func migrateCommand() command {
	return command{
		summary: "copy a whole SQLite knowledge base (cases included) into PostgreSQL, verified",
		run:     runMigrate,
	}
}

// runMigrate copies --from (a SQLite file) into --to (an empty PostgreSQL
// database or schema), see postgres.CopySQLite.
func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "migrate", "--from sqlite:PATH --to postgres://...")
	from := fs.String("from", "", "the SQLite knowledge base: a file path or sqlite:PATH")
	to := fs.String("to", "", "the PostgreSQL knowledge base: a postgres:// URL (an empty database or schema)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *from == "" || *to == "" {
		return fmt.Errorf("%w: culprit migrate --from sqlite:PATH --to postgres://URL", errUsage)
	}
	src, dst := parseLocation(*from), parseLocation(*to)
	if src.kind != "sqlite" || src.path == "" {
		return errs.E(errs.Invalid, "--from %s: want a SQLite file", src.show)
	}
	if dst.kind != "postgres" {
		return errs.E(errs.Invalid, "--to %s: want a postgres:// URL", dst.show)
	}
	rep, err := copySQLiteToPostgres(ctx, src.path, *to)
	if err != nil {
		return fmt.Errorf("%s to %s: %w", src.show, dst.show, err)
	}
	tables := make([]string, 0, len(rep.Rows))
	for t := range rep.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	fmt.Fprintf(e.stdout, "copied %s to %s:\n", src.show, dst.show)
	for _, t := range tables {
		fmt.Fprintf(e.stdout, "  %-16s %d rows\n", t, rep.Rows[t])
	}
	fmt.Fprintf(e.stdout, "verified: row counts of every table, SHA-256 of all %d objects; %d observable values indexed\n", rep.Objects, rep.Observables)
	return nil
}
