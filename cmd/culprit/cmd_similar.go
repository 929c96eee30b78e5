package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/similarity"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

func similarCommand() command {
	return command{
		summary: "list the known samples nearest to a file or fuzzy hash, with their families and actors",
		run:     runSimilar,
	}
}

// similarResult is the --json output for one query.
type similarResult struct {
	Query   string         `json:"query"`
	TLSH    string         `json:"tlsh,omitempty"`
	SSDEEP  string         `json:"ssdeep,omitempty"`
	Matches []similarMatch `json:"matches"`
	// Totals counts every match of each algorithm, of which Matches lists
	// the nearest --top.
	Totals struct {
		TLSH   int `json:"tlsh"`
		SSDEEP int `json:"ssdeep"`
	} `json:"totals"`
}

type similarMatch struct {
	ID           string      `json:"id"`
	Name         string      `json:"name,omitempty"`
	SHA256       string      `json:"sha256,omitempty"`
	TLSHDistance *int        `json:"tlsh_distance,omitempty"`
	SSDEEPScore  *int        `json:"ssdeep_score,omitempty"`
	Families     []namedLink `json:"families"`
	Actors       []namedLink `json:"actors"`
}

type namedLink = similarity.Link

func runSimilar(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "similar", "[--db PATH] [--json] [--max-distance N] [--min-score N] [--top N] FILE|DIGEST...")
	db := fs.String("db", "", dbUsage)
	asJSON := fs.Bool("json", false, "print one JSON object per query (JSON lines)")
	maxDist := fs.Int("max-distance", similarity.DefaultMaxDistance, "largest TLSH distance (length term included) reported")
	minScore := fs.Int("min-score", similarity.DefaultMinScore, "smallest ssdeep score (1-100) reported")
	top := fs.Int("top", 20, "most matches listed per query")
	queries, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(queries) == 0 {
		return fmt.Errorf("%w: no FILE or DIGEST to look for", errUsage)
	}
	if *minScore < 1 || *minScore > 100 || *maxDist < 0 || *top < 1 {
		return fmt.Errorf("%w: --min-score must be 1-100, --max-distance and --top positive", errUsage)
	}
	store, err := openStore(ctx, e, *db, false)
	if err != nil {
		return err
	}
	defer store.Close()
	ix, _, err := similarity.Load(ctx, readOnlyBlobs{store})
	if err != nil {
		return err
	}
	for _, arg := range queries {
		q, res, err := similarQuery(arg)
		if err != nil {
			return err
		}
		// The index returns the nearest --top with the counts, so a query
		// near a file copied thousands of times returns at once.
		found, totals := ix.SearchLimit(q, *maxDist, *minScore, *top)
		res.Totals.TLSH, res.Totals.SSDEEP = totals.TLSH, totals.SSDEEP
		for _, m := range found {
			sm := similarMatch{ID: m.ID, Name: m.Name, SHA256: m.SHA256}
			if m.TLSHDistance >= 0 {
				sm.TLSHDistance = &m.TLSHDistance
			}
			if m.SSDEEPScore >= 0 {
				sm.SSDEEPScore = &m.SSDEEPScore
			}
			if sm.Families, sm.Actors, err = similarity.Links(ctx, store, m.ID); err != nil {
				return err
			}
			res.Matches = append(res.Matches, sm)
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(res); err != nil {
				return err
			}
			continue
		}
		printSimilar(e.stdout, res, ix.Len())
	}
	return nil
}

// similarQuery turns an argument into a query: an existing file is hashed
// (read, never executed); otherwise the argument must be a TLSH digest or an
// ssdeep hash.
func similarQuery(arg string) (similarity.Query, similarResult, error) {
	res := similarResult{Query: arg, Matches: []similarMatch{}}
	var q similarity.Query
	f, err := os.Open(arg)
	switch {
	case err == nil:
		defer f.Close()
		td, sd, err := fuzzyHashes(f)
		if err != nil {
			return q, res, fmt.Errorf("%s: %w", arg, err)
		}
		if td != nil {
			q.TLSH, res.TLSH = td, td.String()
		}
		q.SSDEEP, res.SSDEEP = sd, sd.String()
		return q, res, nil
	case !errors.Is(err, fs.ErrNotExist):
		return q, res, err
	}
	if d, err := tlsh.Parse(arg); err == nil {
		q.TLSH, res.TLSH = &d, d.String()
		return q, res, nil
	}
	if d, err := ssdeep.Parse(arg); err == nil {
		q.SSDEEP, res.SSDEEP = &d, d.String()
		return q, res, nil
	}
	return q, res, fmt.Errorf("%q is neither a file nor a TLSH or ssdeep digest", arg)
}

// fuzzyHashes hashes f in one pass. TLSH is nil for inputs it cannot
// digest (too short or too uniform).
func fuzzyHashes(f *os.File) (*tlsh.Digest, *ssdeep.Digest, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, errors.New("not a regular file")
	}
	if uint64(st.Size()) > uint64(tlsh.MaxLen) {
		return nil, nil, fmt.Errorf("%d bytes: larger than culprit hashes (%d)", st.Size(), uint64(tlsh.MaxLen))
	}
	th := tlsh.New()
	sd, err := ssdeep.SumReader(io.TeeReader(f, th), st.Size())
	if err != nil {
		return nil, nil, err
	}
	td, err := th.Sum()
	if err != nil {
		return nil, &sd, nil
	}
	return &td, &sd, nil
}

func printSimilar(w io.Writer, r similarResult, known int) {
	fmt.Fprintf(w, "%s\n", r.Query)
	if r.TLSH != "" {
		fmt.Fprintf(w, "  TLSH    %s\n", r.TLSH)
	}
	if r.SSDEEP != "" {
		fmt.Fprintf(w, "  ssdeep  %s\n", r.SSDEEP)
	}
	if len(r.Matches) == 0 {
		fmt.Fprintf(w, "  no similar sample among %d known\n\n", known)
		return
	}
	if n := max(r.Totals.TLSH, r.Totals.SSDEEP); n > len(r.Matches) {
		fmt.Fprintf(w, "  %d matches by TLSH, %d by ssdeep; the nearest %d:\n", r.Totals.TLSH, r.Totals.SSDEEP, len(r.Matches))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TLSH\tssdeep\tsample\tfamily\tactors")
	for _, m := range r.Matches {
		d, s := "-", "-"
		if m.TLSHDistance != nil {
			d = fmt.Sprint(*m.TLSHDistance)
		}
		if m.SSDEEPScore != nil {
			s = fmt.Sprint(*m.SSDEEPScore)
		}
		name := m.Name
		if name == "" {
			name = m.ID
		}
		var fams, acts []string
		for _, f := range m.Families {
			fams = append(fams, f.Name)
		}
		for _, a := range m.Actors {
			acts = append(acts, a.Name)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", d, s, name, orDash(strings.Join(fams, ", ")), orDash(strings.Join(acts, ", ")))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// readOnlyBlobs lets a reader load the similarity index from a store
// opened read-only: a stale index is rebuilt in memory and used, and not
// persisted (the store refuses the write with errs.Forbidden). Writers
// (sample --add) persist it after they change the samples.
type readOnlyBlobs struct{ kb.Store }

func (r readOnlyBlobs) PutBlob(ctx context.Context, key, tag string, data []byte) error {
	err := r.Store.PutBlob(ctx, key, tag, data)
	if errs.KindOf(err) == errs.Forbidden {
		return nil
	}
	return err
}
