package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/token"
)

// caseRow is one case in the list.
type caseRow struct {
	ID, Name, Status, Actor string
	TLP                     access.Level
	Modified                time.Time
	Evidence, Results       int
}

func (u *UI) home(w http.ResponseWriter, r *http.Request, q *request) error {
	cases, err := q.know.Cases(r.Context())
	if err != nil {
		return err
	}
	var rows []caseRow
	for _, c := range cases {
		row := caseRow{ID: c.ID, Name: c.Name, Status: c.Status, TLP: access.CaseLevel(c.TLP), Modified: c.Modified,
			Evidence: len(c.Evidence), Results: len(c.Results)}
		if c.Confirmation != nil {
			row.Actor = c.Confirmation.ActorName
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Modified.After(rows[j].Modified) })
	cat, err := u.catalogOf(r.Context(), q.know)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, e := range cat.entries {
		counts[e.Kind]++
	}
	return u.render(w, http.StatusOK, "home", q, "Cases", map[string]any{
		"Cases": rows, "CanWrite": q.user.Role.Allows(token.Analyst), "Levels": levelsUpTo(q.user.TLP),
		"Default": min(access.Amber, q.user.TLP), "Counts": counts})
}

// levelsUpTo lists the levels a user may mark a case with.
func levelsUpTo(max access.Level) []access.Level {
	var out []access.Level
	for _, l := range access.Levels {
		if l <= max {
			out = append(out, l)
		}
	}
	return out
}

// reportOf reads the report of a form: the uploaded file, else the pasted
// text. It returns the report's name and content, or ok false if neither.
func reportOf(r *http.Request) (string, []byte, bool, error) {
	if f, h, err := r.FormFile("file"); err == nil {
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return "", nil, false, errs.Wrap(errs.Invalid, err, "read the uploaded report")
		}
		if len(b) > 0 {
			return h.Filename, b, true, nil
		}
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		return "", nil, false, nil
	}
	return "pasted report", []byte(text), true, nil
}

// extractEvidence extracts a report into an unreviewed case file, with
// the knowledge of level (the case's).
func (u *UI) extractEvidence(r *http.Request, q *request, level access.Level, name string, b []byte, n int) (Evidence, error) {
	c, err := extractReport(r.Context(), q.know, level, name, bytes.NewReader(b), u.cfg.MaxUpload)
	if err != nil {
		return Evidence{}, err
	}
	if len(c.Techniques)+len(c.Software)+len(c.Indicators)+len(c.Claims) == 0 {
		return Evidence{}, errs.E(errs.Invalid, "no technique, software, indicator or attribution statement was found in %s", name)
	}
	c.Name = "extracted from " + name
	y := caseYAML(c, "Extracted from "+name+" in the web UI: nothing here is reviewed.")
	return Evidence{Name: fmt.Sprintf("report-%d.yaml", n), Content: y, Unreviewed: true}, nil
}

func (u *UI) createCase(w http.ResponseWriter, r *http.Request, q *request) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if len(name) > 200 {
		return errs.E(errs.Invalid, "the case name is longer than 200 bytes")
	}
	level, err := access.ParseLevel(r.PostFormValue("tlp"))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "TLP")
	}
	rname, b, ok, err := reportOf(r)
	if err != nil {
		return err
	}
	var ev Evidence
	if ok {
		if ev, err = u.extractEvidence(r, q, level, rname, b, 1); err != nil {
			return err
		}
	} else {
		it, err := itemOf(r)
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "a case starts from a report (pasted or uploaded) or one item")
		}
		ev = Evidence{Name: "analyst-1.yaml", Content: caseYAML(it, "Added by "+q.user.Name+" in the web UI.")}
	}
	cs, err := q.know.NewCase(r.Context(), name, level, ev)
	if err != nil {
		return err
	}
	to := "/ui/cases/" + cs.ID
	if ev.Unreviewed {
		to += "/review/" + ev.Name
	}
	return u.redirect(w, r, to)
}

