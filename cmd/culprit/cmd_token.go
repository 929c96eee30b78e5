package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/token"
)

func tokenCommand() command {
	return command{
		summary: "create, list and revoke the API tokens of culprit serve",
		run:     runToken,
	}
}

// secretUsage is the usage of --secret.
const secretUsage = "the server secret that hashes the tokens (made on first use, owner-only): default server.secret beside a SQLite file; required for PostgreSQL, and the same for every culprit serve and culprit token of one database"

// tokenSet opens the token set of the knowledge base named by db: the
// tokens are kept in the store, the secret that hashes them in the file
// secret, by default beside a SQLite database. A PostgreSQL database has
// no directory of its own to keep it in, so there the file must be named.
func tokenSet(ctx context.Context, e *env, db, secret string) (kb.Store, *token.Set, error) {
	loc, err := dbPath(e, db)
	if err != nil {
		return nil, nil, err
	}
	b := parseLocation(loc)
	if secret == "" {
		if b.kind != "sqlite" {
			return nil, nil, fmt.Errorf("%w: a %s knowledge base keeps no file beside it: name the file of the server secret with --secret FILE (made on first use)", errUsage, b.kind)
		}
		secret = filepath.Join(filepath.Dir(b.path), token.SecretFile)
	}
	store, err := openStoreAt(ctx, loc, true)
	if err != nil {
		return nil, nil, err
	}
	key, err := token.LoadSecretFile(secret)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, token.New(store, key), nil
}

func runToken(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: culprit token create|list|revoke (see culprit token create -h)", errUsage)
	}
	switch args[0] {
	case "create":
		return runTokenCreate(ctx, e, args[1:])
	case "list":
		return runTokenList(ctx, e, args[1:])
	case "revoke":
		return runTokenRevoke(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown token subcommand %q (want create, list or revoke)", errUsage, args[0])
}

func runTokenCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token create", "--role reader|analyst|admin --tlp LEVEL [--name NAME] [--db PATH] [--secret FILE] [--json]")
	db := fs.String("db", "", dbUsage)
	secret := fs.String("secret", "", secretUsage)
	roleFlag := fs.String("role", "", "reader (read and attribute), analyst (also import and push) or admin")
	tlpFlag := fs.String("tlp", "", "the highest TLP level the token sees: clear, green, amber, amber+strict or red")
	name := fs.String("name", "", "a name to recognise the token by in token list")
	asJSON := fs.Bool("json", false, "print the token and its record as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	if *roleFlag == "" || *tlpFlag == "" {
		return fmt.Errorf("%w: --role and --tlp are required", errUsage)
	}
	role, err := token.ParseRole(*roleFlag)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	tlp, err := access.ParseLevel(*tlpFlag)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	store, set, err := tokenSet(ctx, e, *db, *secret)
	if err != nil {
		return err
	}
	defer store.Close()
	tok, rec, err := set.Create(ctx, *name, role, tlp)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"token": tok, "id": rec.ID, "name": rec.Name, "role": rec.Role, "tlp": rec.TLP})
	}
	fmt.Fprintln(e.stdout, tok)
	fmt.Fprintf(e.stderr, "created token %s (%s, %s); it is shown only now\n", rec.ID, rec.Role, rec.TLP)
	return nil
}

func runTokenList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token list", "[--db PATH] [--secret FILE] [--json]")
	db := fs.String("db", "", dbUsage)
	secret := fs.String("secret", "", secretUsage)
	asJSON := fs.Bool("json", false, "print the tokens as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	store, set, err := tokenSet(ctx, e, *db, *secret)
	if err != nil {
		return err
	}
	defer store.Close()
	toks, err := set.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			ID      string       `json:"id"`
			Name    string       `json:"name,omitempty"`
			Role    token.Role   `json:"role"`
			TLP     access.Level `json:"tlp"`
			Created time.Time    `json:"created"`
			Revoked time.Time    `json:"revoked,omitzero"`
		}
		rows := []row{}
		for _, t := range toks {
			rows = append(rows, row{t.ID, t.Name, t.Role, t.TLP, t.Created, t.Revoked})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tTLP\tCREATED\tSTATE")
	for _, t := range toks {
		state := "active"
		if !t.Active() {
			state = "revoked " + t.Revoked.Format(time.RFC3339)
		}
		n := t.Name
		if n == "" {
			n = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, n, t.Role, t.TLP, t.Created.Format(time.RFC3339), state)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token revoke", "[--db PATH] [--secret FILE] ID")
	db := fs.String("db", "", dbUsage)
	secret := fs.String("secret", "", secretUsage)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one token ID (culprit token list shows them)", errUsage)
	}
	store, set, err := tokenSet(ctx, e, *db, *secret)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := set.Revoke(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "revoked token %s\n", pos[0])
	return nil
}
