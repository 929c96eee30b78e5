package assess

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Renderer writes attribution results in one format. Result is called
// once per case, in order; Close writes what the format keeps for the end
// (a STIX bundle's closing) and flushes. Renderers do not close w.
type Renderer interface {
	Result(r *attrib.Result) error
	Close() error
}

// Formats are the names NewRenderer accepts.
var Formats = []string{"text", "json", "markdown", "stix"}

// NewRenderer returns the renderer of a format (see Formats) writing to w,
// showing the top hypotheses. now stamps STIX objects.
func NewRenderer(format string, w io.Writer, top int, now time.Time) (Renderer, error) {
	if top < 1 {
		return nil, errs.E(errs.Invalid, "top must be at least 1, not %d", top)
	}
	switch format {
	case "text":
		return &textRenderer{w: w, top: top}, nil
	case "json":
		return &jsonRenderer{w: w, top: top}, nil
	case "markdown":
		return &markdownRenderer{w: w, top: top}, nil
	case "stix":
		return NewSTIX(w, top, now), nil
	}
	return nil, errs.E(errs.Invalid, "unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

type textRenderer struct {
	w   io.Writer
	top int
}

func (t *textRenderer) Result(r *attrib.Result) error { return writeText(t.w, r, t.top) }
func (t *textRenderer) Close() error                  { return nil }

type markdownRenderer struct {
	w   io.Writer
	top int
}

func (m *markdownRenderer) Result(r *attrib.Result) error { return writeMarkdown(m.w, r, m.top) }
func (m *markdownRenderer) Close() error                  { return nil }

// jsonRenderer writes one JSON object per result per line
// (docs/attribution-json.md), with at most top hypotheses.
type jsonRenderer struct {
	w   io.Writer
	top int
}

func (j *jsonRenderer) Result(r *attrib.Result) error {
	out := *r
	if len(out.Hypotheses) > j.top {
		out.Hypotheses = out.Hypotheses[:j.top]
	}
	b, err := json.Marshal(&out)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = j.w.Write(append(b, '\n'))
	return err
}

func (j *jsonRenderer) Close() error { return nil }

// itemText is how an evidence item reads: what the case said, and what it
// was resolved to when that says more ("S0364 RawDisk", not "S0364 =
// S0364 RawDisk"; "attributed to Unit 121 = Lazarus Group", not
// "attributed to Lazarus Group = Lazarus Group").
func itemText(ev attrib.Evidence) string {
	m := ev.Matched
	if m == "" || m == ev.Item {
		return ev.Item
	}
	ni, nm := kb.Normalize(ev.Item), kb.Normalize(m)
	switch {
	case strings.HasSuffix(ni, nm):
		return ev.Item
	case strings.HasPrefix(nm, ni):
		return m
	}
	return ev.Item + " = " + m
}

func pct(p float64) string {
	switch {
	case p >= 0.995 && p < 1:
		return ">99%"
	case p < 0.005 && p > 0:
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", math.Round(p*100))
}

func memberName(h *attrib.Hypothesis, id string) string {
	for _, m := range h.Members {
		if m.ID == id {
			return m.Name
		}
	}
	return id
}

// pathText renders how a member ties to the primary name.
func pathText(h *attrib.Hypothesis, id string) string {
	var b strings.Builder
	b.WriteString(h.Name)
	cur := h.ID
	for _, l := range h.Path(id) {
		next := l.B
		if l.A != cur {
			next = l.A
		}
		fmt.Fprintf(&b, " —[%s %d", l.Reason, l.Confidence)
		if l.Source != "" && !strings.Contains(l.Source, "--") {
			fmt.Fprintf(&b, ", %s", l.Source)
		}
		fmt.Fprintf(&b, "]→ %s", memberName(h, next))
		cur = next
	}
	return b.String()
}

// campaignLines describes the campaigns attributed to a hypothesis, with
// the confidence of each attribution and, for a campaign attributed to a
// folded name, the path from the primary name to it.
func campaignLines(h *attrib.Hypothesis) []string {
	var order []string
	by := map[string][]attrib.Campaign{}
	for _, c := range h.Campaigns {
		if _, ok := by[c.ID]; !ok {
			order = append(order, c.ID)
		}
		by[c.ID] = append(by[c.ID], c)
	}
	var out []string
	for _, id := range order {
		cs := by[id]
		var parts []string
		for _, c := range cs {
			p := fmt.Sprintf("attributed-to %s %d", memberName(h, c.Actor), c.Confidence)
			if c.Source != "" {
				p += " (" + c.Source + ")"
			}
			if c.Actor != h.ID {
				p += ", where " + pathText(h, c.Actor)
			}
			parts = append(parts, p)
		}
		out = append(out, fmt.Sprintf("campaign %s: %s", cs[0].Name, strings.Join(parts, "; ")))
	}
	return out
}

// nameOnly says how many actors the knowledge base knows only by name, and
// so counts with the unknown actor, or "".
func nameOnly(r *attrib.Result) string {
	switch r.NameOnly {
	case 0:
		return ""
	case 1:
		return " (or the 1 actor it knows only by name)"
	}
	return fmt.Sprintf(" (or one of the %d actors it knows only by name)", r.NameOnly)
}

// otherNames returns the members of h whose name differs from the
// hypothesis' own: how each ties to the primary is worth a line, while a
// source's copy of the same group under the same name is not.
func otherNames(h *attrib.Hypothesis) []attrib.Member {
	var out []attrib.Member
	seen := map[string]bool{kb.Normalize(h.Name): true}
	for _, m := range h.Members[min(1, len(h.Members)):] {
		if n := kb.Normalize(m.Name); !seen[n] {
			seen[n] = true
			out = append(out, m)
		}
	}
	return out
}

func writeText(w io.Writer, r *attrib.Result, top int) error {
	fmt.Fprintf(w, "case %s\n", r.Case)
	for i, h := range r.Hypotheses {
		if i >= top {
			break
		}
		ext := ""
		if h.ExternalID != "" {
			ext = " (" + h.ExternalID + ")"
		}
		fmt.Fprintf(w, "%2d. %s%s  %s  %s\n", i+1, h.Name, ext, pct(h.Probability), h.Estimate)
		if len(h.Aliases) > 0 {
			fmt.Fprintf(w, "    also known as: %s\n", strings.Join(h.Aliases, ", "))
		}
		for _, m := range otherNames(&h) {
			fmt.Fprintf(w, "    %s: %s\n", m.Name, pathText(&h, m.ID))
		}
		for _, line := range campaignLines(&h) {
			fmt.Fprintf(w, "    %s\n", line)
		}
		const maxEvidence = 12
		for j, ev := range h.Evidence {
			if j == maxEvidence {
				fmt.Fprintf(w, "    … %d more items (--json lists them all)\n", len(h.Evidence)-j)
				break
			}
			fmt.Fprintf(w, "    %+6.2f  %-9s %s  [%s to fake; %s]\n", ev.Weight, ev.Kind, itemText(ev), ev.Cost, ev.Detail)
		}
	}
	fmt.Fprintf(w, "    an actor not in the knowledge base: %s  %s%s\n", pct(r.Unknown), r.UnknownEstimate, nameOnly(r))
	fmt.Fprintf(w, "confidence: %s (%d items, %d kinds for the leading hypothesis, %d costly to fake)\n",
		r.Confidence, r.Basis.Items, r.Basis.Kinds, r.Basis.Costly)
	if c := r.Coverage; c.Items > 0 {
		fmt.Fprintf(w, "coverage: %d of %d techniques and software are known to some actor, %d to the leading hypothesis\n", c.Known, c.Items, c.Top)
		if c.Verdict != "" {
			fmt.Fprintf(w, "note: %s\n", c.Verdict)
		}
	}
	if len(r.Next) > 0 {
		fmt.Fprintln(w, "look for next:")
		for _, s := range r.Next {
			fmt.Fprintf(w, "    %s %s %s (favours %s, %.3f)\n", s.Kind, s.ID, s.Name, s.Favours, s.Weight)
		}
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	_, err := fmt.Fprintln(w)
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`).Replace(s)
}

func writeMarkdown(w io.Writer, r *attrib.Result, top int) error {
	fmt.Fprintf(w, "## Attribution: %s\n\n", mdEscape(r.Case))
	fmt.Fprintf(w, "Confidence: **%s** (%d items, %d kinds for the leading hypothesis, %d costly to fake).\n\n",
		r.Confidence, r.Basis.Items, r.Basis.Kinds, r.Basis.Costly)
	if c := r.Coverage; c.Items > 0 {
		fmt.Fprintf(w, "Coverage: %d of %d techniques and software are known to some actor, %d to the leading hypothesis.\n\n", c.Known, c.Items, c.Top)
		if c.Verdict != "" {
			fmt.Fprintf(w, "**Note:** %s.\n\n", mdEscape(c.Verdict))
		}
	}
	fmt.Fprintln(w, "| # | actor | probability | estimate |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for i, h := range r.Hypotheses {
		if i >= top {
			break
		}
		name := mdEscape(h.Name)
		if h.ExternalID != "" {
			name += " (" + h.ExternalID + ")"
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s |\n", i+1, name, pct(h.Probability), h.Estimate)
	}
	fmt.Fprintf(w, "| | an actor not in the knowledge base%s | %s | %s |\n\n", nameOnly(r), pct(r.Unknown), r.UnknownEstimate)
	for i, h := range r.Hypotheses {
		if i >= top || len(h.Evidence) == 0 {
			break
		}
		fmt.Fprintf(w, "### %s\n\n", mdEscape(h.Name))
		if len(h.Aliases) > 0 {
			fmt.Fprintf(w, "Also known as: %s.\n\n", mdEscape(strings.Join(h.Aliases, ", ")))
		}
		for _, m := range otherNames(&h) {
			fmt.Fprintf(w, "- %s: %s\n", mdEscape(m.Name), mdEscape(pathText(&h, m.ID)))
		}
		for _, line := range campaignLines(&h) {
			fmt.Fprintf(w, "- %s\n", mdEscape(line))
		}
		fmt.Fprintln(w, "\n| weight | kind | item | cost to fake | detail |")
		fmt.Fprintln(w, "|---:|---|---|---|---|")
		for _, ev := range h.Evidence {
			fmt.Fprintf(w, "| %+.2f | %s | %s | %s | %s |\n", ev.Weight, ev.Kind, mdEscape(itemText(ev)), ev.Cost, mdEscape(ev.Detail))
		}
		fmt.Fprintln(w)
	}
	if r.Table != nil {
		// The matrix of competing hypotheses, when the result keeps its
		// table (a case's results do, see investigation.Attribute).
		m, err := ach.Build(r, nil)
		if err != nil {
			return err
		}
		m.SortByDiagnosticity()
		if err := m.WriteMarkdown(w); err != nil {
			return err
		}
	}
	if len(r.Next) > 0 {
		fmt.Fprintln(w, "### What to look for next")
		fmt.Fprintln(w)
		for _, s := range r.Next {
			fmt.Fprintf(w, "- %s %s %s (favours %s)\n", s.Kind, s.ID, mdEscape(s.Name), mdEscape(s.Favours))
		}
		fmt.Fprintln(w)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "> warning: %s\n", mdEscape(wn))
	}
	if len(r.Warnings) > 0 {
		_, err := fmt.Fprintln(w)
		return err
	}
	return nil
}

// stixTime formats t as a STIX timestamp with millisecond precision.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// attributionObjects renders one result as STIX 2.1 objects: an incident
// for the case, an attributed-to relationship from it to each of the top
// hypotheses carrying the probability as confidence (0-100), and a note
// with the estimate, the confidence level and the leading evidence. The
// identity of culprit as creator is shared by all results.
func attributionObjects(r *attrib.Result, top int, creator string, now time.Time) ([]any, error) {
	ts := stixTime(now)
	key := "culprit attribution|" + r.Case + "|" + ts
	incident := stix.DeterministicID("incident", key)
	type common struct {
		Type        string `json:"type"`
		SpecVersion string `json:"spec_version"`
		ID          string `json:"id"`
		CreatedBy   string `json:"created_by_ref"`
		Created     string `json:"created"`
		Modified    string `json:"modified"`
	}
	mk := func(typ, id string) common {
		return common{Type: typ, SpecVersion: "2.1", ID: id, CreatedBy: creator, Created: ts, Modified: ts}
	}
	objs := []any{struct {
		common
		Name        string `json:"name"`
		Description string `json:"description"`
	}{mk("incident", incident), r.Case, "Incident attributed by culprit."}}
	refs := []string{incident}
	var summary strings.Builder
	fmt.Fprintf(&summary, "Attribution of %s (confidence %s).\n", r.Case, r.Confidence)
	for i, h := range r.Hypotheses {
		if i >= top {
			break
		}
		rel := stix.DeterministicID("relationship", key+"|"+h.ID)
		conf := int(math.Round(h.Probability * 100))
		objs = append(objs, struct {
			common
			RelationshipType string `json:"relationship_type"`
			SourceRef        string `json:"source_ref"`
			TargetRef        string `json:"target_ref"`
			Confidence       int    `json:"confidence"`
			Description      string `json:"description"`
		}{mk("relationship", rel), "attributed-to", incident, h.ID, conf,
			fmt.Sprintf("%s: %s (%.1f%%)", h.Name, h.Estimate, h.Probability*100)})
		refs = append(refs, rel, h.ID)
		fmt.Fprintf(&summary, "%d. %s: %s (%.1f%%)\n", i+1, h.Name, h.Estimate, h.Probability*100)
		for j, ev := range h.Evidence {
			if j >= 5 {
				break
			}
			fmt.Fprintf(&summary, "   %+.2f %s %s [%s to fake]\n", ev.Weight, ev.Kind, ev.Item, ev.Cost)
		}
	}
	fmt.Fprintf(&summary, "An actor not in the knowledge base: %s (%.1f%%).\n", r.UnknownEstimate, r.Unknown*100)
	objs = append(objs, struct {
		common
		Abstract   string   `json:"abstract"`
		Content    string   `json:"content"`
		Authors    []string `json:"authors"`
		ObjectRefs []string `json:"object_refs"`
	}{mk("note", stix.DeterministicID("note", key)), "culprit attribution of " + r.Case, summary.String(), []string{"culprit"}, refs})
	return objs, nil
}

// STIXRenderer writes the results as one STIX 2.1 bundle: culprit's
// identity, then for each result an incident, attributed-to relationships
// and a note (see attributionObjects).
type STIXRenderer struct {
	bw      *stix.BundleWriter
	top     int
	now     time.Time
	creator string
	started bool
}

// NewSTIX returns a renderer that writes one bundle to w.
func NewSTIX(w io.Writer, top int, now time.Time) *STIXRenderer {
	return &STIXRenderer{bw: stix.NewBundleWriter(w), top: top, now: now.UTC(), creator: stix.DeterministicID("identity", "culprit")}
}

func (s *STIXRenderer) write(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode STIX result: %w", err)
	}
	o, err := stix.ParseObject(raw)
	if err != nil {
		return fmt.Errorf("encode STIX result: %w", err)
	}
	return s.bw.Write(o)
}

func (s *STIXRenderer) start() error {
	if s.started {
		return nil
	}
	s.started = true
	ts := stixTime(s.now)
	return s.write(map[string]any{"type": "identity", "spec_version": "2.1", "id": s.creator, "created": ts, "modified": ts,
		"name": "culprit", "identity_class": "system", "description": "culprit attribution engine"})
}

// Result adds the objects of one result to the bundle.
func (s *STIXRenderer) Result(r *attrib.Result) error {
	if err := s.start(); err != nil {
		return err
	}
	objs, err := attributionObjects(r, s.top, s.creator, s.now)
	if err != nil {
		return err
	}
	for _, v := range objs {
		if err := s.write(v); err != nil {
			return err
		}
	}
	return nil
}

// Close ends the bundle.
func (s *STIXRenderer) Close() error {
	if err := s.start(); err != nil {
		return err
	}
	return s.bw.Close()
}
