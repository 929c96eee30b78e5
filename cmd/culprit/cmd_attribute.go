package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runAttribute(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "attribute", "[--db PATH | --bundle FILE...] [--format text|json|markdown] [--top N] [--stix FILE] CASE...")
	db := fs.String("db", "", dbUsage)
	var bundles multiFlag
	fs.Var(&bundles, "bundle", "attribute against this STIX bundle instead of the database (repeatable)")
	format := fs.String("format", "text", "output format: text, json (one object per case per line) or markdown")
	top := fs.Int("top", 5, "number of hypotheses to show")
	stixOut := fs.String("stix", "", "also write the result as a STIX 2.1 bundle to this file")
	warn := fs.String("warninglists", "", "MISP warninglists directory for shared infrastructure (adds to the built-in list)")
	linkMin := fs.Int("link-threshold", attrib.DefaultLinkThreshold, "minimum confidence of a same-as link to fold two actors")
	cases, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		return fmt.Errorf("%w: no case given", errUsage)
	}
	switch *format {
	case "text", "json", "markdown":
	default:
		return fmt.Errorf("%w: unknown format %q (want text, json or markdown)", errUsage, *format)
	}
	if *top < 1 {
		return fmt.Errorf("%w: --top must be at least 1", errUsage)
	}
	know, src, err := loadKnowledge(ctx, e, *db, bundles, *linkMin)
	if err != nil {
		return err
	}
	shared := attrib.BuiltinShared()
	if *warn != "" {
		if _, err := shared.LoadWarninglists(*warn); err != nil {
			return err
		}
	}
	if *format == "text" {
		fmt.Fprintf(e.stderr, "knowledge: %s (%d actors, %d techniques, %d software)\n",
			src, len(know.Actors()), know.TechniqueCount(), know.SoftwareCount())
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	var results []*attrib.Result
	failed := 0
	for _, path := range cases {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, warns, err := casefile.ParseFile(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "culprit attribute: %v\n", err)
			failed++
			continue
		}
		res, err := know.Attribute(c, attrib.Options{Params: attrib.DefaultParams(), Explain: min(*top, 3), Shared: shared})
		if err != nil {
			fmt.Fprintf(e.stderr, "culprit attribute: %s: %v\n", path, err)
			failed++
			continue
		}
		for i := len(warns) - 1; i >= 0; i-- {
			res.Warnings = append([]string{warns[i].String()}, res.Warnings...)
		}
		results = append(results, res)
		switch *format {
		case "json":
			out := *res
			if len(out.Hypotheses) > *top {
				out.Hypotheses = out.Hypotheses[:*top]
			}
			b, err := json.Marshal(&out)
			if err != nil {
				return fmt.Errorf("encode result: %w", err)
			}
			w.Write(b)
			w.WriteByte('\n')
		case "markdown":
			writeMarkdown(w, res, *top)
		default:
			writeText(w, res, *top)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if *stixOut != "" && len(results) > 0 {
		if err := writeSTIXResults(*stixOut, results, *top, time.Now().UTC()); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d cases failed", failed, len(cases))
	}
	return nil
}

// loadKnowledge builds the attribution knowledge: from the bundles when
// given, else from the database; when the database does not exist or holds
// no actor, from the embedded starter knowledge (package examples). It
// returns a description of the source.
func loadKnowledge(ctx context.Context, e *env, dbFlag string, bundles []string, linkMin int) (*attrib.Knowledge, string, error) {
	objs, links, src, err := knowledgeObjects(ctx, e, dbFlag, bundles)
	if err != nil {
		return nil, "", err
	}
	return attrib.NewKnowledge(objs, links, attrib.KnowledgeOptions{LinkThreshold: linkMin}), src, nil
}

func knowledgeObjects(ctx context.Context, e *env, dbFlag string, bundles []string) ([]*stix.Object, []attrib.Link, string, error) {
	if len(bundles) > 0 {
		var objs []*stix.Object
		for _, b := range bundles {
			got, err := readBundleFile(b)
			if err != nil {
				return nil, nil, "", err
			}
			objs = append(objs, got...)
		}
		return objs, convertLinks(kb.Link(objs)), strings.Join(bundles, ", "), nil
	}
	path, err := dbPath(e, dbFlag)
	if err == nil {
		if _, err := os.Stat(path); err == nil {
			objs, links, err := storeObjects(ctx, path)
			if err != nil {
				return nil, nil, "", err
			}
			for _, o := range objs {
				if o.Type == "intrusion-set" || o.Type == "threat-actor" {
					return objs, links, path, nil
				}
			}
		} else if dbFlag != "" {
			return nil, nil, "", fmt.Errorf("open knowledge base: %w", err)
		}
	}
	objs, err := starterObjects()
	if err != nil {
		return nil, nil, "", err
	}
	return objs, convertLinks(kb.Link(objs)), "embedded starter knowledge (the database is empty)", nil
}

func storeObjects(ctx context.Context, path string) ([]*stix.Object, []attrib.Link, error) {
	st, err := sqlite.Open(ctx, path)
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
	same, err := st.SameAs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read same-as links from %s: %w", path, err)
	}
	return objs, convertLinks(same), nil
}

