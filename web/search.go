package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/culprit-cti/culprit/access"
)

// hit is one search result.
type hit struct {
	Kind   string       `json:"kind"`
	Name   string       `json:"name"`
	Ext    string       `json:"external_id,omitempty"`
	Detail string       `json:"detail,omitempty"`
	URL    string       `json:"url"`
	TLP    string       `json:"tlp"`
	Level  access.Level `json:"-"`
}

// objectURL is the page of an object of the knowledge base.
func objectURL(kind, id string) string {
	if kind == "actor" {
		return "/ui/actors/" + url.PathEscape(id)
	}
	return "/ui/objects/" + url.PathEscape(id)
}

// search finds q among the visible actors, software, techniques,
// campaigns, indicators and cases.
func (u *UI) search(r *http.Request, q *request, text string, n int) ([]hit, error) {
	cat, err := u.catalogOf(r.Context(), q.know)
	if err != nil {
		return nil, err
	}
	var out []hit
	lq := strings.ToLower(strings.TrimSpace(text))
	if lq != "" {
		cases, err := q.know.Cases(r.Context())
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			if strings.Contains(strings.ToLower(c.Name), lq) || strings.ToLower(c.ID) == lq {
				l := access.CaseLevel(c.TLP)
				out = append(out, hit{Kind: "case", Name: c.Name, Ext: c.ID, Detail: c.Status, URL: "/ui/cases/" + c.ID, TLP: l.String(), Level: l})
			}
		}
	}
	for _, e := range cat.search(text, n) {
		out = append(out, hit{Kind: e.Kind, Name: e.Name, Ext: e.Ext, Detail: e.Detail, URL: objectURL(e.Kind, e.ID), TLP: e.Level.String(), Level: e.Level})
	}
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func (u *UI) searchPage(w http.ResponseWriter, r *http.Request, q *request) error {
	text := r.URL.Query().Get("q")
	if len(text) > 256 {
		text = text[:256]
	}
	hits, err := u.search(r, q, text, 200)
	if err != nil {
		return err
	}
	return u.render(w, http.StatusOK, "search", q, "Search", map[string]any{"Q": text, "Hits": hits})
}

func (u *UI) searchJSON(w http.ResponseWriter, r *http.Request, q *request) error {
	text := r.URL.Query().Get("q")
	if len(text) > 256 {
		text = text[:256]
	}
	hits, err := u.search(r, q, text, 12)
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []hit{}
	}
	return writeJSON(w, map[string]any{"hits": hits})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}
