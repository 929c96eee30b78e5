// Command culprit is a cyber-attack attribution engine and threat-intelligence
// knowledge base. See README.md and docs/ARCHITECTURE.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }() // a second signal kills a command stuck in a read
	code := run(ctx, os.Args[1:], &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
	})
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world, so that tests run
// commands end to end in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one subcommand: its one-line summary and its entry point.
// A command parses its own flags from args and returns an error on failure.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands. It is built per call, not kept in a
// package variable, so nothing global is mutable.
func commands() map[string]command {
	return map[string]command{
		// Each subcommand lives in cmd_<verb>.go beside this file.
		"import":    importCommand(),
		"actors":    actorsCommand(),
		"show":      showCommand(),
		"export":    exportCommand(),
		"attribute": {"rank the actors that may be behind a case, with probabilities and evidence", runAttribute},
		"eval":      {"measure the attribution engine on public data (leave one report out, or reports from the future)", runEval},
		"sample":    sampleCommand(),
		"extract":   extractCommand(),
		"similar":   similarCommand(),

		"case": caseCommand(),
		"sync": syncCommand(importFeedFiles),

		"serve": serveCommand(),
		"token": tokenCommand(),

		"migrate": migrateCommand(),
	}
}

// errUsage marks an error in how a command was called (exit status 2).
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, e *env) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "culprit: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return 2
	}
	if err := c.run(ctx, e, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(e.stderr, "culprit %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: culprit <command> [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'culprit <command> -h' for a command's flags.")
}

// newFlags returns a flag set for a subcommand that reports errors instead of
// exiting, and writes its help to e.stderr.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: culprit %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs, turning parse errors into usage errors.
// Flags may come before or after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) == 0 {
			return pos, nil
		}
		if !strings.HasPrefix(args[0], "-") {
			// keep collecting positionals until the next flag
			for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
				pos = append(pos, args[0])
				args = args[1:]
			}
			if len(args) == 0 {
				return pos, nil
			}
		}
	}
}
