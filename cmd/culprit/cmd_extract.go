package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/stix"
)

func extractCommand() command {
	return command{"find indicators, names and attribution statements in reports (text, Markdown, HTML, PDF)", runExtract}
}

// extractOutput is what culprit extract found in one run, in input order.
type extractOutput struct {
	files []extractFile
	// attack holds the knowledge's attack patterns and software by ATT&CK
	// id, so that the STIX output refers to them rather than writing
	// copies.
	attack map[string]assess.AttackRef
}

// extractFile is one report: what assess.Extract found, and its SHA-256
// for --about's provenance.
type extractFile struct {
	assess.ExtractedReport
	sha256 string
}

func runExtract(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "extract", "[flags] FILE...|-")
	format := fs.String("format", "yaml", "output: yaml (a case file), stix (a STIX 2.1 bundle) or json (every item with its offset and snippet)")
	asJSON := fs.Bool("json", false, "same as --format json")
	db := fs.String("db", "", dbUsage+"; names are those of the knowledge base, or of the starter knowledge when it is empty")
	warn := fs.String("warninglists", "", "directory of MISP warninglists (lists/<name>/list.json[.gz]): items on them are marked probably benign")
	own := fs.String("own", "", "comma-separated domains of the report's author: items under them are marked as such")
	maxBytes := fs.Int64("max-bytes", extract.DefaultMaxBytes, "refuse an input larger than this many bytes")
	at := fs.String("time", "", "timestamp of the STIX objects (RFC 3339; default now)")
	netdata := fs.String("netdata", "", netDataUsage+"; addresses are enriched with it when present")
	about := fs.String("about", "", "with --format stix: the reports are about this actor (a name, alias or id of the knowledge base); write their techniques, software and indicators as knowledge about it, at confidence 30, with each report as provenance")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *asJSON {
		*format = "json"
	}
	switch *format {
	case "yaml", "stix", "json":
	default:
		return fmt.Errorf("%w: --format %q: want yaml, stix or json", errUsage, *format)
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: no report given (a file, or - for standard input)", errUsage)
	}
	var actor aboutActor
	if *about != "" {
		if *format != "stix" {
			return fmt.Errorf("%w: --about writes knowledge as STIX: give --format stix", errUsage)
		}
		for _, name := range fs.Args() {
			if name == "-" {
				return fmt.Errorf("%w: --about needs the report as a file (its name and SHA-256 are the provenance), not standard input", errUsage)
			}
		}
		var err error
		if actor, err = resolveAbout(ctx, e, *db, *about); err != nil {
			return err
		}
	}
	now := time.Now().UTC()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("%w: --time %q: %v", errUsage, *at, err)
		}
		now = t.UTC()
	}
	opt := extract.Options{MaxBytes: *maxBytes}
	if *own != "" {
		opt.OwnDomains = strings.Split(*own, ",")
	}
	if *warn != "" {
		lists, err := extract.LoadWarninglists(*warn)
		if err != nil {
			return err
		}
		opt.Warninglists = lists
	}
	network, err := openNetData(e, *netdata)
	if err != nil {
		return err
	}
	opt.Network = network
	know, err := extractKnowledge(ctx, e, *db)
	if err != nil {
		return err
	}
	opt.Names = know.Names
	out := extractOutput{attack: know.Attack}
	for _, name := range fs.Args() {
		f, err := extractFileItems(e, name, opt, know)
		if err != nil {
			return err
		}
		if *about != "" {
			if f.sha256, err = fileSHA256(name); err != nil {
				return fmt.Errorf("hash report: %w", err)
			}
		}
		out.files = append(out.files, f)
	}
	var buf bytes.Buffer
	switch *format {
	case "json":
		err = assess.WriteExtractJSON(&buf, out.reports())
	case "yaml":
		err = assess.WriteCaseFile(&buf, out.reports())
	case "stix":
		if *about != "" {
			err = writeExtractAbout(&buf, out, actor, now)
		} else {
			err = writeExtractSTIX(&buf, out, now)
		}
	}
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(buf.Bytes())
	return err
}

