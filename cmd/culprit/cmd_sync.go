package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/feed"
)

// importFunc imports downloaded feed files (a STIX bundle and MISP galaxy
// cluster files) into the knowledge base at db ("" for the default), and
// returns what each file added.
type importFunc func(ctx context.Context, e *env, db string, paths []string) ([]importResult, error)

// syncCommand returns the sync command. After downloading, it passes the
// paths of the usable cached files to importFiles; with a nil importFiles
// it only downloads and prints the paths.
func syncCommand(importFiles importFunc) command {
	return command{
		summary: "download the ATT&CK bundle and MISP galaxies, then import them",
		run: func(ctx context.Context, e *env, args []string) error {
			return runSync(ctx, e, args, importFiles)
		},
	}
}

// syncReport is the --json output of sync.
type syncReport struct {
	Dir      string         `json:"dir"`
	Feeds    []syncFeed     `json:"feeds"`
	Imported bool           `json:"imported"`
	Imports  []importResult `json:"imports,omitempty"`
	// NetworkData are the offline network data packages (netenrich).
	NetworkData []syncFeed `json:"network_data,omitempty"`
}

type syncFeed struct {
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	Status       string    `json:"status"`
	Path         string    `json:"path,omitempty"`
	Size         int64     `json:"size,omitempty"`
	SHA256       string    `json:"sha256,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	FetchedAt    time.Time `json:"fetched_at,omitzero"`
	Resumed      bool      `json:"resumed,omitempty"`
	Error        string    `json:"error,omitempty"`
}

func runSync(ctx context.Context, e *env, args []string, importFiles importFunc) error {
	fs := newFlags(e, "sync", "[--dir DIR] [--db PATH] [--json]")
	dir := fs.String("dir", "", "cache directory (default $XDG_CACHE_HOME/culprit/feeds or ~/.cache/culprit/feeds)")
	db := fs.String("db", "", dbUsage)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	base := fs.String("base-url", feed.OfficialBase, "base URL of the feeds (for tests)")
	netdata := fs.String("netdata", "", netDataUsage)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: culprit sync [--dir DIR] [--db PATH] [--json]")
		fmt.Fprintln(e.stderr, "\nDownloads the MITRE ATT&CK Enterprise STIX 2.1 bundle and the MISP galaxy")
		fmt.Fprintln(e.stderr, "clusters threat-actor, malpedia and mitre-intrusion-set, then imports them.")
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name != "base-url" { // hidden
				fmt.Fprintf(e.stderr, "  --%s\n    \t%s\n", f.Name, f.Usage)
			}
		})
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, pos)
	}
	if *dir == "" {
		if *dir, err = feedCacheDir(e.getenv); err != nil {
			return err
		}
	}

	client := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
	defer client.CloseIdleConnections()

	report := syncReport{Dir: *dir}
	var paths []string
	var failed []string
	for _, src := range feed.Official(*base) {
		res, err := feed.Fetch(ctx, client, src, *dir, e.stderr)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f := syncFeed{Name: src.Name, URL: src.URL, Status: string(res.Status), Path: res.Path, Resumed: res.Resumed}
		if res.Usable() {
			m := res.Meta
			f.Size, f.SHA256, f.ETag, f.LastModified, f.FetchedAt = m.Size, m.SHA256, m.ETag, m.LastModified, m.FetchedAt
			paths = append(paths, res.Path)
		}
		if err != nil {
			f.Error = err.Error()
			if res.Usable() {
				fmt.Fprintf(e.stderr, "warning: %v\n", err)
			} else {
				failed = append(failed, err.Error())
			}
		}
		report.Feeds = append(report.Feeds, f)
	}

	report.NetworkData = syncNetData(ctx, e, client, *netdata, *base)

	// IMPORT CALL SITE: the CLI wiring passes the knowledge-base import as
	// importFiles (see syncCommand); every usable feed is imported, even when
	// another one failed.
	if importFiles != nil && len(paths) > 0 {
		results, err := importFiles(ctx, e, *db, paths)
		report.Imports = results
		if err != nil {
			if !*asJSON {
				for _, r := range results {
					printImport(e.stdout, r)
				}
			}
			return fmt.Errorf("import: %w", err)
		}
		report.Imported = true
	}

	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		for _, f := range report.Feeds {
			switch {
			case f.Path == "":
				fmt.Fprintf(e.stdout, "%-26s %s\n", f.Name, f.Status)
			default:
				fmt.Fprintf(e.stdout, "%-26s %-10s %s\n", f.Name, f.Status, f.Path)
			}
		}
		for _, r := range report.Imports {
			printImport(e.stdout, r)
		}
		printNetData(e.stdout, report.NetworkData)
		if importFiles == nil && len(paths) > 0 {
			fmt.Fprintf(e.stdout, "\nImport them with: culprit import %s\n", strings.Join(paths, " "))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "\n"))
	}
	return nil
}

// feedCacheDir returns $XDG_CACHE_HOME/culprit/feeds, else
// $HOME/.cache/culprit/feeds.
func feedCacheDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "culprit", "feeds"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "culprit", "feeds"), nil
	}
	return "", errors.New("no cache directory: set --dir, XDG_CACHE_HOME or HOME")
}
