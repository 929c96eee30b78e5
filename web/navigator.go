package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
)

// ATT&CK Navigator layers (package navigator) of a case and of an actor,
// read through the user's knowledge: a technique, actor or relationship
// the user may not see is in no layer.

// caseLayer writes the layer of a case: its techniques and those of its
// leading hypothesis.
func caseLayer(w http.ResponseWriter, r *http.Request, q *request, cs *kb.Case) error {
	l, _, err := navigator.ForCase(r.Context(), q.know, nil, cs)
	if err != nil {
		return fmt.Errorf("case %s: the Navigator layer: %w", cs.ID, err)
	}
	return writeLayer(w, l, cs.ID+"-navigator.json")
}

// actorLayer writes the layer of an actor (a name, alias or id).
func (u *UI) actorLayer(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	card, err := q.know.Card(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	cat, err := navigator.LoadCatalogue(ctx, q.know)
	if err != nil {
		return fmt.Errorf("read the ATT&CK techniques: %w", err)
	}
	l, err := navigator.Actor(ctx, q.know, cat, card)
	if err != nil {
		return fmt.Errorf("actor %s: the Navigator layer: %w", card.ID, err)
	}
	return writeLayer(w, l, fileName(firstNonEmpty(card.ExternalID, card.Name))+"-navigator.json")
}

func writeLayer(w http.ResponseWriter, l *navigator.Layer, file string) error {
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		return fmt.Errorf("write the Navigator layer: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", "attachment; filename="+file)
	_, err := w.Write(buf.Bytes())
	return err
}

// fileName keeps the letters, digits, dots and dashes of s, for a
// download's name (a quoted header value needs no more care then).
func fileName(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	if out == "" || len(out) > 80 {
		return "actor"
	}
	return out
}

// compareLayer writes the layer of two or three actors (?a= each, as the
// compare page takes them) on one matrix.
func (u *UI) compareLayer(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	var cards []*kb.Card
	var names []string
	for _, ref := range r.URL.Query()["a"] {
		if ref = strings.TrimSpace(ref); ref == "" {
			continue
		}
		if len(cards) == navigator.MaxCompare {
			return errs.E(errs.Invalid, "compare two or three actors, not more")
		}
		card, err := q.know.Card(ctx, ref)
		if err != nil {
			return err
		}
		cards = append(cards, card)
		names = append(names, fileName(firstNonEmpty(card.ExternalID, card.Name)))
	}
	if len(cards) < 2 {
		return errs.E(errs.Invalid, "name two or three actors to compare (?a=...&a=...)")
	}
	cat, err := navigator.LoadCatalogue(ctx, q.know)
	if err != nil {
		return fmt.Errorf("read the ATT&CK techniques: %w", err)
	}
	l, err := navigator.Compare(ctx, q.know, cat, cards)
	if err != nil {
		return err
	}
	return writeLayer(w, l, strings.Join(names, "-vs-")+"-navigator.json")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