// extractKnowledge reads what extraction needs (assess.LoadExtractKnowledge)
// from the knowledge base read-only, or from the starter knowledge when
// there is none.
func extractKnowledge(ctx context.Context, e *env, dbFlag string) (*assess.ExtractKnowledge, error) {
	path, err := dbPath(e, dbFlag)
	if err == nil {
		if serr := storeExists(path); serr == nil || dbFlag != "" {
			st, err := openStore(ctx, e, dbFlag, false)
			if err != nil {
				return nil, err
			}
			defer st.Close()
			return assess.LoadExtractKnowledge(ctx, st)
		}
	}
	return assess.LoadExtractKnowledge(ctx, nil)
}

func extractFileItems(e *env, name string, opt extract.Options, know *assess.ExtractKnowledge) (extractFile, error) {
	var r io.Reader
	if name == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return extractFile{}, errs.Wrap(errs.NotFound, err, "open report")
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return extractFile{}, errs.E(errs.Invalid, "%s is a directory, not a report", name)
		}
		r = f
	}
	rep, err := know.Extract(name, r, opt)
	if err != nil {
		return extractFile{}, err
	}
	return extractFile{ExtractedReport: rep}, nil
}

// reports returns the reports of out.
func (out extractOutput) reports() []assess.ExtractedReport {
	rs := make([]assess.ExtractedReport, len(out.files))
	for i, f := range out.files {
		rs[i] = f.ExtractedReport
	}
	return rs
}

