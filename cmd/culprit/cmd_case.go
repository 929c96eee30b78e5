package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/internal/outfile"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

func caseCommand() command {
	return command{
		summary: "cases: open one from evidence, attribute it over time, confirm, reopen, export",
		run:     runCase,
	}
}

const caseUsage = `usage: culprit case <verb> [flags] [args]

verbs:
  new FILE                 open a case from a case file or STIX bundle; prints its id
  list                     the cases, oldest first
  show ID                  a case: evidence, results, confirmation, history
  add ID FILE              add evidence (--unreviewed: extracted, not yet accepted)
  accept ID NAME           accept unreviewed evidence
  attribute ID             attribute the accepted evidence; the result is kept
  confirm ID --actor NAME  confirm to a known actor (or --new-actor NAME); becomes knowledge
  reopen ID                withdraw the confirmation (its knowledge is revoked)
  export ID                the case as a STIX 2.1 bundle

Every verb takes --db PATH and --json. Run 'culprit case <verb> -h' for its flags.
`

func runCase(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stderr, caseUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	verbs := map[string]func(context.Context, *env, []string) error{
		"new": caseNew, "list": caseList, "show": caseShow, "add": caseAdd, "accept": caseAccept,
		"attribute": caseAttribute, "confirm": caseConfirm, "reopen": caseReopen, "export": caseExport,
	}
	run, ok := verbs[args[0]]
	if !ok {
		fmt.Fprint(e.stderr, caseUsage)
		return fmt.Errorf("%w: unknown verb %q", errUsage, args[0])
	}
	return run(ctx, e, args[1:])
}

// analyst is who acts: --analyst, else $CULPRIT_ANALYST, else $USER.
func analyst(e *env, flagValue string) string {
	for _, v := range []string{flagValue, e.getenv("CULPRIT_ANALYST"), e.getenv("USER")} {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return "unknown analyst"
}

// caseService opens the knowledge base for writing. A knowledge base with
// no actor gets the embedded starter knowledge first, as attribute uses
// it, so that a case can be confirmed to one of its actors.
func caseService(ctx context.Context, e *env, db string, fold int) (*investigation.Service, func(), error) {
	st, err := openStore(ctx, e, db, true)
	if err != nil {
		return nil, nil, err
	}
	hasActor := false
	err = st.Objects(ctx, kb.ObjectQuery{Types: []string{"intrusion-set", "threat-actor"}}, func(*stix.Object) error {
		hasActor = true
		return errStop
	})
	if err != nil && err != errStop {
		st.Close()
		return nil, nil, err
	}
	if !hasActor {
		objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "embedded starter knowledge")
		if err == nil {
			_, err = st.Import(ctx, kb.Source{Kind: kb.SourceBuiltin, Name: "embedded starter knowledge"}, kb.SliceStream(objs), kb.ImportOptions{})
		}
		if err != nil {
			st.Close()
			return nil, nil, fmt.Errorf("load the starter knowledge: %w", err)
		}
		fmt.Fprintln(e.stderr, "the knowledge base held no actor: loaded the embedded starter knowledge")
	}
	return &investigation.Service{Store: st, Fold: fold}, func() { st.Close() }, nil
}

var errStop = fmt.Errorf("stop")

// caseKnowledge loads the attribution knowledge from the service's store.
func caseKnowledge(ctx context.Context, s *investigation.Service, fold int) (*assess.Knowledge, error) {
	return assess.Load(ctx, s.Store, "the knowledge base", fold)
}

func readEvidence(path string) ([]byte, error) {
	rc, _, err := stix.Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, casefile.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > casefile.MaxSize {
		return nil, fmt.Errorf("%s: %w", path, casefile.ErrTooLarge)
	}
	return b, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func caseNew(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case new", "[--db PATH] [--name NAME] [--tlp LEVEL] [--json] FILE")
	a := caseFlags(fs, "print the case as JSON")
	name := fs.String("name", "", "the case's name (default: the case file's name:)")
	tlp := fs.String("tlp", "", "the case's TLP level: clear, green, amber, amber+strict or red (default red): who may see it and what its confirmation makes known through culprit serve")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: give one case FILE", errUsage)
	}
	level := access.Red
	if *tlp != "" {
		if level, err = access.ParseLevel(*tlp); err != nil {
			return fmt.Errorf("%w: --tlp: %v", errUsage, err)
		}
	}
	content, err := readEvidence(pos[0])
	if err != nil {
		return err
	}
	s, done, err := caseService(ctx, e, *a.db, 0)
	if err != nil {
		return err
	}
	defer done()
	c, err := s.New(ctx, *name, investigation.Evidence{Name: pos[0], Content: content, By: analyst(e, *a.by)})
	if err != nil {
		return err
	}
	if level != access.Red {
		// New stores the case without a level, which reads as RED:
		// until this second write it is hidden below RED, never shown.
		c.TLP = level.String()
		if err := s.Store.PutCase(ctx, c); err != nil {
			return fmt.Errorf("set the level of case %s: %w", c.ID, err)
		}
	}
	if *a.json {
		return printJSON(e.stdout, summary(c))
	}
	fmt.Fprintln(e.stdout, c.ID)
	return nil
}

