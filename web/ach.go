package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/token"
)

// The page of a case's analysis of competing hypotheses (Heuer's ACH):
// the matrix of its latest result (package ach), its rows most diagnostic
// first or in the case's order, an editor for analysts' ratings of its
// cells, and the list of those ratings. A rating is kept through the
// backend's Overrider (investigation.Service.Override) and the case is
// attributed again at once, so that the page shows the result it makes.

// achView is everything the matrix page shows.
type achView struct {
	Case    *kb.Case
	TLP     access.Level
	At      time.Time // of the result the matrix is of
	ResTLP  access.Level
	Matrix  *ach.Matrix
	Columns []achColumn
	Ranking []achColumn // the columns by probability, highest first
	Rows    []achRow
	ByCase  bool // rows in the case's order, not by diagnosticity
	// Overrides lists every analyst's rating of the case, oldest first.
	Overrides []overrideRow
	// CanOverride: the user may write, the case is open and the backend
	// keeps overrides; NoOverrider says why not when it is only the last.
	CanOverride bool
	NoOverrider bool
	Ratings     []ratingOption
	Item, Hyp   string // the cell the editor starts on
	Rating      string // and its rating
	Note        string // why there is no matrix
}

type achColumn struct {
	ach.Column
	Level access.Level
	Pct   string
}

type achRow struct {
	ach.Row
	Cells []achCell
}

type achCell struct {
	ach.Cell
	Col    achColumn
	Latest string // the latest analyst's name, for an overridden cell
}

type ratingOption struct {
	Value, Symbol, Label string
}

type overrideRow struct {
	kb.CaseOverride
	ItemText, HypName string
	Old, New          ach.Rating
	// Engine is the engine's rating of the cell in the current result
	// ("" when the cell is not in it: the item is gone).
	Engine ach.Rating
}

func ratingOptions() []ratingOption {
	// Most consistent first: the order analysts read the scale in.
	out := make([]ratingOption, 0, len(ach.Ratings))
	for i := len(ach.Ratings) - 1; i >= 0; i-- {
		r := ach.Ratings[i]
		out = append(out, ratingOption{Value: string(r), Symbol: r.Symbol(), Label: r.Label()})
	}
	return out
}

// latestResult decodes a case's latest result, or returns nil.
func latestResult(cs *kb.Case) (*attrib.Result, kb.CaseResult, error) {
	if len(cs.Results) == 0 {
		return nil, kb.CaseResult{}, nil
	}
	cr := cs.Results[len(cs.Results)-1]
	var res attrib.Result
	if err := json.Unmarshal(cr.Result, &res); err != nil {
		return nil, cr, fmt.Errorf("case %s: decode the result of %s: %w", cs.ID, cr.At.Format(time.RFC3339), err)
	}
	return &res, cr, nil
}

// caseMatrix is the matrix of a case's latest result with the case's
// overrides, most diagnostic rows first unless byCase. It returns a nil
// matrix, and why, when the case has none.
func caseMatrix(cs *kb.Case, byCase bool) (*ach.Matrix, *kb.CaseResult, string, error) {
	res, cr, err := latestResult(cs)
	if err != nil {
		return nil, nil, "", err
	}
	if res == nil {
		return nil, nil, "The case is not attributed yet: attribute its accepted evidence to see the matrix.", nil
	}
	if res.Table == nil {
		return nil, &cr, "The latest result has no table of its evidence: attribute the case again.", nil
	}
	m, err := ach.Build(res, cs.Overrides)
	if err != nil {
		return nil, nil, "", fmt.Errorf("case %s: %w", cs.ID, err)
	}
	if !byCase {
		m.SortByDiagnosticity()
	}
	return m, &cr, "", nil
}

func (u *UI) achPage(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	cs, err := q.know.Case(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	cat, err := u.catalogOf(ctx, q.know)
	if err != nil {
		return err
	}
	qs := r.URL.Query()
	v := &achView{Case: cs, TLP: access.CaseLevel(cs.TLP), ByCase: qs.Get("sort") == "case", Ratings: ratingOptions(),
		Item: qs.Get("item"), Hyp: qs.Get("hyp")}
	_, overrider := q.know.(Overrider)
	writer := q.user.Role.Allows(token.Analyst) && cs.Status == kb.CaseOpen
	v.CanOverride, v.NoOverrider = writer && overrider, writer && !overrider
	m, cr, note, err := caseMatrix(cs, v.ByCase)
	if err != nil {
		return err
	}
	v.Note = note
	if m != nil {
		v.Matrix, v.At, v.ResTLP = m, cr.At, access.CaseLevel(cr.TLP)
		for _, c := range m.Columns {
			v.Columns = append(v.Columns, achColumn{Column: c, Level: cat.levels[c.ID], Pct: pct(c.Probability)})
		}
		v.Ranking = append(v.Ranking, v.Columns...)
		// The table keeps the columns in rank order, with the unknown
		// actor last wherever it ranks: the ranking is by probability.
		sortColumns(v.Ranking)
		for _, row := range m.Rows {
			ar := achRow{Row: row}
			for ci, c := range row.Cells {
				ac := achCell{Cell: c, Col: v.Columns[ci]}
				if n := len(c.Overrides); n > 0 {
					ac.Latest = c.Overrides[n-1].Analyst
				}
				ar.Cells = append(ar.Cells, ac)
			}
			v.Rows = append(v.Rows, ar)
		}
		if v.Item == "" && len(v.Rows) > 0 {
			v.Item = v.Rows[0].Key
		}
		if v.Hyp == "" && len(v.Columns) > 0 {
			v.Hyp = v.Columns[0].ID
		}
		for _, row := range v.Rows {
			for _, c := range row.Cells {
				if row.Key == v.Item && c.Col.ID == v.Hyp {
					v.Rating = string(c.Rating)
				}
			}
		}
	}
	v.Overrides = overrideRows(cs.Overrides, m)
	return u.render(w, http.StatusOK, "ach", q, "Competing hypotheses · "+cs.Name, v)
}

// sortColumns orders columns by probability, ties in rank order.
func sortColumns(cols []achColumn) {
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].Probability > cols[j].Probability })
}

