// Package similarity finds the known samples nearest to a file: the
// knowledge base's STIX file objects that carry TLSH or ssdeep hashes,
// indexed for exact radius search (package tlsh's and package ssdeep's
// indexes return exactly what a brute-force scan returns).
//
// An Index is built from the stored samples and kept in the store as a blob
// tagged with the store's state, so that a restart reads it back instead of
// parsing every digest again (see Load).
package similarity

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/culprit-cti/culprit/internal/frame"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/tlsh"
)

// Defaults of a search: TLSH distance at most 30 (with the length term) is
// the usual "same family" radius; ssdeep scores start to mean something
// above about 20.
const (
	DefaultMaxDistance = tlsh.DefaultMaxDist
	DefaultMinScore    = 21
)

// Sample is one known sample: a STIX file object with fuzzy hashes.
type Sample struct {
	ID     string // STIX id of the file object
	Name   string
	SHA256 string
	TLSH   string // as stored, "" when absent
	SSDEEP string // as stored, "" when absent
}

// FromObject returns the sample a STIX file object describes, and false
// when the object is not a file or has neither a TLSH nor an SSDEEP hash.
func FromObject(o *stix.Object) (Sample, bool) {
	if o.Type != "file" {
		return Sample{}, false
	}
	s := Sample{ID: o.ID, Name: o.Name}
	for alg, v := range o.Hashes {
		switch strings.ToUpper(strings.ReplaceAll(alg, "-", "")) {
		case "SHA256":
			s.SHA256 = strings.ToLower(v)
		case "TLSH":
			s.TLSH = v
		case "SSDEEP":
			s.SSDEEP = v
		}
	}
	if o.Name == "" {
		// Name is parsed only for SDOs; a file SCO keeps its name in Raw.
		s.Name = rawName(o)
	}
	return s, s.TLSH != "" || s.SSDEEP != ""
}

// Index holds known samples and their TLSH and ssdeep indexes. It is safe
// for concurrent searches.
type Index struct {
	samples []Sample
	tlsh    *tlsh.Index
	ssdeep  *ssdeep.Index
}

// New indexes samples. Hashes that do not parse are left out of the
// index for that algorithm and reported in the returned error list; the
// sample is still found through its other hash.
func New(samples []Sample) (*Index, []error) {
	ix := &Index{samples: samples, tlsh: tlsh.NewIndex(), ssdeep: ssdeep.NewIndex()}
	var errs []error
	for i, s := range samples {
		if s.TLSH != "" {
			d, err := tlsh.Parse(s.TLSH)
			if err == nil {
				err = ix.tlsh.Add(d, uint32(i))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("sample %s: TLSH %q: %w", s.ID, s.TLSH, err))
			}
		}
		if s.SSDEEP != "" {
			d, err := ssdeep.Parse(s.SSDEEP)
			if err == nil {
				err = ix.ssdeep.Add(d, uint64(i))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("sample %s: ssdeep %q: %w", s.ID, s.SSDEEP, err))
			}
		}
	}
	return ix, errs
}

// Len returns the number of samples.
func (ix *Index) Len() int { return len(ix.samples) }

// Query is what is known of the file looked for: its fuzzy hashes.
type Query struct {
	TLSH   *tlsh.Digest
	SSDEEP *ssdeep.Digest
}

// Match is a known sample near the query.
type Match struct {
	Sample
	TLSHDistance int // TLSH distance with the length term; -1 when not compared or beyond the radius
	SSDEEPScore  int // ssdeep score 0-100; -1 when not compared or below the minimum
}

// Search returns every sample within TLSH distance maxDistance (length term
// included) or with an ssdeep score of at least minScore, closest first:
// ordered by TLSH distance, then by ssdeep score, then by id.
func (ix *Index) Search(q Query, maxDistance, minScore int) []Match {
	m, _ := ix.SearchLimit(q, maxDistance, minScore, 0)
	return m
}

// Totals counts the matches of each algorithm, those beyond a limit
// included.
type Totals struct{ TLSH, SSDEEP int }

