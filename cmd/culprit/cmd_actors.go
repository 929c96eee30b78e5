package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/culprit-cti/culprit/kb"
)

func actorsCommand() command {
	return command{
		summary: "list the actors in the knowledge base, or those a name or alias matches",
		run:     runActors,
	}
}

func runActors(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "actors", "[--db PATH] [--json] [QUERY]")
	db := fs.String("db", "", dbUsage)
	asJSON := fs.Bool("json", false, "print the actors as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("%w: at most one QUERY (quote names with spaces)", errUsage)
	}
	query := ""
	if len(pos) == 1 {
		query = pos[0]
	}
	store, err := openStore(ctx, e, *db, false)
	if err != nil {
		return err
	}
	defer store.Close()
	actors, err := kb.ListActors(ctx, store, query)
	if err != nil {
		return err
	}
	if *asJSON {
		if actors == nil {
			actors = []kb.ActorSummary{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(actors); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tEXTERNAL ID\tALIASES\tSAME-AS\tSOURCES\tID")
		for _, a := range actors {
			ext := a.ExternalID
			if ext == "" {
				ext = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", a.Name, ext, a.Aliases, a.Links, strings.Join(a.Sources, ", "), a.ID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if query != "" && len(actors) == 0 {
		return fmt.Errorf("no actor has the name, alias or id %q", query)
	}
	return nil
}
