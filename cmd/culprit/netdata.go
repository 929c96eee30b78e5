package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/feed"
	"github.com/culprit-cti/culprit/netenrich"
)

// netDataUsage is the help of --netdata.
const netDataUsage = "directory of the offline network data (IP to AS, organisation and country) that culprit sync fetches (default $CULPRIT_NETDATA, else $XDG_CACHE_HOME/culprit/netdata or ~/.cache/culprit/netdata)"

// netDataDir returns the network data directory: flag, else
// $CULPRIT_NETDATA, else beside the feed cache.
func netDataDir(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := getenv("CULPRIT_NETDATA"); d != "" {
		return d, nil
	}
	feeds, err := feedCacheDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(feeds), "netdata"), nil
}

// openNetData opens the network data for enrichment; absent data is no
// error (nil, nil): enrichment is then left out, and said so on stderr
// when the directory was named.
func openNetData(e *env, flag string) (*netenrich.DB, error) {
	dir, err := netDataDir(flag, e.getenv)
	if err != nil {
		return nil, nil
	}
	d, err := netenrich.Open(dir)
	if errors.Is(err, netenrich.ErrNoData) {
		if flag != "" {
			return nil, err
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// syncNetData fetches the network data packages from the npm registry
// (registry "" is the public one; with a test --base-url it is under it)
// and reports them as feeds. A failure is a warning: the knowledge feeds
// are what sync is for, enrichment is optional.
func syncNetData(ctx context.Context, e *env, client *http.Client, flag, base string) []syncFeed {
	dir, err := netDataDir(flag, e.getenv)
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: network data: %v\n", err)
		return nil
	}
	registry := netenrich.Registry
	if base != feed.OfficialBase {
		registry = strings.TrimRight(base, "/") + "/npm"
	}
	var out []syncFeed
	for _, r := range netenrich.Sync(ctx, client, registry, dir, e.stderr) {
		f := syncFeed{Name: r.Package + "@" + r.Version, URL: registry, Status: r.Status, Path: r.Dir}
		if r.Version == "" {
			f.Name = r.Package
		}
		if r.Err != nil {
			f.Error = r.Err.Error()
			fmt.Fprintf(e.stderr, "warning: %v\n", r.Err)
		}
		out = append(out, f)
	}
	return out
}

// printNetData lists the network data packages and their attribution.
func printNetData(w io.Writer, feeds []syncFeed) {
	if len(feeds) == 0 {
		return
	}
	fmt.Fprintln(w, "\nOffline network data ("+netenrich.Attribution+"):")
	for _, f := range feeds {
		fmt.Fprintf(w, "%-52s %-10s %s\n", f.Name, f.Status, f.Path)
	}
}

// openNetwork is openNetData for the engine: a nil interface, not a nil
// *netenrich.DB in one, when there are no data.
func openNetwork(e *env, flag string) (attrib.Network, error) {
	d, err := openNetData(e, flag)
	if d == nil || err != nil {
		return nil, err
	}
	return d, nil
}
