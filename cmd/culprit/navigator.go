package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/internal/outfile"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
)

// caseNavigator writes the ATT&CK Navigator layer of case id (culprit case
// export --format navigator): its techniques and those of the leading
// hypothesis of its latest result.
func caseNavigator(ctx context.Context, e *env, st kb.Store, id, outPath string, dbFiles []string) error {
	c, err := st.Case(ctx, id)
	if err != nil {
		return err
	}
	l, warns, err := navigator.ForCase(ctx, st, nil, c)
	if err != nil {
		return err
	}
	for _, w := range warns {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	return writeLayer(e, l, outPath, dbFiles)
}

// showNavigator writes the layer of one actor, or of two or three
// compared (culprit show --navigator NAME...).
func showNavigator(ctx context.Context, e *env, st kb.Reader, names []string, fold int) error {
	if len(names) > navigator.MaxCompare {
		return fmt.Errorf("%w: --navigator compares at most %d actors, not %d", errUsage, navigator.MaxCompare, len(names))
	}
	var cards []*kb.Card
	for _, n := range names {
		cs, err := kb.FindActors(ctx, st, n, fold)
		if err != nil {
			return err
		}
		switch len(cs) {
		case 0:
			return fmt.Errorf("no actor has the name, alias or id %q (see culprit actors)", n)
		case 1:
			cards = append(cards, cs[0])
		default:
			var ids []string
			for _, c := range cs {
				ids = append(ids, c.Name+" "+c.ID)
			}
			return fmt.Errorf("%q is a name of %d actors (%v): give an id", n, len(cs), ids)
		}
	}
	cat, err := navigator.LoadCatalogue(ctx, st)
	if err != nil {
		return err
	}
	var l *navigator.Layer
	if len(cards) == 1 {
		l, err = navigator.Actor(ctx, st, cat, cards[0])
	} else {
		l, err = navigator.Compare(ctx, st, cat, cards)
	}
	if err != nil {
		return err
	}
	return writeLayer(e, l, "", nil)
}

func writeLayer(e *env, l *navigator.Layer, outPath string, dbFiles []string) error {
	if outPath == "" {
		w := bufio.NewWriter(e.stdout)
		if _, err := l.WriteTo(w); err != nil {
			return err
		}
		return w.Flush()
	}
	return outfile.Write(outPath, 0o644, dbFiles, func(w io.Writer) error { _, err := l.WriteTo(w); return err })
}
