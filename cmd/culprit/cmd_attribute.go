package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/internal/outfile"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runAttribute(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "attribute", "[--db PATH | --bundle FILE...] [--json | --format text|json|markdown|stix] [--top N] [--stix FILE] [--netdata DIR] CASE...")
	db := fs.String("db", "", dbUsage)
	var bundles multiFlag
	fs.Var(&bundles, "bundle", "attribute against this STIX bundle instead of the database (repeatable)")
	format := fs.String("format", "text", "output format: "+strings.Join(assess.Formats, ", ")+" (json: one object per case per line)")
	asJSON := fs.Bool("json", false, "print JSON, as --format json")
	top := fs.Int("top", 5, "number of hypotheses to show")
	stixOut := fs.String("stix", "", "also write the result as a STIX 2.1 bundle to this file")
	warn := fs.String("warninglists", "", "MISP warninglists directory for shared infrastructure (adds to the built-in list)")
	netdata := fs.String("netdata", "", netDataUsage+"; addresses in an actor's networks are weak evidence when present")
	fold := foldFlag(fs)
	cases, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		return fmt.Errorf("%w: no case given", errUsage)
	}
	if *asJSON {
		*format = "json"
	}
	if *top < 1 {
		return fmt.Errorf("%w: --top must be at least 1", errUsage)
	}
	// The STIX output must not land on a case or the knowledge base; check
	// before the work, so that nothing is printed for a refused command.
	protect := append([]string(nil), cases...)
	protect = append(protect, bundles...)
	protect = append(protect, storeFiles(e, *db)...)
	if *stixOut != "" {
		if err := outfile.Check(*stixOut, protect...); err != nil {
			return fmt.Errorf("--stix: %w", err)
		}
	}
	now := time.Now().UTC()
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	out, err := assess.NewRenderer(*format, w, *top, now)
	if err != nil {
		return fmt.Errorf("%w: --format: %v", errUsage, err)
	}
	know, err := loadKnowledge(ctx, e, *db, bundles, *fold)
	if err != nil {
		return err
	}
	shared := attrib.BuiltinShared()
	if *warn != "" {
		if _, err := shared.LoadWarninglists(*warn); err != nil {
			return err
		}
	}
	network, err := openNetwork(e, *netdata)
	if err != nil {
		return err
	}
	if *format == "text" {
		fmt.Fprintf(e.stderr, "knowledge: %s (%d actors, %d techniques, %d software)\n",
			know.Source, len(know.Actors()), know.TechniqueCount(), know.SoftwareCount())
	}
	var results []*attrib.Result
	failed := 0
	for _, path := range cases {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := know.AttributeFile(path, assess.Options{Top: *top, Shared: shared, Network: network})
		if err != nil {
			fmt.Fprintf(e.stderr, "culprit attribute: %v\n", err)
			failed++
			continue
		}
		results = append(results, res)
		if err := out.Result(res); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if *stixOut != "" && len(results) > 0 {
		if err := writeSTIXFile(*stixOut, protect, results, *top, now); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d cases failed", failed, len(cases))
	}
	return nil
}

// writeSTIXFile writes the results as one STIX 2.1 bundle to path,
// replacing it only when the whole bundle is written, and never when it is
// one of the protected files (the cases read, the knowledge base).
func writeSTIXFile(path string, protect []string, results []*attrib.Result, top int, now time.Time) error {
	err := outfile.Write(path, 0o644, protect, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		r := assess.NewSTIX(bw, top, now)
		for _, res := range results {
			if err := r.Result(res); err != nil {
				return err
			}
		}
		if err := r.Close(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("write STIX result: %w", err)
	}
	return nil
}

// loadKnowledge builds the attribution knowledge: from the bundles when
// given, else from the database; when the database does not exist or holds
// no actor, from the embedded starter knowledge.
func loadKnowledge(ctx context.Context, e *env, dbFlag string, bundles []string, fold int) (*assess.Knowledge, error) {
	if len(bundles) > 0 {
		var objs []*stix.Object
		for _, b := range bundles {
			got, err := readBundleFile(b)
			if err != nil {
				return nil, err
			}
			objs = append(objs, got...)
		}
		return assess.FromObjects(objs, strings.Join(bundles, ", "), fold), nil
	}
	path, err := dbPath(e, dbFlag)
	if err != nil {
		return assess.Starter(fold)
	}
	if err := storeExists(path); err != nil {
		if dbFlag != "" {
			return nil, fmt.Errorf("open knowledge base: %w", err)
		}
		return assess.Starter(fold)
	}
	st, err := openStore(ctx, e, dbFlag, false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return assess.Load(ctx, st, parseLocation(path).show, fold)
}

func readBundleFile(path string) ([]*stix.Object, error) {
	rc, _, err := stix.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	defer rc.Close()
	return decodeAll(rc, path)
}

func decodeAll(r io.Reader, name string) ([]*stix.Object, error) {
	objs, err := stix.ReadAll(r, name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return objs, nil
}

// storeObjects reads the active objects and the same-as links of the
// knowledge base at path.
func storeObjects(ctx context.Context, e *env, path string) ([]*stix.Object, []kb.SameAs, error) {
	st, err := openStore(ctx, e, path, false)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	var objs []*stix.Object
	if err := st.Objects(ctx, kb.ObjectQuery{}, func(o *stix.Object) error {
		objs = append(objs, o)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("read knowledge base %s: %w", path, err)
	}
	links, err := st.SameAs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read same-as links from %s: %w", path, err)
	}
	return objs, links, nil
}