// overrideRows lists overrides oldest first, each with the rating it
// replaced: the cell's previous analyst's, else the engine's.
func overrideRows(ovs []kb.CaseOverride, m *ach.Matrix) []overrideRow {
	type cell struct{ item, hyp string }
	engine := map[cell]ach.Rating{}
	items := map[string]string{}
	hyps := map[string]string{attrib.UnknownHypothesis: ach.UnknownName}
	if m != nil {
		for _, c := range m.Columns {
			hyps[c.ID] = c.Name
		}
		for _, r := range m.Rows {
			items[r.Key] = r.Item
			for ci, c := range r.Cells {
				engine[cell{r.Key, m.Columns[ci].ID}] = c.EngineRating
				// An override kept under another id of the actor's
				// cluster is in the cell's list: key it by that id too.
				for _, o := range c.Overrides {
					engine[cell{r.Key, o.Hypothesis}] = c.EngineRating
					if _, ok := hyps[o.Hypothesis]; !ok {
						hyps[o.Hypothesis] = m.Columns[ci].Name
					}
				}
			}
		}
	}
	// Oldest first, as they were made (the stored order is the order of
	// making; a stable sort by time keeps it on ties).
	sorted := append([]kb.CaseOverride(nil), ovs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	last := map[cell]ach.Rating{}
	out := make([]overrideRow, 0, len(sorted))
	for _, o := range sorted {
		k := cell{o.Item, o.Hypothesis}
		row := overrideRow{CaseOverride: o, ItemText: items[o.Item], HypName: hyps[o.Hypothesis], New: ach.Rating(o.Rating), Engine: engine[k]}
		if row.ItemText == "" {
			row.ItemText = o.Item
		}
		if row.HypName == "" {
			row.HypName = o.Hypothesis
		}
		row.Old = row.Engine
		if prev, ok := last[k]; ok {
			row.Old = prev
		}
		last[k] = row.New
		out = append(out, row)
	}
	return out
}

// maxReason bounds an override's reason as investigation does (bytes).
const maxReason = 4000

// override keeps an analyst's rating of one cell and attributes the case
// again, so that the matrix the page returns to is the result it makes.
func (u *UI) override(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	ov, ok := q.know.(Overrider)
	if !ok {
		return errs.E(errs.Invalid, "this server keeps no analysts' ratings of the matrix")
	}
	if !q.user.Role.Allows(token.Analyst) {
		return errs.E(errs.Forbidden, "rating a cell needs a token of role analyst or above; yours is %s", q.user.Role)
	}
	rating, err := ach.ParseRating(r.PostFormValue("rating"))
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case reason == "":
		return errs.E(errs.Invalid, "say why the engine's rating is wrong: an override needs a reason")
	case len(reason) > maxReason:
		return errs.E(errs.Invalid, "the reason is longer than %d bytes", maxReason)
	}
	o := Override{Item: r.PostFormValue("item"), Hypothesis: r.PostFormValue("hypothesis"), Rating: string(rating), Reason: reason}
	if s := r.PostFormValue("version"); s != "" {
		if o.Version, err = strconv.Atoi(s); err != nil {
			return errs.E(errs.Invalid, "case version %q is not a number", s)
		}
	}
	if _, err := ov.Override(ctx, id, o); err != nil {
		return err
	}
	if _, err := q.know.Attribute(ctx, id); err != nil {
		return fmt.Errorf("attribute case %s with the new rating: %w", id, err)
	}
	return u.redirect(w, r, "/ui/cases/"+id+"/ach?item="+urlQueryEscape(o.Item)+"&hyp="+urlQueryEscape(o.Hypothesis)+"#overrides")
}

// exportMatrix writes the matrix of a case's latest result as CSV, most
// diagnostic rows first.
func exportMatrix(w http.ResponseWriter, cs *kb.Case) error {
	m, _, note, err := caseMatrix(cs, false)
	if err != nil {
		return err
	}
	if m == nil {
		return errs.E(errs.Invalid, "case %s has no matrix: %s", cs.ID, note)
	}
	var buf bytes.Buffer
	if err := m.WriteCSV(&buf); err != nil {
		return fmt.Errorf("case %s: write the matrix: %w", cs.ID, err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename="+cs.ID+"-ach.csv")
	_, err = w.Write(buf.Bytes())
	return err
}