// SearchLimit is Search bounded to limit matches (none if limit <= 0): the
// limit nearest by TLSH and the limit best by ssdeep, merged in Search's
// order and cut to limit, with the number of matches of each algorithm in
// all. A query near a file copied thousands of times (an empty file, a
// licence) returns at once, with the counts, instead of every copy.
func (ix *Index) SearchLimit(q Query, maxDistance, minScore, limit int) ([]Match, Totals) {
	var totals Totals
	found := map[int]*Match{}
	get := func(i int) *Match {
		if i >= len(ix.samples) {
			return &Match{} // an id no sample has (a damaged index): dropped below
		}
		m := found[i]
		if m == nil {
			m = &Match{Sample: ix.samples[i], TLSHDistance: -1, SSDEEPScore: -1}
			found[i] = m
		}
		return m
	}
	if q.TLSH != nil && maxDistance >= 0 {
		rs, n := ix.tlsh.SearchLimit(*q.TLSH, maxDistance, true, limit)
		totals.TLSH = n
		for _, r := range rs {
			get(int(r.ID)).TLSHDistance = r.Distance
		}
	}
	if q.SSDEEP != nil && minScore >= 1 {
		rs, n := ix.ssdeep.SearchLimit(*q.SSDEEP, minScore, limit)
		totals.SSDEEP = n
		for _, r := range rs {
			get(int(r.ID)).SSDEEPScore = r.Score
		}
	}
	out := make([]Match, 0, len(found))
	for _, m := range found {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Match) int {
		da, db := a.TLSHDistance, b.TLSHDistance
		if da < 0 {
			da = 1 << 30
		}
		if db < 0 {
			db = 1 << 30
		}
		if da != db {
			return da - db
		}
		if a.SSDEEPScore != b.SSDEEPScore {
			return b.SSDEEPScore - a.SSDEEPScore
		}
		return strings.Compare(a.ID, b.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, totals
}

// The persisted form, version 1: the magic, the sample count, each sample as
// five length-prefixed strings, then the TLSH index and the ssdeep index in
// their own formats (each reads exactly what it wrote).
const magic = "culprit-similarity-1\n"

// Bounds on what ReadIndex accepts, so a damaged blob cannot make it
// allocate without limit.
const (
	maxSamples = 1 << 26
	maxString  = 4096
)

// WriteTo writes the index in its persisted form.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	cw := &frame.CountingWriter{W: bw}
	io.WriteString(cw, magic)
	var buf [binary.MaxVarintLen64]byte
	putString := func(s string) {
		n := binary.PutUvarint(buf[:], uint64(len(s)))
		cw.Write(buf[:n])
		io.WriteString(cw, s)
	}
	n := binary.PutUvarint(buf[:], uint64(len(ix.samples)))
	cw.Write(buf[:n])
	for _, s := range ix.samples {
		for _, f := range []string{s.ID, s.Name, s.SHA256, s.TLSH, s.SSDEEP} {
			putString(f)
		}
	}
	if cw.Err == nil {
		_, cw.Err = ix.tlsh.WriteTo(cw)
	}
	if cw.Err == nil {
		_, cw.Err = ix.ssdeep.WriteTo(cw)
	}
	if cw.Err == nil {
		cw.Err = bw.Flush()
	}
	return cw.N, cw.Err
}

// ErrCorrupt is wrapped by ReadIndex's errors about damaged input.
var ErrCorrupt = errors.New("corrupt similarity index")

// ReadIndex reads an index written by WriteTo.
func ReadIndex(r io.Reader) (*Index, error) {
	br := bufio.NewReader(r)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > maxSamples {
		return nil, fmt.Errorf("%w: sample count", ErrCorrupt)
	}
	readString := func() (string, error) {
		l, err := binary.ReadUvarint(br)
		if err != nil || l > maxString {
			return "", fmt.Errorf("%w: string length", ErrCorrupt)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(br, b); err != nil {
			return "", fmt.Errorf("%w: truncated string", ErrCorrupt)
		}
		return string(b), nil
	}
	ix := &Index{}
	for i := uint64(0); i < n; i++ {
		var f [5]string
		for j := range f {
			if f[j], err = readString(); err != nil {
				return nil, fmt.Errorf("sample %d: %w", i, err)
			}
		}
		ix.samples = append(ix.samples, Sample{ID: f[0], Name: f[1], SHA256: f[2], TLSH: f[3], SSDEEP: f[4]})
	}
	if ix.tlsh, err = tlsh.ReadIndex(br); err != nil {
		return nil, fmt.Errorf("%w: TLSH index: %v", ErrCorrupt, err)
	}
	if ix.ssdeep, err = ssdeep.ReadIndex(br); err != nil {
		return nil, fmt.Errorf("%w: ssdeep index: %v", ErrCorrupt, err)
	}
	// Every id in the sub-indexes must name a sample; both indexes report
	// their sizes, which cannot exceed the sample count.
	if ix.tlsh.Len() > len(ix.samples) || ix.ssdeep.Len() > len(ix.samples) {
		return nil, fmt.Errorf("%w: index larger than its sample list", ErrCorrupt)
	}
	return ix, nil
}

// rawName returns the "name" property of o's JSON, or "".
func rawName(o *stix.Object) string {
	var v struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(o.Raw, &v) != nil {
		return ""
	}
	return v.Name
}
