package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/attrib/eval"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "eval", "[--seed N] [--bundle FILE | --db PATH] [--split test|dev|all] [--json] [--fit]\n       culprit eval --protocol temporal --knowledge OLD.json.gz --later NEW.json.gz [--learn [--learn-small]] [--batch N] [--json | --fit]")
	protocol := fs.String("protocol", "loo", "loo (leave one report out, the default) or temporal (an earlier knowledge against the reports of a later one)")
	knowledge := fs.String("knowledge", "", "temporal: the earlier STIX bundle, the knowledge")
	later := fs.String("later", "", "temporal: the later STIX bundle, whose new reports are the queries")
	learn := fs.Bool("learn", false, "temporal: confirm each report with its true group before the later ones are attributed")
	learnSmall := fs.Bool("learn-small", false, "temporal, with --learn: also confirm the reports too small to be queries, in publication order")
	halfLife := fs.Float64("half-life", 0, "temporal: half-life in days of the behaviour of incidents and campaigns attributed to an actor (0: no decay)")
	usesHalfLife := fs.Float64("uses-half-life", 0, "temporal: half-life in days of an actor's own uses relationships, dated by their citations (0: no decay)")
	activityHalfLife := fs.Float64("activity-half-life", 0, "temporal: half-life in days of a source in the activity prior (0: every source counts 1)")
	batch := fs.Int("batch", 1, "temporal, with --learn: reports attributed between two rebuilds of the knowledge")
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
	switch *protocol {
	case "temporal":
		return runTemporal(ctx, e, *knowledge, *later, *fit, eval.TemporalConfig{Learn: *learn, LearnSmall: *learnSmall, Batch: *batch, MaxReports: *maxReports,
			Params: attrib.DefaultParams(), Knowledge: attrib.KnowledgeOptions{Behaviour: attrib.BehaviourOptions{
				HalfLife: days(*halfLife), UsesHalfLife: days(*usesHalfLife), ActivityHalfLife: days(*activityHalfLife)}}}, *asJSON)
	case "loo", "":
	default:
		return fmt.Errorf("%w: unknown protocol %q (want loo or temporal)", errUsage, *protocol)
	}
	if *knowledge != "" || *later != "" || *learn {
		return fmt.Errorf("%w: --knowledge, --later and --learn go with --protocol temporal", errUsage)
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
		if err := storeExists(path); err != nil {
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

func runTemporal(ctx context.Context, e *env, oldPath, newPath string, fit bool, cfg eval.TemporalConfig, asJSON bool) error {
	if oldPath == "" || newPath == "" {
		return fmt.Errorf("%w: --protocol temporal needs --knowledge OLD and --later NEW", errUsage)
	}
	if cfg.LearnSmall && !cfg.Learn {
		return fmt.Errorf("%w: --learn-small goes with --learn", errUsage)
	}
	start := time.Now()
	old, err := readBundleFile(oldPath)
	if err != nil {
		return err
	}
	later, err := readBundleFile(newPath)
	if err != nil {
		return err
	}
	if fit {
		// Only ever on the development split (9.0 → 12.1): the test split
		// reports figures, it never chooses them.
		p, _, err := eval.FitTemporal(ctx, old, later, cfg, 3, func(s eval.Step) {
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
	rep, err := eval.RunTemporal(ctx, old, later, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return fmt.Errorf("encode figures: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	mode := "without learning"
	if rep.Learn {
		mode = fmt.Sprintf("learning (%d knowledge builds)", rep.Rebuilds)
		if rep.LearnedSmall > 0 {
			mode = fmt.Sprintf("learning, with %d reports too small to be queries (%d knowledge builds)", rep.LearnedSmall, rep.Rebuilds)
		}
	}
	fmt.Fprintf(e.stdout, "culprit eval --protocol temporal: knowledge %s, reports of %s, %s\n", filepath.Base(oldPath), filepath.Base(newPath), mode)
	var dups []string
	total := 0
	for _, r := range []string{eval.RuleArchive, eval.RuleURLForm, eval.RuleMoved, eval.RuleTitleDate} {
		if n := rep.Duplicates[r]; n > 0 {
			dups = append(dups, fmt.Sprintf("%d %s", n, r))
			total += n
		}
	}
	dupText := "none"
	if len(dups) > 0 {
		dupText = strings.Join(dups, ", ")
	}
	fmt.Fprintf(e.stdout, "%d new references: %d earlier documents under a new reference dropped (%s), %d cited for several groups, %d with fewer than 3 items\n",
		rep.Candidates, total, dupText, rep.Ambiguous, rep.TooSmall)
	fmt.Fprintf(e.stdout, "%d reports (%s to %s; %d undated): %d of groups in the knowledge, %d of groups not in it (%d new groups)\n",
		rep.Reports, rep.First, rep.Last, rep.Undated, rep.Engine.Known, rep.Engine.HeldOut, rep.NewGroups)
	fmt.Fprintf(e.stdout, "%-10s %6s %6s %6s %6s %6s %7s\n", "", "top-1", "top-5", "MRR", "ECE", "Brier", "AUROC")
	for _, row := range []struct {
		name string
		m    eval.Metrics
	}{{"engine", rep.Engine}, {"TF-IDF", rep.Baseline}} {
		fmt.Fprintf(e.stdout, "%-10s %6.3f %6.3f %6.3f %6.3f %6.3f %7.3f\n", row.name, row.m.Top1, row.m.Top5, row.m.MRR, row.m.ECE, row.m.Brier, row.m.AUROC)
	}
	fmt.Fprintf(e.stdout, "items the true group's profile covers (reports: engine top-1, top-5; TF-IDF top-1, top-5)\n")
	for _, b := range rep.Coverage {
		fmt.Fprintf(e.stdout, "  %-14s %4d: %4d %4d; %4d %4d\n", b.Bin, b.Reports, b.EngineTop1, b.EngineTop5, b.BaselineTop1, b.BaselineTop5)
	}
	fmt.Fprintf(e.stderr, "culprit eval: %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func days(d float64) time.Duration { return time.Duration(d * 24 * float64(time.Hour)) }
