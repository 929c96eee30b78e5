package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/culprit-cti/culprit/kb"
)

func showCommand() command {
	return command{
		summary: "show the actor card of a name, alias, external id or STIX id",
		run:     runShow,
	}
}

func runShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "show", "[--db PATH] [--json] [--fold N] [--navigator] NAME|ID (--navigator: up to 3)")
	db := fs.String("db", "", dbUsage)
	asJSON := fs.Bool("json", false, "print the cards as JSON")
	fold := foldFlag(fs)
	layer := fs.Bool("navigator", false, "print the actor's ATT&CK Navigator layer; with two or three names, a layer comparing them")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *layer && len(pos) >= 1 {
		store, err := openStore(ctx, e, *db, false)
		if err != nil {
			return err
		}
		defer store.Close()
		return showNavigator(ctx, e, store, pos, *fold)
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: give one NAME or ID (quote names with spaces)", errUsage)
	}
	store, err := openStore(ctx, e, *db, false)
	if err != nil {
		return err
	}
	defer store.Close()
	cards, err := kb.FindActors(ctx, store, pos[0], *fold)
	if err != nil {
		return err
	}
	if len(cards) == 0 {
		return fmt.Errorf("no actor has the name, alias or id %q (see culprit actors)", pos[0])
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cards)
	}
	if len(cards) > 1 {
		fmt.Fprintf(e.stdout, "%q is a name of %d actors that culprit keeps apart:\n\n", pos[0], len(cards))
	}
	for i, c := range cards {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printCard(e.stdout, c)
	}
	return nil
}

func printCard(w io.Writer, c *kb.Card) {
	title := c.Name
	if c.ExternalID != "" {
		title += " (" + c.ExternalID + ")"
	}
	if c.Inactive {
		title += " [revoked or deprecated]"
	}
	fmt.Fprintf(w, "%s\n%s\n", title, strings.Repeat("=", len(title)))
	fmt.Fprintf(w, "id: %s\n", c.ID)
	for _, m := range c.Matches {
		fmt.Fprintf(w, "matched: %q (%s of %s)\n", m.Matched, m.Kind, m.ID)
	}
	if len(c.Countries) > 0 {
		fmt.Fprintf(w, "country: %s\n", strings.Join(c.Countries, ", "))
	}
	if len(c.Sponsors) > 0 {
		fmt.Fprintf(w, "suspected state sponsor: %s\n", strings.Join(c.Sponsors, "; "))
	}
	fmt.Fprintf(w, "\nobjects (%d):\n", len(c.Members))
	names := map[string]string{}
	for _, m := range c.Members {
		names[m.ID] = m.Name
	}
	for _, m := range c.Members {
		conf := "primary"
		if m.Reason != "" {
			conf = fmt.Sprintf("same-as %d%%, %s", m.Confidence, m.Reason)
			if m.Via != c.ID {
				conf += ", with " + names[m.Via]
			}
		}
		fmt.Fprintf(w, "  %s %s [%s] from %s\n", m.ID, m.Name, conf, strings.Join(m.Sources, ", "))
	}
	fmt.Fprintf(w, "\nnames (%d):\n", len(c.Names))
	for _, n := range c.Names {
		fmt.Fprintf(w, "  %-32s %-11s %s\n", n.Name, n.Kind, strings.Join(n.Sources, ", "))
	}
	related := func(title string, rs []kb.Related) {
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, len(rs))
		for _, r := range rs {
			ext := r.ExternalID
			if ext == "" {
				ext = "-"
			}
			fmt.Fprintf(w, "  %-10s %s\n", ext, r.Name)
		}
	}
	related("techniques", c.Techniques)
	related("software", c.Software)
	related("campaigns", c.Campaigns)
	if len(c.Ambiguous) > 0 {
		fmt.Fprintf(w, "\nambiguous names (%d), shared with actors culprit keeps apart:\n", len(c.Ambiguous))
		for _, a := range c.Ambiguous {
			var cand []string
			for _, x := range a.Candidates {
				if x.ID == c.ID {
					continue
				}
				n := x.Name
				if x.ExternalID != "" {
					n += " (" + x.ExternalID + ")"
				}
				cand = append(cand, n)
			}
			fmt.Fprintf(w, "  %-32s also %s\n", a.Name, strings.Join(cand, "; "))
		}
	}
	if len(c.Possible) > 0 {
		fmt.Fprintf(w, "\npossibly the same as (%d), not folded (fold threshold %d):\n", len(c.Possible), c.Fold)
		for _, p := range c.Possible {
			other := p.OtherName
			if p.ExternalID != "" {
				other += " (" + p.ExternalID + ")"
			}
			src := ""
			if p.Source != "" && !strings.Contains(p.Source, "--") {
				src = " " + strconv.Quote(p.Source)
			}
			fmt.Fprintf(w, "  %3d%%  %s  %s%s, from %s: %s\n", p.Confidence, other, p.Reason, src, names[p.Member], p.Why)
		}
	}
	if len(c.References) > 0 {
		fmt.Fprintf(w, "\nreferences (%d):\n", len(c.References))
		for _, r := range c.References {
			s := r.SourceName
			if r.ExternalID != "" {
				s += " " + r.ExternalID
			}
			if r.URL != "" {
				s += " " + r.URL
			}
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}
