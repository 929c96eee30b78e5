package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/extract/technique"
	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/kb"
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
	attack map[string]attackPattern
}

// attackPattern is a technique of the knowledge: its STIX id and name.
type attackPattern struct{ id, name string }

// extractKnowledgeOf is what culprit extract reads from the knowledge.
type extractKnowledgeOf struct {
	names  *extract.Matcher
	model  *technique.Model
	attack map[string]attackPattern
}

type extractFile struct {
	name       string
	format     extract.Format
	items      []extract.Item
	techniques []technique.Found // described techniques, when the knowledge has a model
	sha256     string            // of the report file, for --about's provenance
}

// minProcedures is the fewest procedure texts a technique model is
// trained on: the starter knowledge's dozen would make a model that
// guesses.
const minProcedures = 500

// maxTechniqueText bounds the text kept for the technique pass.
const maxTechniqueText = 64 << 20

func runExtract(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "extract", "[flags] FILE...|-")
	format := fs.String("format", "yaml", "output: yaml (a case file), stix (a STIX 2.1 bundle) or json (every item with its offset and snippet)")
	asJSON := fs.Bool("json", false, "same as --format json")
	db := fs.String("db", "", dbUsage+"; names are those of the knowledge base, or of the starter knowledge when it is empty")
	warn := fs.String("warninglists", "", "directory of MISP warninglists (lists/<name>/list.json[.gz]): items on them are marked probably benign")
	own := fs.String("own", "", "comma-separated domains of the report's author: items under them are marked as such")
	maxBytes := fs.Int64("max-bytes", extract.DefaultMaxBytes, "refuse an input larger than this many bytes")
	at := fs.String("time", "", "timestamp of the STIX objects (RFC 3339; default now)")
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
	know, err := extractKnowledge(ctx, e, *db)
	if err != nil {
		return err
	}
	opt.Names = know.names
	out := extractOutput{attack: know.attack}
	for _, name := range fs.Args() {
		f, err := extractFileItems(e, name, opt, know.model)
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
		err = writeExtractJSON(&buf, out)
	case "yaml":
		err = writeExtractYAML(&buf, out)
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

// extractKnowledge builds the name matcher and, when the knowledge holds
// enough procedure texts (an ATT&CK import), the technique model, from the
// knowledge base read-only, or the names of the starter knowledge when
// there is none.
func extractKnowledge(ctx context.Context, e *env, dbFlag string) (extractKnowledgeOf, error) {
	var pats, techPats []extract.Pattern
	var procObjs []*stix.Object
	attack := map[string]attackPattern{}
	add := func(o *stix.Object) error {
		if o.Type == "attack-pattern" {
			procObjs = append(procObjs, o)
			techPats = append(techPats, extract.TechniquePatterns(o)...)
			if ext := o.ExternalID("mitre-attack"); ext != "" && !o.Revoked && !o.Deprecated {
				attack[ext] = attackPattern{o.ID, o.Name}
			}
			return nil
		}
		pats = append(pats, extract.PatternsOf(o)...)
		if ext := o.ExternalID("mitre-attack"); ext != "" && (o.Type == "malware" || o.Type == "tool") && !o.Revoked && !o.Deprecated {
			attack[ext] = attackPattern{o.ID, o.Name}
		}
		return nil
	}
	path, err := dbPath(e, dbFlag)
	if err == nil {
		if serr := storeExists(path); serr == nil || dbFlag != "" {
			st, err := openStore(ctx, e, dbFlag, false)
			if err != nil {
				return extractKnowledgeOf{}, err
			}
			defer st.Close()
			types := []string{"attack-pattern"}
			for t := range extract.NameTypes {
				types = append(types, t)
			}
			sort.Strings(types)
			if err := st.Objects(ctx, kb.ObjectQuery{Types: types}, add); err != nil {
				return extractKnowledgeOf{}, fmt.Errorf("read names from the knowledge base: %w", err)
			}
			if err := st.Relationships(ctx, kb.RelationshipQuery{Types: []string{"uses"}}, func(o *stix.Object) error {
				if o.Description != "" {
					procObjs = append(procObjs, o)
				}
				return nil
			}); err != nil {
				return extractKnowledgeOf{}, fmt.Errorf("read procedures from the knowledge base: %w", err)
			}
		}
	}
	if len(pats) == 0 {
		objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter knowledge")
		if err != nil {
			return extractKnowledgeOf{}, err
		}
		techPats = techPats[:0]
		for _, o := range objs {
			add(o)
		}
	}
	var model *technique.Model
	if procs := technique.Procedures(procObjs); len(procs) >= minProcedures {
		model = technique.Train(procs)
		model.Threshold = technique.ProseThreshold
	}
	return extractKnowledgeOf{names: extract.NewMatcher(append(pats, techPats...)), model: model, attack: attack}, nil
}

func extractFileItems(e *env, name string, opt extract.Options, model *technique.Model) (extractFile, error) {
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
	text, format, err := extract.OpenText(name, r)
	if err != nil {
		return extractFile{}, fmt.Errorf("%s: %w", name, err)
	}
	defer text.Close()
	// The technique pass reads the text again: keep it, up to a bound.
	var kept bytes.Buffer
	var r2 io.Reader = text
	if model != nil {
		r2 = io.TeeReader(text, &limitedBuffer{buf: &kept, max: maxTechniqueText})
	}
	items, err := extract.All(r2, opt)
	if err != nil {
		return extractFile{}, fmt.Errorf("%s: %w", name, err)
	}
	f := extractFile{name: name, format: format, items: items}
	if model != nil && kept.Len() < maxTechniqueText {
		f.techniques = model.Find(kept.String())
	}
	return f, nil
}

// limitedBuffer keeps the first max bytes written to it and drops the
// rest (a report larger than that gets no technique pass).
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func writeExtractJSON(w io.Writer, out extractOutput) error {
	type file struct {
		File       string            `json:"file"`
		Format     extract.Format    `json:"format"`
		Items      []extract.Item    `json:"items"`
		Techniques []technique.Found `json:"techniques,omitempty"`
	}
	var v []file
	for _, f := range out.files {
		items := f.items
		if items == nil {
			items = []extract.Item{}
		}
		v = append(v, file{f.name, f.format, items, f.techniques})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// caseIndicatorTypes are the indicator types a case file holds as
// indicators; the others go to the notes.
var caseIndicatorTypes = map[extract.Kind]bool{
	extract.Kind(ioc.IPv4): true, extract.Kind(ioc.IPv6): true, extract.Kind(ioc.Domain): true,
	extract.Kind(ioc.URL): true, extract.Kind(ioc.Email): true, extract.Kind(ioc.MD5): true,
	extract.Kind(ioc.SHA1): true, extract.Kind(ioc.SHA256): true, extract.Kind(ioc.SHA512): true,
}

func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return filepath.Base(name)
}

// writeExtractYAML writes a case file in the format casefile parses. Every
// entry is marked "extracted, not reviewed"; claims are unrated, for the
// analyst to rate on the Admiralty scale. Probably benign indicators are
// written as comments, so that nothing is lost and nothing counts as
// evidence before an analyst uncomments it.
func writeExtractYAML(w io.Writer, out extractOutput) error {
	var names []string
	for _, f := range out.files {
		names = append(names, displayName(f.name))
	}
	// q quotes a scalar as JSON, which YAML reads as a double-quoted
	// string: safe inside flow mappings, where a plain comma would end it.
	q := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Extracted by culprit extract from %s: nothing here is reviewed.\n", strings.Join(names, ", "))
	fmt.Fprintf(&b, "# Check each entry against its report, rate the claims (reliability A-F,\n# credibility 1-6), uncomment probably benign indicators you keep, and\n# delete what is wrong.\n")
	fmt.Fprintf(&b, "name: %s\n", q("extracted from "+strings.Join(names, ", ")))
	var techniques, software, indicators, benign, claims, notes []string
	seen := map[string]bool{}
	once := func(k string) bool {
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	for _, f := range out.files {
		src := displayName(f.name)
		for _, it := range f.items {
			where := fmt.Sprintf("extracted, not reviewed; %s offset %d", src, it.Offset)
			switch {
			case it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "T") && !strings.HasPrefix(it.Value, "TA"):
				if once("t" + it.Value) {
					techniques = append(techniques, fmt.Sprintf("  - {id: %s, source: %s, note: %s}", it.Value, q(src), q(where+": "+it.Snippet)))
				}
			case it.Kind == extract.KindTechnique:
				ids := techniqueIDsOf(it.Candidates)
				if len(ids) == 0 || !once("t"+ids[0]) {
					continue
				}
				note := fmt.Sprintf("%s: named %q", where, it.Text)
				if len(ids) > 1 {
					note += "; ambiguous name, also " + strings.Join(ids[1:], ", ")
				}
				techniques = append(techniques, fmt.Sprintf("  - {id: %s, source: %s, note: %s}", ids[0], q(src), q(note+": "+it.Sentence)))
			case it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "S"):
				if once("s" + it.Value) {
					software = append(software, fmt.Sprintf("  - {id: %s, source: %s, note: %s}", it.Value, q(src), q(where)))
				}
			case caseIndicatorTypes[it.Kind]:
				if !once("i" + string(it.Kind) + it.Value) {
					continue
				}
				line := fmt.Sprintf("  - {type: %s, value: %s, source: %s, note: %s}", string(it.Kind), q(it.Value), q(src), q(where))
				if len(it.Benign) > 0 {
					benign = append(benign, "  # probably benign ("+strings.Join(it.Benign, "; ")+"):", "  #"+line[1:])
				} else {
					indicators = append(indicators, line)
				}
			case it.Kind == extract.KindName:
				isSoftware := false
				for _, c := range it.Candidates {
					isSoftware = isSoftware || c.Type == "malware" || c.Type == "tool"
				}
				if isSoftware && once("n"+it.Value) {
					software = append(software, fmt.Sprintf("  - {name: %s, source: %s, note: %s}", q(it.Value), q(src), q(where+candidatesNote(it.Candidates))))
				} else if !isSoftware && once("a"+it.Value) {
					notes = append(notes, fmt.Sprintf("named: %s (%s offset %d)%s", it.Value, src, it.Offset, candidatesNote(it.Candidates)))
				}
			case it.Kind == extract.KindStatement:
				st := it.Statement
				actor := st.Subject
				for _, a := range st.Actors {
					if strings.EqualFold(strings.Join(strings.Fields(a.Text), " "), st.Subject) && len(a.Candidates) == 1 {
						actor = a.Candidates[0].Name
					}
				}
				desc := "[" + st.Type
				if len(st.Hedges) > 0 {
					desc += "; hedged: " + strings.Join(st.Hedges, ", ")
				}
				desc += "; extracted, not reviewed] " + st.Sentence
				// Each unnamed source is its own: two sentences of one
				// report that name no source are not one source
				// contradicting itself.
				source := st.Source
				switch {
				case st.Type == extract.StatementSelfClaim:
					source = st.Subject + ", speaking of itself, as reported in " + src
				case source == "":
					source = fmt.Sprintf("unnamed (%s offset %d)", src, it.Offset)
				default:
					source += ", as reported in " + src
				}
				var c strings.Builder
				fmt.Fprintf(&c, "  - actor: %s\n    statement: %s\n    source: %s\n", q(actor), q(desc), q(source))
				if st.Type == extract.StatementSelfClaim {
					c.WriteString("    self_claim: true\n")
				}
				claims = append(claims, strings.TrimSuffix(c.String(), "\n"))
			case it.Kind == extract.KindContext:
				if once("c" + it.Value) {
					notes = append(notes, fmt.Sprintf("context (place or infrastructure, not evidence of an actor): %s (%s offset %d)", it.Value, src, it.Offset))
				}
			default:
				if once("o" + string(it.Kind) + it.Value) {
					notes = append(notes, fmt.Sprintf("%s: %s (%s offset %d)", it.Kind, it.Value, src, it.Offset))
				}
			}
		}
	}
	for _, f := range out.files {
		src := displayName(f.name)
		for _, tf := range f.techniques {
			if once("t" + tf.Technique) {
				techniques = append(techniques, fmt.Sprintf("  - {id: %s, source: %s, note: %s}", tf.Technique, q(src),
					q(fmt.Sprintf("extracted, not reviewed; described, not named (technique model, cosine %.2f); %s offset %d: %s", tf.Score, src, tf.Offset, tf.Sentence))))
			}
		}
	}
	section := func(name string, lines ...[]string) {
		n := 0
		for _, l := range lines {
			n += len(l)
		}
		if n == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", name)
		for _, l := range lines {
			for _, s := range l {
				b.WriteString(s + "\n")
			}
		}
	}
	section("techniques", techniques)
	section("software", software)
	if len(indicators) == 0 && len(benign) > 0 {
		b.WriteString("\nindicators:\n")
		for _, s := range benign {
			b.WriteString(s + "\n")
		}
		b.WriteString("  []\n")
	} else {
		section("indicators", indicators, benign)
	}
	section("claims", claims)
	if len(notes) > 0 {
		b.WriteString("\nnotes: |\n")
		for _, n := range notes {
			b.WriteString("  " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func candidatesNote(cs []extract.Candidate) string {
	if len(cs) < 2 {
		return ""
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.Name+" "+c.ID)
	}
	return "; ambiguous name, candidates: " + strings.Join(ids, ", ")
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
		keys = append(keys, f.name)
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
		src := displayName(f.name)
		reportID := stix.DeterministicID("report", "culprit extract\x00"+f.name+"\x00"+ts)
		var refs []string
		for _, it := range f.items {
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
				ap.id = stix.DeterministicID("attack-pattern", "mitre-attack\x00"+te.id)
				if _, err := emit(map[string]any{"type": "attack-pattern", "spec_version": "2.1", "id": ap.id, "created": ts, "modified": ts,
					"name": te.id, "external_references": []map[string]string{{"source_name": "mitre-attack", "external_id": te.id}}}); err != nil {
					return err
				}
			}
			refs = append(refs, ap.id)
			te.ref = ap.id
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
		for _, it := range f.items {
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
	for _, it := range f.items {
		if it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "T") && !strings.HasPrefix(it.Value, "TA") {
			add(it.Value, "id", it.Snippet)
		}
	}
	for _, it := range f.items {
		if it.Kind == extract.KindTechnique {
			for _, id := range techniqueIDsOf(it.Candidates) {
				add(id, fmt.Sprintf("named %q", it.Text), it.Sentence)
			}
		}
	}
	for _, tf := range f.techniques {
		add(tf.Technique, fmt.Sprintf("described, not named: technique model, cosine %.2f", tf.Score), tf.Sentence)
	}
	return out
}

// techniqueIDsOf returns the distinct ATT&CK ids of a technique name's
// candidates (a name two sub-techniques share has two).
func techniqueIDsOf(cs []extract.Candidate) []string {
	var out []string
	for _, c := range cs {
		if c.ExternalID != "" {
			out = append(out, c.ExternalID)
		}
	}
	return uniqueStrings(out)
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