func (u *UI) addReport(w http.ResponseWriter, r *http.Request, q *request) error {
	cs, err := q.know.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	rname, b, ok, err := reportOf(r)
	if err != nil {
		return err
	}
	if !ok {
		return errs.E(errs.Invalid, "paste a report's text or choose a file")
	}
	ev, err := u.extractEvidence(r, q, access.CaseLevel(cs.TLP), rname, b, len(cs.Evidence)+1)
	if err != nil {
		return err
	}
	if _, err := q.know.AddEvidence(r.Context(), cs.ID, ev); err != nil {
		return err
	}
	return u.redirect(w, r, "/ui/cases/"+cs.ID+"/review/"+ev.Name)
}

var techniqueRef = regexp.MustCompile(`^(?i)(T\d{4}(?:\.\d{3})?|S\d{4})\b`)

// pickedRef reads a picker's value: "T1485 Data Destruction" is T1485, a
// plain name stays a name.
func pickedRef(v string) string {
	v = strings.TrimSpace(v)
	if m := techniqueRef.FindString(v); m != "" {
		return strings.ToUpper(m)
	}
	return v
}

// itemOf reads the one item of an "add" form as a case file.
func itemOf(r *http.Request) (*casefile.Case, error) {
	kind := r.PostFormValue("kind")
	source := strings.TrimSpace(r.PostFormValue("source"))
	note := strings.TrimSpace(r.PostFormValue("note"))
	value := strings.TrimSpace(r.PostFormValue("value"))
	c := &casefile.Case{}
	switch kind {
	case "technique", "software":
		ref := pickedRef(value)
		if ref == "" {
			return nil, errs.E(errs.Invalid, "name the %s (an ATT&CK id or a name)", kind)
		}
		it := casefile.Item{Ref: ref, Source: source, Note: note}
		if kind == "technique" {
			c.Techniques = append(c.Techniques, it)
		} else {
			c.Software = append(c.Software, it)
		}
	case "indicator":
		if value == "" {
			return nil, errs.E(errs.Invalid, "give the indicator's value")
		}
		c.Indicators = append(c.Indicators, casefile.Indicator{Type: r.PostFormValue("type"), Value: value, Source: source, Note: note})
	case "claim":
		cl, err := claimOf(r.PostFormValue("actor"), r.PostFormValue("reliability"), r.PostFormValue("credibility"))
		if err != nil {
			return nil, err
		}
		cl.Source, cl.Statement, cl.SelfClaim = source, note, r.PostFormValue("self_claim") == "on"
		c.Claims = append(c.Claims, cl)
	default:
		return nil, errs.E(errs.Invalid, "unknown kind of item %q", kind)
	}
	return c, nil
}

// claimOf checks a claim's actor and Admiralty rating.
func claimOf(actor, rel, cred string) (casefile.Claim, error) {
	actor = strings.TrimSpace(actor)
	if actor == "" {
		return casefile.Claim{}, errs.E(errs.Invalid, "a claim names the actor it attributes the incident to")
	}
	cl := casefile.Claim{Actor: actor}
	if rel != "" {
		if len(rel) != 1 || rel[0] < 'A' || rel[0] > 'F' {
			return cl, errs.E(errs.Invalid, "source reliability %q: want A to F", rel)
		}
		cl.Reliability = rel
	}
	if cred != "" {
		n, err := strconv.Atoi(cred)
		if err != nil || n < 1 || n > 6 {
			return cl, errs.E(errs.Invalid, "information credibility %q: want 1 to 6", cred)
		}
		cl.Credibility = n
	}
	return cl, nil
}

func (u *UI) addItem(w http.ResponseWriter, r *http.Request, q *request) error {
	cs, err := q.know.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c, err := itemOf(r)
	if err != nil {
		return err
	}
	ev := Evidence{Name: fmt.Sprintf("analyst-%d.yaml", len(cs.Evidence)+1), Content: caseYAML(c, "Added by "+q.user.Name+" in the web UI.")}
	if _, err := q.know.AddEvidence(r.Context(), cs.ID, ev); err != nil {
		return err
	}
	return u.redirect(w, r, "/ui/cases/"+cs.ID+"#evidence")
}

