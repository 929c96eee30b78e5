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

// caseLayer writes the layer of a case, as the backend builds it for the
// API: read at the lower of the user's level and the case's, with the
// snapshot's actor clusters of that level.
func caseLayer(w http.ResponseWriter, r *http.Request, q *request, id string) error {
	l, err := q.know.CaseLayer(r.Context(), id)
	if err != nil {
		return fmt.Errorf("case %s: the Navigator layer: %w", id, err)
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		return fmt.Errorf("write the Navigator layer: %w", err)
	}
	return writeLayer(w, buf.Bytes(), id+"-navigator.json")
}

// actorLayer writes the layer of an actor (a name, alias or id).
func (u *UI) actorLayer(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	card, err := q.know.Card(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := q.know.ActorLayer(ctx, card.ID)
	if err != nil {
		return fmt.Errorf("actor %s: the Navigator layer: %w", card.ID, err)
	}
	return writeLayer(w, b, fileName(firstNonEmpty(card.ExternalID, card.Name))+"-navigator.json")
}

func writeLayer(w http.ResponseWriter, layer []byte, file string) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", "attachment; filename="+file)
	_, err := w.Write(layer)
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
	c, err := u.catalogOf(ctx, q.know)
	if err != nil {
		return err
	}
	cat, err := c.navigatorCatalogue(ctx, q.know)
	if err != nil {
		return fmt.Errorf("read the ATT&CK techniques: %w", err)
	}
	l, err := navigator.Compare(ctx, q.know, cat, cards)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		return fmt.Errorf("write the Navigator layer: %w", err)
	}
	return writeLayer(w, buf.Bytes(), strings.Join(names, "-vs-")+"-navigator.json")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
