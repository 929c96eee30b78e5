package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

// reviewItem is one extracted item for the analyst to accept, reject or
// edit before it joins the case.
type reviewItem struct {
	N           int
	Kind        string // technique, software, indicator, claim
	Value       string // the technique or software ref, the indicator value, the claim's actor
	Type        string // of an indicator
	Source      string
	Note        string
	Reliability string
	Credibility int
}

// reviewItems lists the items of an extracted case file, in a fixed order
// that the posted decisions refer to by number.
func reviewItems(c *casefile.Case) []reviewItem {
	var out []reviewItem
	add := func(it reviewItem) {
		it.N = len(out)
		out = append(out, it)
	}
	for _, t := range c.Techniques {
		add(reviewItem{Kind: "technique", Value: t.Ref, Source: t.Source, Note: t.Note})
	}
	for _, s := range c.Software {
		add(reviewItem{Kind: "software", Value: s.Ref, Source: s.Source, Note: s.Note})
	}
	for _, in := range c.Indicators {
		add(reviewItem{Kind: "indicator", Value: in.Value, Type: in.Type, Source: in.Source, Note: in.Note})
	}
	for _, cl := range c.Claims {
		add(reviewItem{Kind: "claim", Value: cl.Actor, Source: cl.Source, Note: cl.Statement, Reliability: cl.Reliability, Credibility: cl.Credibility})
	}
	return out
}

// pendingEvidence returns the unreviewed evidence name of case id, parsed.
func pendingEvidence(cs *kb.Case, name string) (*casefile.Case, error) {
	for _, e := range cs.Evidence {
		if e.Name != name {
			continue
		}
		if e.Status != kb.EvidenceUnreviewed {
			return nil, errs.E(errs.Conflict, "evidence %s of case %s is not awaiting review", name, cs.ID)
		}
		for _, o := range cs.Evidence {
			if o.Name == reviewedName(name) {
				return nil, errs.E(errs.Conflict, "evidence %s of case %s is reviewed already (%s)", name, cs.ID, o.Name)
			}
		}
		c, _, err := casefile.Parse(e.Name, bytes.NewReader(e.Content))
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, errs.E(errs.NotFound, "case %s has no evidence %q", cs.ID, name)
}

func (u *UI) reviewPage(w http.ResponseWriter, r *http.Request, q *request) error {
	return u.showReview(w, r, q, http.StatusOK, "")
}

func (u *UI) showReview(w http.ResponseWriter, r *http.Request, q *request, status int, msg string) error {
	cs, err := q.know.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	c, err := pendingEvidence(cs, name)
	if err != nil {
		return err
	}
	// The technique fields suggest what the case page's picker does
	// (techniques-list: loaded on the first focus).
	return u.render(w, status, "review", q, "Review "+name, map[string]any{
		"Case": cs, "Name": name, "Items": reviewItems(c), "Error": msg, "Form": r.PostForm})
}

// review applies the analyst's decisions: the accepted items, as edited,
// join the case as evidence reviewed-NAME; the rejected ones are counted
// in its header. The extracted file stays as it was, unreviewed, so what
// the extraction found is kept beside what the analyst made of it.
func (u *UI) review(w http.ResponseWriter, r *http.Request, q *request) error {
	cs, err := q.know.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	c, err := pendingEvidence(cs, name)
	if err != nil {
		return err
	}
	items := reviewItems(c)
	out := &casefile.Case{Name: c.Name}
	var undecided []string
	rejected := 0
	for _, it := range items {
		n := strconv.Itoa(it.N)
		switch r.PostFormValue("d" + n) {
		case "accept":
		case "reject":
			rejected++
			continue
		default:
			undecided = append(undecided, fmt.Sprintf("%s %s", it.Kind, it.Value))
			continue
		}
		value := strings.TrimSpace(r.PostFormValue("v" + n))
		if value == "" {
			value = it.Value
		}
		switch it.Kind {
		case "technique":
			out.Techniques = append(out.Techniques, casefile.Item{Ref: pickedRef(value), Source: it.Source, Note: it.Note})
		case "software":
			out.Software = append(out.Software, casefile.Item{Ref: pickedRef(value), Source: it.Source, Note: it.Note})
		case "indicator":
			out.Indicators = append(out.Indicators, casefile.Indicator{Type: it.Type, Value: value, Source: it.Source, Note: it.Note})
		case "claim":
			cl, err := claimOf(value, r.PostFormValue("rel"+n), r.PostFormValue("cred"+n))
			if err != nil {
				return u.showReview(w, r, q, http.StatusBadRequest, fmt.Sprintf("item %d: %v", it.N+1, err))
			}
			cl.Source, cl.Statement = it.Source, it.Note
			out.Claims = append(out.Claims, cl)
		}
	}
	if len(undecided) > 0 {
		return u.showReview(w, r, q, http.StatusBadRequest,
			fmt.Sprintf("accept or reject every item: %d undecided (%s)", len(undecided), strings.Join(undecided, "; ")))
	}
	accepted := len(items) - rejected
	if accepted == 0 {
		out.Notes = fmt.Sprintf("every item of %s rejected by %s", name, q.user.Name)
	}
	header := fmt.Sprintf("Review of %s by %s in the web UI: %d accepted, %d rejected.", name, q.user.Name, accepted, rejected)
	ev := Evidence{Name: reviewedName(name), Content: caseYAML(out, header)}
	if accepted == 0 {
		// Nothing to attribute: a case file needs evidence, so the
		// rejection is kept in the history only.
		return u.redirect(w, r, "/ui/cases/"+cs.ID)
	}
	if _, err := q.know.AddEvidence(r.Context(), cs.ID, ev); err != nil {
		return err
	}
	return u.redirect(w, r, "/ui/cases/"+cs.ID+"#evidence")
}
