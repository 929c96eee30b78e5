package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
	"github.com/culprit-cti/culprit/stix"
)

// ATT&CK Navigator layers (package navigator) of a case and of an actor,
// read through the user's knowledge: a technique, actor or relationship
// the user may not see is in no layer.

// caseLayer writes the layer of a case: its techniques and those of its
// leading hypothesis, read at the lower of the user's level and the
// case's, as the case is attributed: the layer of a GREEN case holds no
// AMBER relationship of its actor, whoever exports it.
func caseLayer(w http.ResponseWriter, r *http.Request, q *request, cs *kb.Case) error {
	rd := &levelReader{Knowledge: q.know, max: access.CaseLevel(cs.TLP)}
	l, _, err := navigator.ForCase(r.Context(), rd, nil, cs)
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

// levelReader reads a Knowledge as it stands at level max or below: an
// object whose level (the backend's access index: its markings and those
// of what it refers to) is above max does not exist.
type levelReader struct {
	Knowledge
	max access.Level
}

func (lr *levelReader) hidden(id string) error {
	return errs.Wrap(errs.NotFound, fmt.Errorf("object %s: %w", id, kb.ErrNotFound), "")
}

func (lr *levelReader) Object(ctx context.Context, id string) (*stix.Object, error) {
	o, err := lr.Knowledge.Object(ctx, id)
	if err != nil {
		return nil, err
	}
	if lr.Level(o) > lr.max {
		return nil, lr.hidden(id)
	}
	return o, nil
}

func (lr *levelReader) Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error {
	return lr.Knowledge.Objects(ctx, q, func(o *stix.Object) error {
		if lr.Level(o) > lr.max {
			return nil
		}
		return fn(o)
	})
}

func (lr *levelReader) Relationships(ctx context.Context, q kb.RelationshipQuery, fn func(*stix.Object) error) error {
	return lr.Knowledge.Relationships(ctx, q, func(o *stix.Object) error {
		if lr.Level(o) > lr.max {
			return nil
		}
		return fn(o)
	})
}

// sees reports whether the object id exists at the level.
func (lr *levelReader) sees(ctx context.Context, id string) (bool, error) {
	_, err := lr.Object(ctx, id)
	if errs.KindOf(err) == errs.NotFound || errors.Is(err, kb.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (lr *levelReader) LookupName(ctx context.Context, name string) ([]kb.NameMatch, error) {
	ms, err := lr.Knowledge.LookupName(ctx, name)
	if err != nil {
		return nil, err
	}
	out := ms[:0:0]
	for _, m := range ms {
		ok, err := lr.sees(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (lr *levelReader) SameAs(ctx context.Context) ([]kb.SameAs, error) {
	links, err := lr.Knowledge.SameAs(ctx)
	if err != nil {
		return nil, err
	}
	out := links[:0:0]
	for _, l := range links {
		a, err := lr.sees(ctx, l.A)
		if err != nil {
			return nil, err
		}
		b, err := lr.sees(ctx, l.B)
		if err != nil {
			return nil, err
		}
		if a && b {
			out = append(out, l)
		}
	}
	return out, nil
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