func (u *UI) attribute(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	if _, err := q.know.Attribute(r.Context(), id); err != nil {
		return err
	}
	return u.redirect(w, r, "/ui/cases/"+id+"#result")
}

func (u *UI) confirm(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	conf, err := strconv.Atoi(r.PostFormValue("confidence"))
	if err != nil || conf < 0 || conf > 100 {
		return errs.E(errs.Invalid, "confidence %q: want 0 to 100", r.PostFormValue("confidence"))
	}
	c := Confirmation{Confidence: conf, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if r.PostFormValue("which") == "new" {
		c.NewActor = strings.TrimSpace(r.PostFormValue("new_actor"))
	} else {
		c.Actor = strings.TrimSpace(r.PostFormValue("actor"))
	}
	if _, err := q.know.Confirm(r.Context(), id, c); err != nil {
		return err
	}
	return u.redirect(w, r, "/ui/cases/"+id)
}

func (u *UI) reopen(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	if _, err := q.know.Reopen(r.Context(), id, strings.TrimSpace(r.PostFormValue("reason"))); err != nil {
		return err
	}
	return u.redirect(w, r, "/ui/cases/"+id)
}

// evidenceRow is one file of evidence on the case page.
type evidenceRow struct {
	kb.CaseEvidence
	Reviewed bool // an unreviewed file whose review was added
}

// hypothesisView is one ranked hypothesis.
type hypothesisView struct {
	attrib.Hypothesis
	Level   access.Level
	Pct     string
	For     []attrib.Evidence
	Against []attrib.Evidence
}

// resultView is one attribution of the case.
type resultView struct {
	At         time.Time
	TLP        access.Level
	R          *attrib.Result
	Hypotheses []hypothesisView
	UnknownPct string
	TopName    string
	TopPct     string
}

func decodeResult(cr kb.CaseResult, cat *catalog) (*resultView, error) {
	var res attrib.Result
	if err := json.Unmarshal(cr.Result, &res); err != nil {
		return nil, fmt.Errorf("decode the result of %s: %w", cr.At.Format(time.RFC3339), err)
	}
	v := &resultView{At: cr.At, TLP: access.CaseLevel(cr.TLP), R: &res, UnknownPct: pct(res.Unknown)}
	v.TopName, v.TopPct = "an actor not in the knowledge base", v.UnknownPct
	for i, h := range res.Hypotheses {
		hv := hypothesisView{Hypothesis: h, Level: cat.levels[h.ID], Pct: pct(h.Probability)}
		for _, e := range h.Evidence {
			if e.Weight >= 0 {
				hv.For = append(hv.For, e)
			} else {
				hv.Against = append(hv.Against, e)
			}
		}
		v.Hypotheses = append(v.Hypotheses, hv)
		if i == 0 && res.Top != "unknown" {
			v.TopName, v.TopPct = h.Name, hv.Pct
		}
	}
	return v, nil
}

func pct(p float64) string {
	switch {
	case p > 0 && p < 0.01:
		return "<1%"
	case p < 1 && p > 0.99:
		return ">99%"
	}
	return fmt.Sprintf("%.0f%%", p*100)
}

// caseView is everything the case page shows.
type caseView struct {
	Case     *kb.Case
	TLP      access.Level
	Evidence []evidenceRow
	Pending  []evidenceRow
	Items    *casefile.Case
	Result   *resultView
	Results  []*resultView
	CanWrite bool
	// CanUpload: the backend keeps samples (SampleUploader), up to
	// MaxSample; Uploaded is the sample just uploaded.
	CanUpload bool
	MaxSample string
	Uploaded  *Sample
}

func (u *UI) casePage(w http.ResponseWriter, r *http.Request, q *request) error {
	v, err := u.caseView(r, q)
	if err != nil {
		return err
	}
	return u.render(w, http.StatusOK, "case", q, v.Case.Name, v)
}

func (u *UI) caseView(r *http.Request, q *request) (*caseView, error) {
	cs, err := q.know.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	cat, err := u.catalogOf(r.Context(), q.know)
	if err != nil {
		return nil, err
	}
	v := &caseView{Case: cs, TLP: access.CaseLevel(cs.TLP), CanWrite: q.user.Role.Allows(token.Analyst) && cs.Status == kb.CaseOpen,
		MaxSample: sizeOf(u.cfg.MaxSample)}
	_, v.CanUpload = q.know.(SampleUploader)
	names := map[string]bool{}
	for _, e := range cs.Evidence {
		names[e.Name] = true
	}
	for _, e := range cs.Evidence {
		row := evidenceRow{CaseEvidence: e, Reviewed: names[reviewedName(e.Name)]}
		v.Evidence = append(v.Evidence, row)
		if e.Status == kb.EvidenceUnreviewed && !row.Reviewed {
			v.Pending = append(v.Pending, row)
		}
	}
	if merged, _, err := investigation.Merge(cs); err == nil {
		v.Items = merged
	}
	for i := len(cs.Results) - 1; i >= 0; i-- {
		rv, err := decodeResult(cs.Results[i], cat)
		if err != nil {
			return nil, err
		}
		v.Results = append(v.Results, rv)
	}
	if len(v.Results) > 0 {
		v.Result = v.Results[0]
	}
	return v, nil
}

func reviewedName(name string) string { return "reviewed-" + name }

// export writes the case's report (Markdown or printable HTML), its STIX
// bundle, its matrix of competing hypotheses (CSV) or its ATT&CK
// Navigator layer.
func (u *UI) export(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	switch f := r.PathValue("format"); f {
	case "navigator.json":
		return caseLayer(w, r, q, id)
	case "ach.csv":
		cs, err := q.know.Case(ctx, id)
		if err != nil {
			return err
		}
		return exportMatrix(w, cs)
	case "stix.json":
		var buf bytes.Buffer
		if err := q.know.Export(ctx, id, &buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/stix+json;version=2.1")
		w.Header().Set("Content-Disposition", "attachment; filename="+id+".stix.json")
		_, err := w.Write(buf.Bytes())
		return err
	case "report.md", "report.html":
		v, err := u.caseView(r, q)
		if err != nil {
			return err
		}
		if v.Result == nil {
			return errs.E(errs.Invalid, "case %s has no attribution yet: attribute it first", id)
		}
		var md bytes.Buffer
		rd, err := assess.NewRenderer("markdown", &md, 5, u.cfg.Now())
		if err != nil {
			return err
		}
		if err := rd.Result(v.Result.R); err != nil {
			return err
		}
		if err := rd.Close(); err != nil {
			return err
		}
		if f == "report.md" {
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
			w.Header().Set("Content-Disposition", "attachment; filename="+id+".md")
			head := fmt.Sprintf("<!-- %s -->\n# %s (%s)\n\n", v.TLP, v.Case.Name, v.Case.ID)
			_, err := io.WriteString(w, head+md.String())
			return err
		}
		// The printable report carries the matrix of competing
		// hypotheses as the Markdown one does (assess renders it there),
		// with the analysts' ratings of its cells.
		m, _, _, err := caseMatrix(v.Case, false)
		if err != nil {
			return err
		}
		return u.renderBare(w, "report", reportView{caseView: v, Matrix: m, Overrides: overrideRows(v.Case.Overrides, m)})
	}
	return errs.E(errs.NotFound, "no export %q (report.md, report.html, stix.json, ach.csv, navigator.json)", r.PathValue("format"))
}

// reportView is the printable report: the case page's view with the
// matrix of its latest result (nil when it has none) and its overrides.
type reportView struct {
	*caseView
	Matrix    *ach.Matrix
	Overrides []overrideRow
}

// renderBare renders a page of its own (no navigation), e.g. a printable
// report.
func (u *UI) renderBare(w http.ResponseWriter, name string, data any) error {
	t := u.pages[name]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "bare", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write(buf.Bytes())
	return err
}
