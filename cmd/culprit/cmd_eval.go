package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/attrib/eval"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "eval", "[--seed N] [--bundle FILE | --db PATH] [--split test|dev|all] [--json] [--fit]")
	seed := fs.Uint64("seed", 1, "seed of the held-out groups and of the development/test split")
	bundle := fs.String("bundle", "", "ATT&CK STIX bundle to evaluate on (default: the knowledge base)")
	db := fs.String("db", "", dbUsage)
	split := fs.String("split", "test", "reports to evaluate: test, dev or all")
	maxReports := fs.Int("max-reports", 0, "evaluate only the first N reports of the split (0: all)")
	asJSON := fs.Bool("json", false, "write the figures as JSON")
	fit := fs.Bool("fit", false, "fit the engine's parameters on the development split instead, and print them")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	if *bundle != "" && *db != "" {
		return fmt.Errorf("%w: give --bundle or --db, not both", errUsage)
	}
	var objs []*stix.Object
	var links []kb.SameAs
	src := *bundle
	if *bundle != "" {
		if objs, err = readBundleFile(*bundle); err != nil {
			return err
		}
		links = kb.Link(objs)
	} else {
		path, err := dbPath(e, *db)
		if err != nil {
			return err
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no knowledge base at %q (import ATT&CK first, or give --bundle FILE): %w", path, err)
		}
		// The knowledge base's same-as links (MISP galaxies folded into
		// ATT&CK groups) take part, as they do in culprit attribute.
		if objs, links, err = storeObjects(ctx, e, path); err != nil {
			return err
		}
		src = path
	}
	cfg := eval.Config{Seed: *seed, Split: *split, MaxReports: *maxReports, Params: attrib.DefaultParams(), Links: links}
	start := time.Now()
	if *fit {
		p, _, err := eval.Fit(ctx, objs, cfg, 3, func(s eval.Step) {
			fmt.Fprintf(e.stderr, "%s (%s)\n", s, time.Since(start).Round(time.Second))
		})
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return fmt.Errorf("encode parameters: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	rep, err := eval.Run(ctx, objs, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return fmt.Errorf("encode figures: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(e.stdout, "culprit eval on %s, seed %d: %d groups (%d held out), %d reports; split %s: %d reports of known groups, %d of held-out groups (%s)\n",
		src, rep.Seed, rep.Groups, rep.HeldOut, rep.Reports, rep.Split, rep.Engine.Known, rep.Engine.HeldOut, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "%-10s %6s %6s %6s %6s %6s %7s\n", "", "top-1", "top-5", "MRR", "ECE", "Brier", "AUROC")
	for _, row := range []struct {
		name string
		m    eval.Metrics
	}{{"engine", rep.Engine}, {"TF-IDF", rep.Baseline}} {
		fmt.Fprintf(e.stdout, "%-10s %6.3f %6.3f %6.3f %6.3f %6.3f %7.3f\n", row.name, row.m.Top1, row.m.Top5, row.m.MRR, row.m.ECE, row.m.Brier, row.m.AUROC)
	}
	return nil
}