// writeExtractSTIX writes a STIX 2.1 bundle: a report per input (labelled
// extracted-not-reviewed) referring to the observables, vulnerabilities
// and notes found; each attribution statement is a note on the report.
// Observables have the deterministic ids STIX 2.1 section 2.9 defines
// (UUIDv5 of their identifying properties).
func writeExtractSTIX(w io.Writer, out extractOutput, now time.Time) error {
	ts := now.Format("2006-01-02T15:04:05.000Z")
	bw := stix.NewBundleWriter(w)
	var keys []string
	for _, f := range out.files {
		keys = append(keys, f.Name)
	}
	bw.ID = stix.DeterministicID("bundle", "culprit extract\x00"+strings.Join(keys, "\x00")+"\x00"+ts)
	written := map[string]bool{}
	emit := func(v map[string]any) (string, error) {
		id := v["id"].(string)
		if written[id] {
			return id, nil
		}
		written[id] = true
		raw, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		o, err := stix.ParseObject(raw)
		if err != nil {
			return "", fmt.Errorf("build STIX object: %w", err)
		}
		return id, bw.Write(o)
	}
	sco := func(typ string, props map[string]any) map[string]any {
		key, _ := json.Marshal(props)
		v := map[string]any{"type": typ, "spec_version": "2.1", "id": stix.DeterministicID(typ, string(key))}
		for k, p := range props {
			v[k] = p
		}
		return v
	}
	for _, f := range out.files {
		src := assess.ReportName(f.Name)
		reportID := stix.DeterministicID("report", "culprit extract\x00"+f.Name+"\x00"+ts)
		var refs []string
		for _, it := range f.Items {
			var v map[string]any
			switch ioc.Type(it.Kind) {
			case ioc.IPv4, ioc.IPv6, ioc.Domain, ioc.URL, ioc.Email:
				v = sco(string(it.Kind), map[string]any{"value": it.Value})
			case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512, ioc.SSDEEP, ioc.TLSH:
				v = sco("file", map[string]any{"hashes": map[string]string{strings.TrimPrefix(string(it.Kind), "file:hashes."): it.Value}})
			case ioc.RegistryKey:
				v = sco("windows-registry-key", map[string]any{"key": it.Value})
			case ioc.ASN:
				n, _ := strconv.ParseUint(strings.TrimPrefix(it.Value, "AS"), 10, 32)
				v = sco("autonomous-system", map[string]any{"number": n})
			case ioc.CVE:
				v = map[string]any{"type": "vulnerability", "spec_version": "2.1", "id": stix.DeterministicID("vulnerability", it.Value),
					"created": ts, "modified": ts, "name": it.Value,
					"external_references": []map[string]string{{"source_name": "cve", "external_id": it.Value}}}
			}
			if v == nil {
				continue
			}
			id, err := emit(v)
			if err != nil {
				return err
			}
			refs = append(refs, id)
		}
		// Techniques: those of the knowledge by reference (a copy would
		// replace the curated object on import), others as attack
		// patterns of their own; each with a note holding its sentence.
		techs := fileTechniques(f)
		for _, te := range techs {
			ap, ok := out.attack[te.id]
			if !ok {
				ap.ID = stix.DeterministicID("attack-pattern", "mitre-attack\x00"+te.id)
				if _, err := emit(map[string]any{"type": "attack-pattern", "spec_version": "2.1", "id": ap.ID, "created": ts, "modified": ts,
					"name": te.id, "external_references": []map[string]string{{"source_name": "mitre-attack", "external_id": te.id}}}); err != nil {
					return err
				}
			}
			refs = append(refs, ap.ID)
			te.ref = ap.ID
		}
		refs = uniqueStrings(refs)
		if len(refs) == 0 {
			// A report must refer to something: the statements are
			// notes on it, so it refers to itself through them only;
			// STIX requires object_refs to be non-empty.
			refs = []string{reportID}
		}
		if _, err := emit(map[string]any{"type": "report", "spec_version": "2.1", "id": reportID, "created": ts, "modified": ts,
			"name": "extracted from " + src, "published": ts, "report_types": []string{"threat-report"},
			"labels": []string{"extracted-not-reviewed"}, "confidence": 15, "object_refs": refs,
			"description": "Indicators culprit extract found in " + src + "; not reviewed by an analyst."}); err != nil {
			return err
		}
		for _, te := range techs {
			n := map[string]any{"type": "note", "spec_version": "2.1", "id": stix.DeterministicID("note", reportID+"\x00"+te.id),
				"created": ts, "modified": ts, "abstract": "technique " + te.id + " (" + te.how + ")", "content": te.sentence,
				"object_refs": []string{te.ref, reportID}, "labels": []string{"extracted-not-reviewed", "technique"}}
			if _, err := emit(n); err != nil {
				return err
			}
		}
		for _, it := range f.Items {
			if it.Kind != extract.KindStatement {
				continue
			}
			st := it.Statement
			abstract := "attribution statement (" + st.Type
			if len(st.Hedges) > 0 {
				abstract += ", hedged: " + strings.Join(st.Hedges, ", ")
			}
			abstract += "): " + st.Subject
			content := st.Sentence
			if st.Source != "" {
				content += "\n\nSource: " + st.Source
			}
			if len(st.Context) > 0 {
				content += "\n\nContext (not evidence of an actor): " + strings.Join(st.Context, "; ")
			}
			n := map[string]any{"type": "note", "spec_version": "2.1", "id": stix.DeterministicID("note", reportID+"\x00"+strconv.FormatInt(it.Offset, 10)),
				"created": ts, "modified": ts, "abstract": abstract, "content": content, "object_refs": []string{reportID},
				"labels": []string{"extracted-not-reviewed", "attribution-statement", st.Type}}
			if _, err := emit(n); err != nil {
				return err
			}
		}
	}
	return bw.Close()
}

// techniqueEvidence is a technique found in a report and what supports it.
type techniqueEvidence struct {
	id       string // ATT&CK id
	how      string // "id", "named as ...", "described, cosine ..."
	sentence string
	ref      string // the STIX id written
}

// fileTechniques returns the techniques of a report, once each, first
// by id, then by name, then as described, in that order of strength.
func fileTechniques(f extractFile) []*techniqueEvidence {
	var out []*techniqueEvidence
	seen := map[string]bool{}
	add := func(id, how, sentence string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, &techniqueEvidence{id: id, how: how, sentence: sentence})
		}
	}
	for _, it := range f.Items {
		if it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "T") && !strings.HasPrefix(it.Value, "TA") {
			add(it.Value, "id", it.Snippet)
		}
	}
	for _, it := range f.Items {
		if it.Kind == extract.KindTechnique {
			for _, id := range assess.TechniqueIDs(it.Candidates) {
				add(id, assess.NamedAs(it.Text), it.Sentence)
			}
		}
	}
	for _, tf := range f.Techniques {
		add(tf.Technique, fmt.Sprintf("described, not named: technique model, cosine %.2f", tf.Score), tf.Sentence)
	}
	return out
}

func uniqueStrings(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
