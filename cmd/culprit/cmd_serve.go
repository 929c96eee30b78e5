package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/server"
)

func serveCommand() command {
	return command{
		summary: "serve the knowledge base: JSON API, TAXII 2.1, metrics (see docs/server.md)",
		run:     runServe,
	}
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "[--addr HOST:PORT] [--db PATH] [--secret FILE] [--log-format json|text] [--unmarked LEVEL] [--netdata DIR]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (put TLS in a reverse proxy in front, see docs/server.md)")
	db := fs.String("db", "", dbUsage)
	secret := fs.String("secret", "", secretUsage)
	logFormat := fs.String("log-format", "json", "log format on stderr: json or text")
	unmarkedFlag := fs.String("unmarked", "clear", "TLP level of objects without a TLP marking: clear suits public catalogues (ATT&CK, MISP galaxies); raise it for private reports")
	rateFlag := fs.Float64("rate", 50, "requests per second allowed per token (negative: no limit)")
	poll := fs.Duration("poll", 2*time.Second, "how often to check the knowledge base for imports by other processes")
	netdata := fs.String("netdata", "", netDataUsage+"; extracted addresses are enriched with it and attributions weigh addresses in an actor's networks, when present")
	grace := fs.Duration("grace", 30*time.Second, "how long in-flight requests and imports may take to finish on SIGINT/SIGTERM")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	unmarked, err := access.ParseLevel(*unmarkedFlag)
	if err != nil {
		return fmt.Errorf("%w: --unmarked: %v", errUsage, err)
	}
	var handler slog.Handler
	switch *logFormat {
	case "json":
		handler = slog.NewJSONHandler(e.stderr, nil)
	case "text":
		handler = slog.NewTextHandler(e.stderr, nil)
	default:
		return fmt.Errorf("%w: --log-format %q: want json or text", errUsage, *logFormat)
	}
	if *poll <= 0 || *grace <= 0 {
		return fmt.Errorf("%w: --poll and --grace must be positive", errUsage)
	}
	log := slog.New(handler)
	network, err := openNetData(e, *netdata)
	if err != nil {
		return err
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
	if len(toks) == 0 {
		tok, rec, err := set.Create(ctx, "first admin", "admin", access.Red)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "culprit serve: no token yet; created admin token %s, shown only now:\n\n    %s\n\nCreate the others with culprit token create.\n\n", rec.ID, tok)
	}
	loc, _ := dbPath(e, *db)
	srv, err := server.New(server.Config{Store: store, StoreName: parseLocation(loc).show, Tokens: set, Logger: log,
		Unmarked: unmarked, RateLimit: *rateFlag, Poll: *poll, Network: network})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	fmt.Fprintf(e.stderr, "culprit serve: listening on http://%s\n", ln.Addr())
	return srv.Run(ctx, ln, *grace)
}
