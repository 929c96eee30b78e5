package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/internal/outfile"
	"github.com/culprit-cti/culprit/kb"
)

func exportCommand() command {
	return command{
		summary: "export the knowledge base as one STIX 2.1 bundle",
		run:     runExport,
	}
}

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "[--db PATH] [--out FILE] [--all] [--json]")
	db := fs.String("db", "", dbUsage)
	out := fs.String("out", "", "write the bundle to FILE (atomically) instead of stdout")
	all := fs.Bool("all", false, "also export revoked and deprecated objects")
	asJSON := fs.Bool("json", false, "with --out, print a JSON summary on stdout")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	// Refuse an output onto the database before opening it, so that
	// nothing is read (or written) in vain.
	protect := storeFiles(e, *db)
	if *out != "" {
		if err := outfile.Check(*out, protect...); err != nil {
			return err
		}
	}
	store, err := openStore(ctx, e, *db, false)
	if err != nil {
		return err
	}
	defer store.Close()
	opts := kb.ExportOptions{All: *all}
	if *out == "" {
		_, err := kb.Export(ctx, store, e.stdout, opts)
		return err
	}
	// Nothing half-written is ever at the target path, and an existing
	// file is replaced only by a complete export.
	var n int
	err = outfile.Write(*out, 0o644, protect, func(w io.Writer) error {
		var err error
		n, err = kb.Export(ctx, store, w, opts)
		return err
	})
	if err != nil {
		return fmt.Errorf("export to %s: %w", *out, err)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"out": *out, "objects": n, "all": *all})
	}
	fmt.Fprintf(e.stderr, "exported %d objects to %s\n", n, *out)
	return nil
}