func starterObjects() ([]*stix.Object, error) {
	return decodeAll(bytes.NewReader(examples.StarterKnowledge()), "embedded starter knowledge")
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

func convertLinks(in []kb.SameAs) []attrib.Link {
	out := make([]attrib.Link, len(in))
	for i, l := range in {
		out[i] = attrib.Link{A: l.A, B: l.B, Confidence: l.Confidence, Reason: l.Reason, Source: l.Source}
	}
	return out
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

func writeText(w io.Writer, r *attrib.Result, top int) {
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
		for _, m := range h.Members[min(1, len(h.Members)):] {
			fmt.Fprintf(w, "    %s: %s\n", m.Name, pathText(&h, m.ID))
		}
		for _, line := range campaignLines(&h) {
			fmt.Fprintf(w, "    %s\n", line)
		}
		const maxEvidence = 12
		for j, ev := range h.Evidence {
			if j == maxEvidence {
				fmt.Fprintf(w, "    … %d more items (--format json lists them all)\n", len(h.Evidence)-j)
				break
			}
			fmt.Fprintf(w, "    %+6.2f  %-9s %s", ev.Weight, ev.Kind, ev.Item)
			if ev.Matched != "" && ev.Matched != ev.Item {
				fmt.Fprintf(w, " = %s", ev.Matched)
			}
			fmt.Fprintf(w, "  [%s to fake; %s]\n", ev.Cost, ev.Detail)
		}
	}
	fmt.Fprintf(w, "    an actor not in the knowledge base: %s  %s\n", pct(r.Unknown), r.UnknownEstimate)
	fmt.Fprintf(w, "confidence: %s (%d items, %d kinds for the leading hypothesis, %d costly to fake)\n",
		r.Confidence, r.Basis.Items, r.Basis.Kinds, r.Basis.Costly)
	if len(r.Next) > 0 {
		fmt.Fprintln(w, "look for next:")
		for _, s := range r.Next {
			fmt.Fprintf(w, "    %s %s %s (favours %s, %.3f)\n", s.Kind, s.ID, s.Name, s.Favours, s.Weight)
		}
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	fmt.Fprintln(w)
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`).Replace(s)
}

func writeMarkdown(w io.Writer, r *attrib.Result, top int) {
	fmt.Fprintf(w, "## Attribution: %s\n\n", mdEscape(r.Case))
	fmt.Fprintf(w, "Confidence: **%s** (%d items, %d kinds for the leading hypothesis, %d costly to fake).\n\n",
		r.Confidence, r.Basis.Items, r.Basis.Kinds, r.Basis.Costly)
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
	fmt.Fprintf(w, "| | an actor not in the knowledge base | %s | %s |\n\n", pct(r.Unknown), r.UnknownEstimate)
	for i, h := range r.Hypotheses {
		if i >= top || len(h.Evidence) == 0 {
			break
		}
		fmt.Fprintf(w, "### %s\n\n", mdEscape(h.Name))
		if len(h.Aliases) > 0 {
			fmt.Fprintf(w, "Also known as: %s.\n\n", mdEscape(strings.Join(h.Aliases, ", ")))
		}
		for _, m := range h.Members[min(1, len(h.Members)):] {
			fmt.Fprintf(w, "- %s: %s\n", mdEscape(m.Name), mdEscape(pathText(&h, m.ID)))
		}
		for _, line := range campaignLines(&h) {
			fmt.Fprintf(w, "- %s\n", mdEscape(line))
		}
		fmt.Fprintln(w, "\n| weight | kind | item | cost to fake | detail |")
		fmt.Fprintln(w, "|---:|---|---|---|---|")
		for _, ev := range h.Evidence {
			item := ev.Item
			if ev.Matched != "" && ev.Matched != ev.Item {
				item += " = " + ev.Matched
			}
			fmt.Fprintf(w, "| %+.2f | %s | %s | %s | %s |\n", ev.Weight, ev.Kind, mdEscape(item), ev.Cost, mdEscape(ev.Detail))
		}
		fmt.Fprintln(w)
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
		fmt.Fprintln(w)
	}
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

// writeSTIXResults writes the results as one STIX 2.1 bundle to path.
func writeSTIXResults(path string, results []*attrib.Result, top int, now time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write STIX result: %w", err)
	}
	bw := stix.NewBundleWriter(f)
	creator := stix.DeterministicID("identity", "culprit")
	ts := stixTime(now)
	all := []any{map[string]any{"type": "identity", "spec_version": "2.1", "id": creator, "created": ts, "modified": ts,
		"name": "culprit", "identity_class": "system", "description": "culprit attribution engine"}}
	for _, r := range results {
		objs, err := attributionObjects(r, top, creator, now)
		if err != nil {
			f.Close()
			return err
		}
		all = append(all, objs...)
	}
	for _, v := range all {
		raw, err := json.Marshal(v)
		if err == nil {
			var o *stix.Object
			if o, err = stix.ParseObject(raw); err == nil {
				err = bw.Write(o)
			}
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("write STIX result %s: %w", path, err)
		}
	}
	if err := bw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("write STIX result %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write STIX result %s: %w", path, err)
	}
	return nil
}
