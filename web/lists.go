package web

import (
	"net/http"

	"github.com/culprit-cti/culprit/errs"
)

// The case page's suggestions of software and actors, and the ATT&CK
// techniques of its and the review's pickers. At 100,000 knowledge
// objects they are thousands of names (the MISP galaxies' malware
// families and actors; ATT&CK's techniques and sub-techniques): inline
// <datalist> options made the page 400 kB, most of its load time in the
// browser. The pages carry empty datalists naming these lists instead
// (data-src), and the script fills one the first time its input has the
// focus.

// listOption is one suggestion: the value typed and its label.
type listOption struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

// listsJSON answers the named list of the user's catalog (the same
// knowledge and level as the pages): software.json or actors.json.
func (u *UI) listsJSON(w http.ResponseWriter, r *http.Request, q *request) error {
	cat, err := u.catalogOf(r.Context(), q.know)
	if err != nil {
		return err
	}
	var entries []entry
	switch name := r.PathValue("name"); name {
	case "software.json":
		entries = cat.software
	case "actors.json":
		entries = cat.actors
	case "techniques.json":
		// The value a picker's option sets, "T1485 Data Destruction":
		// pickedRef reads its id.
		out := make([]listOption, len(cat.techniques))
		for i, t := range cat.techniques {
			out[i] = listOption{Value: t.Ext + " " + t.Name}
		}
		return writeJSON(w, out)
	default:
		return errs.E(errs.NotFound, "no list %q: software.json, actors.json or techniques.json", name)
	}
	out := make([]listOption, len(entries))
	for i, e := range entries {
		out[i] = listOption{Value: e.Name, Label: e.Ext}
	}
	return writeJSON(w, out)
}