// caseSummary is a line of case list.
type caseSummary struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Status   string    `json:"status"`
	TLP      string    `json:"tlp"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	Evidence int       `json:"evidence"`
	Results  int       `json:"results"`
	Actor    string    `json:"actor,omitempty"`
}

func summary(c *kb.Case) caseSummary {
	s := caseSummary{ID: c.ID, Name: c.Name, Status: c.Status, TLP: access.CaseLevel(c.TLP).String(), Created: c.Created, Modified: c.Modified,
		Evidence: len(c.Evidence), Results: len(c.Results)}
	if c.Confirmation != nil {
		s.Actor = c.Confirmation.ActorName
	}
	return s
}

func caseList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case list", "[--db PATH] [--json]")
	a := caseFlags(fs, "print the cases as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: case list takes no argument", errUsage)
	}
	st, err := openStore(ctx, e, *a.db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	out := []caseSummary{}
	if err := st.Cases(ctx, func(c *kb.Case) error { out = append(out, summary(c)); return nil }); err != nil {
		return err
	}
	if *a.json {
		return printJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tTLP\tEVIDENCE\tRESULTS\tACTOR\tNAME")
	for _, c := range out {
		actor := c.Actor
		if actor == "" {
			actor = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", c.ID, c.Status, c.TLP, c.Evidence, c.Results, actor, c.Name)
	}
	return tw.Flush()
}

// caseArgs are the flags every case verb has and its parsed arguments.
type caseArgs struct {
	db, by *string
	json   *bool
	id     string   // the case id, when the verb takes one
	rest   []string // the arguments after it
}

// caseFlags defines --db, --json and --analyst on fs.
func caseFlags(fs *flag.FlagSet, jsonUsage string) *caseArgs {
	return &caseArgs{
		db:   fs.String("db", "", dbUsage),
		json: fs.Bool("json", false, jsonUsage),
		by:   fs.String("analyst", "", "who acts (default $CULPRIT_ANALYST, else $USER)"),
	}
}

// parseCase parses args: a case id followed by exactly more arguments,
// named in what for the usage error.
func (a *caseArgs) parseCase(fs *flag.FlagSet, args []string, more int, what string) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1+more {
		return fmt.Errorf("%w: give the case ID%s (see culprit case list)", errUsage, what)
	}
	if !kb.ValidCaseID(pos[0]) {
		return fmt.Errorf("%w: %q is not a case id (they look like case-0123456789ab; see culprit case list)", errUsage, pos[0])
	}
	a.id, a.rest = pos[0], pos[1:]
	return nil
}

func caseShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case show", "[--db PATH] [--json] ID")
	a := caseFlags(fs, "print the case as JSON (evidence contents included)")
	if err := a.parseCase(fs, args, 0, ""); err != nil {
		return err
	}
	st, err := openStore(ctx, e, *a.db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := st.Case(ctx, a.id)
	if err != nil {
		return err
	}
	if *a.json {
		return printJSON(e.stdout, c)
	}
	printCase(e.stdout, c)
	return nil
}

func printCase(w io.Writer, c *kb.Case) {
	title := c.Name + " (" + c.ID + ")"
	fmt.Fprintf(w, "%s\n%s\n", title, strings.Repeat("=", len(title)))
	fmt.Fprintf(w, "status: %s\n", c.Status)
	fmt.Fprintf(w, "tlp: %s\n", access.CaseLevel(c.TLP))
	if cf := c.Confirmation; cf != nil {
		what := "confirmed to"
		if cf.NewActor {
			what = "confirmed to a new actor,"
		}
		fmt.Fprintf(w, "%s %s (%s), confidence %d, by %s on %s", what, cf.ActorName, cf.Actor, cf.Confidence, cf.Analyst, cf.At.Format(time.RFC3339))
		if cf.Reason != "" {
			fmt.Fprintf(w, ": %s", cf.Reason)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "created %s, modified %s\n", c.Created.Format(time.RFC3339), c.Modified.Format(time.RFC3339))
	fmt.Fprintf(w, "\nevidence (%d):\n", len(c.Evidence))
	for _, ev := range c.Evidence {
		fmt.Fprintf(w, "  %-24s %-4s %s  %s  %s\n", ev.Name, ev.Format, ev.SHA256[:12], ev.Added.Format(time.RFC3339), ev.Status)
	}
	if len(c.Results) > 0 {
		fmt.Fprintf(w, "\nresults (%d):\n", len(c.Results))
		for _, r := range c.Results {
			var res attrib.Result
			top := "?"
			if json.Unmarshal(r.Result, &res) == nil {
				top = fmt.Sprintf("an actor not in the knowledge base %.0f%%", res.Unknown*100)
				if res.Top != "unknown" && len(res.Hypotheses) > 0 {
					top = fmt.Sprintf("%s %.0f%%", res.Hypotheses[0].Name, res.Hypotheses[0].Probability*100)
				}
				top += ", confidence " + res.Confidence
			}
			fmt.Fprintf(w, "  %s  %s  [%d evidence; knowledge: %s]\n", r.At.Format(time.RFC3339), top, len(r.Evidence), r.Knowledge)
		}
	}
	fmt.Fprintf(w, "\nhistory (%d):\n", len(c.History))
	for _, h := range c.History {
		by := ""
		if h.By != "" {
			by = " by " + h.By
		}
		fmt.Fprintf(w, "  %s  %s%s", h.At.Format(time.RFC3339), h.Action, by)
		if h.Detail != "" {
			fmt.Fprintf(w, ": %s", h.Detail)
		}
		fmt.Fprintln(w)
	}
}

func caseAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case add", "[--db PATH] [--unreviewed] [--json] ID FILE (a case file, a STIX bundle, or a report to extract: text, Markdown, HTML, PDF)")
	a := caseFlags(fs, "print the case summary as JSON")
	unreviewed := fs.Bool("unreviewed", false, "mark the evidence as extracted, not reviewed: kept, but not attributed until accepted")
	if err := a.parseCase(fs, args, 1, " and one FILE"); err != nil {
		return err
	}
	// A report (not a case file or bundle) is extracted first; its evidence
	// is always unreviewed (case_report.go).
	ev, err := caseEvidence(ctx, e, *a.db, a.rest[0], analyst(e, *a.by), *unreviewed)
	if err != nil {
		return err
	}
	s, done, err := caseService(ctx, e, *a.db, 0)
	if err != nil {
		return err
	}
	defer done()
	c, err := s.Add(ctx, a.id, ev)
	if err != nil {
		return err
	}
	if *a.json {
		return printJSON(e.stdout, summary(c))
	}
	fmt.Fprintf(e.stdout, "%s: %d pieces of evidence\n", c.ID, len(c.Evidence))
	return nil
}

func caseAccept(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case accept", "[--db PATH] [--json] ID NAME")
	a := caseFlags(fs, "print the case summary as JSON")
	if err := a.parseCase(fs, args, 1, " and the evidence NAME (see culprit case show)"); err != nil {
		return err
	}
	s, done, err := caseService(ctx, e, *a.db, 0)
	if err != nil {
		return err
	}
	defer done()
	c, err := s.Accept(ctx, a.id, a.rest[0], analyst(e, *a.by))
	if err != nil {
		return err
	}
	if *a.json {
		return printJSON(e.stdout, summary(c))
	}
	fmt.Fprintf(e.stdout, "%s: %s accepted\n", c.ID, a.rest[0])
	return nil
}

func caseAttribute(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case attribute", "[--db PATH] [--json | --format text|json|markdown|stix] [--top N] [--netdata DIR] ID")
	a := caseFlags(fs, "print JSON, as --format json")
	format := fs.String("format", "text", "output format: "+strings.Join(assess.Formats, ", "))
	top := fs.Int("top", 5, "number of hypotheses to show")
	netdata := fs.String("netdata", "", netDataUsage+"; addresses in an actor's networks are weak evidence when present")
	fold := foldFlag(fs)
	if err := a.parseCase(fs, args, 0, ""); err != nil {
		return err
	}
	if *a.json {
		*format = "json"
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	out, err := assess.NewRenderer(*format, w, *top, time.Now())
	if err != nil {
		return fmt.Errorf("%w: --format: %v", errUsage, err)
	}
	network, err := openNetwork(e, *netdata)
	if err != nil {
		return err
	}
	s, done, err := caseService(ctx, e, *a.db, *fold)
	if err != nil {
		return err
	}
	defer done()
	s.Network = network
	know, err := caseKnowledge(ctx, s, *fold)
	if err != nil {
		return err
	}
	res, _, err := s.Attribute(ctx, a.id, know, assess.Options{Top: *top}, analyst(e, *a.by))
	if err != nil {
		return err
	}
	if err := out.Result(res); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return w.Flush()
}

func caseConfirm(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case confirm", "[--db PATH] (--actor NAME|ID | --new-actor NAME) [--confidence N] [--analyst NAME] [--reason TEXT] [--json] ID")
	a := caseFlags(fs, "print the case summary as JSON")
	actor := fs.String("actor", "", "the actor the case is attributed to: a name, alias, external id or STIX id")
	newActor := fs.String("new-actor", "", "confirm to a group not in the knowledge base, created with this name")
	conf := confidenceFlag(fs, "confidence", investigation.DefaultConfidence, "the analyst's confidence in the attribution")
	reason := fs.String("reason", "", "why: what the conclusion rests on")
	if err := a.parseCase(fs, args, 0, ""); err != nil {
		return err
	}
	if (*actor == "") == (*newActor == "") {
		return fmt.Errorf("%w: give --actor NAME or --new-actor NAME", errUsage)
	}
	s, done, err := caseService(ctx, e, *a.db, 0)
	if err != nil {
		return err
	}
	defer done()
	know, err := caseKnowledge(ctx, s, 0)
	if err != nil {
		return err
	}
	c, err := s.Confirm(ctx, a.id, know, investigation.Confirmation{Actor: *actor, NewActor: *newActor, Confidence: *conf,
		Analyst: analyst(e, *a.by), Reason: *reason})
	if err != nil {
		return err
	}
	compileKnowledge(ctx, e, s.Store)
	if *a.json {
		return printJSON(e.stdout, summary(c))
	}
	fmt.Fprintf(e.stdout, "%s confirmed to %s (%s): %d objects added to the knowledge base as source %s\n",
		c.ID, c.Confirmation.ActorName, c.Confirmation.Actor, len(c.Confirmation.Objects), c.ID)
	return nil
}

func caseReopen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case reopen", "[--db PATH] [--reason TEXT] [--analyst NAME] [--json] ID")
	a := caseFlags(fs, "print the case summary as JSON")
	reason := fs.String("reason", "", "why the confirmation is withdrawn")
	if err := a.parseCase(fs, args, 0, ""); err != nil {
		return err
	}
	s, done, err := caseService(ctx, e, *a.db, 0)
	if err != nil {
		return err
	}
	defer done()
	c, err := s.Reopen(ctx, a.id, analyst(e, *a.by), *reason)
	if err != nil {
		return err
	}
	compileKnowledge(ctx, e, s.Store)
	if *a.json {
		return printJSON(e.stdout, summary(c))
	}
	fmt.Fprintf(e.stdout, "%s reopened: %s\n", c.ID, c.History[len(c.History)-1].Detail)
	return nil
}

func caseExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case export", "[--db PATH] [--format stix|navigator] [--out FILE] ID")
	a := caseFlags(fs, "accepted for symmetry: the bundle is JSON")
	outPath := fs.String("out", "", "write the bundle to FILE instead of standard output")
	format := fs.String("format", "stix", "stix (a STIX 2.1 bundle) or navigator (an ATT&CK Navigator layer of the case and its leading hypothesis)")
	if err := a.parseCase(fs, args, 0, ""); err != nil {
		return err
	}
	if *format != "stix" && *format != "navigator" {
		return fmt.Errorf("%w: --format %q: want stix or navigator", errUsage, *format)
	}
	dbFiles := storeFiles(e, *a.db)
	if *outPath != "" {
		if err := outfile.Check(*outPath, dbFiles...); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	st, err := openStore(ctx, e, *a.db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if *format == "navigator" {
		return caseNavigator(ctx, e, st, a.id, *outPath, dbFiles)
	}
	s := &investigation.Service{Store: st}
	know, err := caseKnowledge(ctx, s, 0)
	if err != nil {
		return err
	}
	if *outPath == "" {
		w := bufio.NewWriter(e.stdout)
		if err := s.Export(ctx, a.id, know, w); err != nil {
			return err
		}
		return w.Flush()
	}
	return outfile.Write(*outPath, 0o644, dbFiles, func(w io.Writer) error { return s.Export(ctx, a.id, know, w) })
}
