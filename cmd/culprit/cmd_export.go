package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

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
	// Write beside the target and rename, so that nothing half-written
	// is ever at the target path.
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	n, err := kb.Export(ctx, store, tmp, opts)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *out)
	}
	if err != nil {
		return fmt.Errorf("export to %s: %w", *out, err)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"out": *out, "objects": n, "all": *all})
	}
	fmt.Fprintf(e.stderr, "exported %d objects to %s\n", n, *out)
	return nil
}
