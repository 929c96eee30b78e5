package assess

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/extract/technique"
	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Extraction as every front end runs it (culprit extract, culprit case
// add, the server's extraction and report routes): the knowledge's names
// and technique model, a report read once through package extract, and
// the result written as a case file or as JSON with offsets.

// ExtractKnowledge is what extraction reads from the knowledge.
type ExtractKnowledge struct {
	Names *extract.Matcher
	// Model finds described techniques; nil when the knowledge holds too
	// few procedure texts (fewer than MinProcedures).
	Model *technique.Model
	// Attack holds the knowledge's attack patterns and software by
	// ATT&CK id, so that STIX output refers to them rather than writing
	// copies.
	Attack map[string]AttackRef
}

// AttackRef is a technique or software of the knowledge: its STIX id and
// name.
type AttackRef struct{ ID, Name string }

// ExtractedReport is what extraction found in one report.
type ExtractedReport struct {
	Name       string // as given; see ReportName
	Format     extract.Format
	Items      []extract.Item
	Techniques []technique.Found // described techniques, when the knowledge has a model
}

// ExtractSource is the part of the knowledge extraction reads: a store,
// or an access.View of it.
type ExtractSource interface {
	Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error
	Relationships(ctx context.Context, q kb.RelationshipQuery, fn func(*stix.Object) error) error
}

// MinProcedures is the fewest procedure texts a technique model is
// trained on: the starter knowledge's dozen would make a model that
// guesses.
const MinProcedures = 500

// maxTechniqueText bounds the text kept for the technique pass.
const maxTechniqueText = 64 << 20

// LoadExtractKnowledge builds the name matcher and, when the knowledge
// holds enough procedure texts (an ATT&CK import), the technique model,
// from src, or from the names of the starter knowledge when src is nil
// or holds no names.
func LoadExtractKnowledge(ctx context.Context, src ExtractSource) (*ExtractKnowledge, error) {
	var pats, techPats []extract.Pattern
	var procObjs []*stix.Object
	attack := map[string]AttackRef{}
	add := func(o *stix.Object) error {
		if o.Type == "attack-pattern" {
			procObjs = append(procObjs, o)
			techPats = append(techPats, extract.TechniquePatterns(o)...)
			if ext := o.ExternalID("mitre-attack"); ext != "" && !o.Revoked && !o.Deprecated {
				attack[ext] = AttackRef{o.ID, o.Name}
			}
			return nil
		}
		pats = append(pats, extract.PatternsOf(o)...)
		if ext := o.ExternalID("mitre-attack"); ext != "" && (o.Type == "malware" || o.Type == "tool") && !o.Revoked && !o.Deprecated {
			attack[ext] = AttackRef{o.ID, o.Name}
		}
		return nil
	}
	if src != nil {
		types := []string{"attack-pattern"}
		for t := range extract.NameTypes {
			types = append(types, t)
		}
		sort.Strings(types)
		if err := src.Objects(ctx, kb.ObjectQuery{Types: types}, add); err != nil {
			return nil, fmt.Errorf("read names from the knowledge base: %w", err)
		}
		if err := src.Relationships(ctx, kb.RelationshipQuery{Types: []string{"uses"}}, func(o *stix.Object) error {
			if o.Description != "" {
				procObjs = append(procObjs, o)
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("read procedures from the knowledge base: %w", err)
		}
	}
	if len(pats) == 0 {
		objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "starter knowledge")
		if err != nil {
			return nil, err
		}
		techPats = techPats[:0]
		for _, o := range objs {
			add(o)
		}
	}
	var model *technique.Model
	if procs := technique.Procedures(procObjs); len(procs) >= MinProcedures {
		model = technique.Train(procs)
		model.Threshold = technique.ProseThreshold
	}
	return &ExtractKnowledge{Names: extract.NewMatcher(append(pats, techPats...)), Model: model, Attack: attack}, nil
}

// Extract reads the report name (text, Markdown, HTML or PDF, told by
// extract.OpenText from its name and content) from r and returns what it
// holds, with the knowledge's names (opt.Names, when unset) and, when the
// knowledge has a model, the techniques it describes. opt.MaxBytes bounds
// the input.
func (k *ExtractKnowledge) Extract(name string, r io.Reader, opt extract.Options) (ExtractedReport, error) {
	if opt.Names == nil {
		opt.Names = k.Names
	}
	text, format, err := extract.OpenText(name, r)
	if err != nil {
		return ExtractedReport{}, fmt.Errorf("%s: %w", name, err)
	}
	defer text.Close()
	// The technique pass reads the text again: keep it, up to a bound.
	var kept bytes.Buffer
	var r2 io.Reader = text
	if k.Model != nil {
		r2 = io.TeeReader(text, &limitedBuffer{buf: &kept, max: maxTechniqueText})
	}
	items, err := extract.All(r2, opt)
	if err != nil {
		return ExtractedReport{}, fmt.Errorf("%s: %w", name, err)
	}
	f := ExtractedReport{Name: name, Format: format, Items: items}
	if k.Model != nil && kept.Len() < maxTechniqueText {
		f.Techniques = k.Model.Find(kept.String())
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

// ReportJSON is one report in the JSON of culprit extract --json and of
// the server's extraction route.
type ReportJSON struct {
	File       string            `json:"file"`
	Format     extract.Format    `json:"format"`
	Items      []extract.Item    `json:"items"`
	Techniques []technique.Found `json:"techniques,omitempty"`
}

// JSON returns r as it is written in JSON (no items is an empty list).
func (r ExtractedReport) JSON() ReportJSON {
	items := r.Items
	if items == nil {
		items = []extract.Item{}
	}
	return ReportJSON{r.Name, r.Format, items, r.Techniques}
}

// WriteExtractJSON writes every item of the reports with its offset and
// snippet, and the described techniques, as culprit extract --json does.
func WriteExtractJSON(w io.Writer, reports []ExtractedReport) error {
	var v []ReportJSON
	for _, f := range reports {
		v = append(v, f.JSON())
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

// ReportName is how output names a report: its base name, or "standard
// input" for "-".
func ReportName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return filepath.Base(name)
}

// WriteCaseFile writes a case file in the format casefile parses. Every
// entry is marked "extracted, not reviewed"; claims are unrated, for the
// analyst to rate on the Admiralty scale. Probably benign indicators are
// written as comments, so that nothing is lost and nothing counts as
// evidence before an analyst uncomments it.
func WriteCaseFile(w io.Writer, reports []ExtractedReport) error {
	var names []string
	for _, f := range reports {
		names = append(names, ReportName(f.Name))
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
	if credit := networkCredit(reports); credit != "" {
		fmt.Fprintf(&b, "# Networks of addresses (offline): %s.\n", credit)
	}
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
	for _, f := range reports {
		src := ReportName(f.Name)
		for _, it := range f.Items {
			where := fmt.Sprintf("extracted, not reviewed; %s offset %d", src, it.Offset)
			switch {
			case it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "T") && !strings.HasPrefix(it.Value, "TA"):
				if once("t" + it.Value) {
					techniques = append(techniques, fmt.Sprintf("  - {id: %s, source: %s, note: %s}", it.Value, q(src), q(where+": "+it.Snippet)))
				}
			case it.Kind == extract.KindTechnique:
				ids := TechniqueIDs(it.Candidates)
				if len(ids) == 0 || !once("t"+ids[0]) {
					continue
				}
				note := where + ": " + NamedAs(it.Text)
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
				if it.Network != nil {
					where += "; " + it.Network.String()
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
				cl := StatementClaim(it.Statement, src, it.Offset, false)
				var c strings.Builder
				fmt.Fprintf(&c, "  - actor: %s\n    statement: %s\n    source: %s\n", q(cl.Actor), q(cl.Statement), q(cl.Source))
				if cl.SelfClaim {
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
	for _, f := range reports {
		src := ReportName(f.Name)
		for _, tf := range f.Techniques {
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

// NamedAs says how a name was found in a report: the matched text,
// quoted, with its whitespace collapsed (a name may break across lines,
// and a note showing "Disk\r\nStructure Wipe" escapes helps no one).
func NamedAs(text string) string {
	return fmt.Sprintf("named %q", strings.Join(strings.Fields(text), " "))
}

// TechniqueIDs returns the distinct ATT&CK ids of a technique name's
// candidates (a name two sub-techniques share has two), in order.
func TechniqueIDs(cs []extract.Candidate) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		if c.ExternalID != "" && !seen[c.ExternalID] {
			seen[c.ExternalID] = true
			out = append(out, c.ExternalID)
		}
	}
	return out
}

// networkCredit returns the credit of the network data shown in reports
// (their licence asks for it wherever they are displayed), or "".
func networkCredit(reports []ExtractedReport) string {
	for _, f := range reports {
		for _, it := range f.Items {
			if it.Network != nil && it.Network.Credit != "" {
				return it.Network.Credit
			}
		}
	}
	return ""
}
