// Package feed downloads public threat-intelligence feeds (the MITRE ATT&CK
// STIX bundle, MISP galaxy cluster files) into a local cache directory.
//
// Fetch keeps one file per Source in the cache directory, with a sidecar
// <name>.meta.json (Meta) that records where and when it came from. It
//
//   - revalidates a cached copy with a conditional GET (If-None-Match with the
//     ETag, If-Modified-Since with Last-Modified); 304 means up to date;
//   - downloads into <name>.part and resumes an interrupted download with
//     Range and If-Range when the server supports it (206), restarting
//     cleanly when it answers 200; the validator of the partial download is
//     kept in <name>.part.json;
//   - checks Content-Length (or the total of Content-Range), an expected
//     SHA-256 when the Source gives one, and a size limit; then renames the
//     complete file into place, so the cached copy is always whole;
//   - keeps the cached copy when anything fails, and says so.
//
// Requests ask for the identity encoding, so that ranges, lengths and
// checksums refer to the file's own bytes.
package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/internal/outfile"
)

// DefaultMaxSize is the largest download accepted when Source.MaxSize is 0.
const DefaultMaxSize = 512 << 20

// stallTimeout is how long a download may go without receiving a byte
// before it is abandoned (and kept for resume).
const stallTimeout = 60 * time.Second

// maxAttempts bounds the requests one Fetch makes when a download is cut
// after making progress: each further attempt resumes where the last one
// stopped.
const maxAttempts = 3

// Source is one file to download.
type Source struct {
	// Name is the file name in the cache directory, e.g.
	// "enterprise-attack.json". It must be a plain file name.
	Name string
	// URL is where to download it from (http or https).
	URL string
	// SHA256 is the expected hex SHA-256 of the file, or "" when the
	// publisher gives none.
	SHA256 string
	// MaxSize bounds the download in bytes; 0 means DefaultMaxSize.
	MaxSize int64
}

// Official returns the feeds culprit syncs by default: the MITRE ATT&CK
// Enterprise STIX 2.1 bundle and the MISP galaxy clusters threat-actor,
// malpedia and mitre-intrusion-set, from their official public locations
// on base (normally "https://raw.githubusercontent.com"; tests pass an
// httptest server's URL).
func Official(base string) []Source {
	base = strings.TrimRight(base, "/")
	galaxy := func(name string) Source {
		return Source{Name: name + ".json", URL: base + "/MISP/misp-galaxy/main/clusters/" + name + ".json"}
	}
	return []Source{
		{Name: "enterprise-attack.json", URL: base + "/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack.json"},
		galaxy("threat-actor"),
		galaxy("malpedia"),
		galaxy("mitre-intrusion-set"),
	}
}

// OfficialBase is the host of the official feed locations.
const OfficialBase = "https://raw.githubusercontent.com"

// Status says what Fetch did.
type Status string

const (
	// Downloaded: a new copy was downloaded and is now in the cache.
	Downloaded Status = "downloaded"
	// UpToDate: the server answered 304; the cached copy is current.
	UpToDate Status = "up to date"
	// Cached: the fetch failed, and the older cached copy was kept.
	Cached Status = "cached"
	// Failed: the fetch failed and there is no usable cached copy.
	Failed Status = "failed"
)

// Meta is the sidecar <name>.meta.json written beside each cached file.
type Meta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	SHA256       string    `json:"sha256"`
	Size         int64     `json:"size"`
	FetchedAt    time.Time `json:"fetched_at"`
}

// Result is the outcome of one Fetch.
type Result struct {
	Source Source
	Status Status
	// Path is the cached file, or "" when Status is Failed.
	Path string
	// Meta describes the cached file (zero when Status is Failed).
	Meta Meta
	// Resumed is true when the download continued a partial one.
	Resumed bool
}

// Usable reports whether Path holds a complete copy of the feed (fresh or
// older).
func (r Result) Usable() bool { return r.Path != "" }

// Fetch brings the cached copy of src in dir up to date and returns where
// it is. dir is created if needed. client may be nil (http.DefaultClient);
// progress, when not nil, receives human-readable progress lines.
//
// On failure Fetch returns an error and a Result whose Status is Cached
// (the previous complete copy is kept and Path names it) or Failed (there
// is none). An unreachable server gives "cannot reach HOST (offline?): ...".
// An interrupted download is kept in <name>.part and resumed by the next
// call. Fetch stops when ctx is done.
func Fetch(ctx context.Context, client *http.Client, src Source, dir string, progress io.Writer) (Result, error) {
	if err := checkSource(src); err != nil {
		return Result{Source: src, Status: Failed}, err
	}
	if client == nil {
		client = http.DefaultClient
	}
	if src.MaxSize <= 0 {
		src.MaxSize = DefaultMaxSize
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{Source: src, Status: Failed}, fmt.Errorf("feed %s: %w", src.Name, err)
	}
	f := &fetch{
		ctx: ctx, client: client, src: src, progress: progress,
		path: filepath.Join(dir, src.Name),
	}
	f.cached = loadCached(f.path)

	res, err := f.run()
	res.Source = src
	if err == nil {
		return res, nil
	}
	err = fmt.Errorf("feed %s: %w", src.Name, err)
	if f.cached != nil {
		return Result{Source: src, Status: Cached, Path: f.path, Meta: *f.cached},
			fmt.Errorf("%w; cached copy from %s kept", err, f.cached.FetchedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return Result{Source: src, Status: Failed}, fmt.Errorf("%w; no cached copy", err)
}

func checkSource(src Source) error {
	if src.Name == "" || src.Name != filepath.Base(src.Name) || src.Name == "." || src.Name == ".." ||
		strings.ContainsAny(src.Name, `/\`) || strings.HasSuffix(src.Name, ".part") || strings.HasSuffix(src.Name, ".meta.json") {
		return fmt.Errorf("feed: invalid file name %q", src.Name)
	}
	u, err := url.Parse(src.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("feed %s: invalid URL %q", src.Name, src.URL)
	}
	if src.SHA256 != "" {
		if b, err := hex.DecodeString(src.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("feed %s: invalid SHA-256 %q", src.Name, src.SHA256)
		}
	}
	return nil
}

// loadCached returns the meta of the cached copy at path when the copy is
// whole (size and SHA-256 match its sidecar), else nil. The copy may come
// from another URL: it is still a fallback, but is not revalidated.
func loadCached(path string) *Meta {
	m, err := readMeta(path + ".meta.json")
	if err != nil {
		return nil
	}
	sum, size, err := hashFile(path)
	if err != nil || size != m.Size || sum != m.SHA256 {
		return nil
	}
	return &m
}

func readMeta(path string) (Meta, error) {
	var m Meta
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if len(b) > 64<<10 {
		return m, errors.New("meta file too large")
	}
	err = json.Unmarshal(b, &m)
	return m, err
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeFileAtomic writes data to path through a temporary file, fsync and
// rename (outfile), so that a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	return outfile.Write(path, 0o644, nil, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func writeMeta(path string, m any) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// partMeta is <name>.part.json: what the partial download is a part of.
type partMeta struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// validator returns the If-Range value for resuming, or "" when the partial
// download cannot be safely resumed (If-Range needs a strong validator).
func (p partMeta) validator() string {
	if p.ETag != "" && !strings.HasPrefix(p.ETag, "W/") {
		return p.ETag
	}
	return p.LastModified
}

// UnreachableError reports that the feed's server could not be reached
// (no network, DNS failure, connection refused, timeout).
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s (offline?): %v", e.Host, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// fetch is the state of one Fetch call.
type fetch struct {
	ctx      context.Context
	client   *http.Client
	src      Source
	progress io.Writer
	path     string
	cached   *Meta
}

func (f *fetch) partPath() string     { return f.path + ".part" }
func (f *fetch) partMetaPath() string { return f.path + ".part.json" }

// errRestart asks run to discard the partial download and start over.
var errRestart = errors.New("restart")

func (f *fetch) run() (Result, error) {
	var resumed bool
	restarted := false
	for attempt := 1; ; attempt++ {
		res, progressed, err := f.attempt()
		resumed = resumed || res.Resumed
		switch {
		case err == nil:
			res.Resumed = resumed
			return res, nil
		case errors.Is(err, errRestart) && !restarted:
			restarted = true
			f.discardPart()
			attempt--
			continue
		case progressed && attempt < maxAttempts && f.ctx.Err() == nil:
			f.logf("%s: %v; resuming\n", f.src.Name, err)
			continue
		}
		return res, err
	}
}

func (f *fetch) discardPart() {
	os.Remove(f.partPath())
	os.Remove(f.partMetaPath())
}

// attempt makes one request. progressed reports whether body bytes were
// received before an error, so that another attempt can resume.
func (f *fetch) attempt() (res Result, progressed bool, err error) {
	ctx, cancel := context.WithCancelCause(f.ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.src.URL, nil)
	if err != nil {
		return res, false, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "culprit-feed/1")
	if f.cached != nil && f.cached.URL == f.src.URL {
		if f.cached.ETag != "" {
			req.Header.Set("If-None-Match", f.cached.ETag)
		}
		if f.cached.LastModified != "" {
			req.Header.Set("If-Modified-Since", f.cached.LastModified)
		}
	}

	// A partial download is resumed when we know what it is a part of.
	var offset int64
	var pm partMeta
	if st, err := os.Stat(f.partPath()); err == nil && st.Size() > 0 {
		if m, err := readPartMeta(f.partMetaPath()); err == nil && m.URL == f.src.URL && m.validator() != "" {
			pm, offset = m, st.Size()
			req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
			req.Header.Set("If-Range", m.validator())
		} else {
			f.discardPart()
		}
	}

	resp, err := f.client.Do(req)
	if err != nil {
		if f.ctx.Err() != nil {
			return res, false, f.ctx.Err()
		}
		return res, false, &UnreachableError{Host: req.URL.Host, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusNotModified:
		if f.cached == nil || f.cached.URL != f.src.URL {
			return res, false, fmt.Errorf("GET %s: 304 Not Modified without a cached copy", f.src.URL)
		}
		f.discardPart()
		f.logf("%s: up to date\n", f.src.Name)
		return Result{Status: UpToDate, Path: f.path, Meta: *f.cached}, false, nil
	case http.StatusOK:
		offset = 0
		pm = partMeta{URL: f.src.URL, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	case http.StatusPartialContent:
		if offset == 0 {
			return res, false, fmt.Errorf("GET %s: 206 Partial Content to a request without Range", f.src.URL)
		}
		start, _, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != offset {
			return res, false, fmt.Errorf("%w: bad Content-Range %q for offset %d", errRestart, resp.Header.Get("Content-Range"), offset)
		}
		if total >= 0 && total > f.src.MaxSize {
			return res, false, fmt.Errorf("GET %s: %d bytes, over the limit of %d", f.src.URL, total, f.src.MaxSize)
		}
		res.Resumed = true
		// The validators of a 206 describe the same representation.
		if v := resp.Header.Get("ETag"); v != "" {
			pm.ETag = v
		}
		if v := resp.Header.Get("Last-Modified"); v != "" {
			pm.LastModified = v
		}
	case http.StatusRequestedRangeNotSatisfiable:
		return res, false, fmt.Errorf("%w: 416 for offset %d", errRestart, offset)
	default:
		return res, false, fmt.Errorf("GET %s: %s", f.src.URL, resp.Status)
	}

	// Expected full size, -1 when unknown.
	want := int64(-1)
	if resp.StatusCode == http.StatusPartialContent {
		_, end, total, _ := parseContentRange(resp.Header.Get("Content-Range"))
		want = total
		if resp.ContentLength >= 0 && resp.ContentLength != end-offset+1 {
			return res, false, fmt.Errorf("GET %s: Content-Length %d does not match Content-Range %q", f.src.URL, resp.ContentLength, resp.Header.Get("Content-Range"))
		}
	} else if resp.ContentLength >= 0 {
		want = resp.ContentLength
	}
	if want > f.src.MaxSize {
		return res, false, fmt.Errorf("GET %s: %d bytes, over the limit of %d", f.src.URL, want, f.src.MaxSize)
	}

	// Open the part file: append when resuming, else start over.
	h := sha256.New()
	var part *os.File
	if offset > 0 {
		part, err = os.OpenFile(f.partPath(), os.O_RDWR, 0o644)
		if err == nil {
			_, err = io.Copy(h, io.NewSectionReader(part, 0, offset))
		}
		if err == nil {
			_, err = part.Seek(offset, io.SeekStart)
		}
	} else {
		if err = writeMeta(f.partMetaPath(), pm); err == nil {
			part, err = os.Create(f.partPath())
		}
	}
	if err != nil {
		if part != nil {
			part.Close()
		}
		return res, false, err
	}
	closed := false
	defer func() {
		if !closed {
			part.Close()
		}
	}()

	// Copy the body, abandoning it when it stalls.
	stall := time.AfterFunc(stallTimeout, func() { cancel(errStalled) })
	defer stall.Stop()
	pr := &progressReader{r: resp.Body, f: f, done: offset, total: want, stall: stall}
	limit := f.src.MaxSize - offset
	n, err := io.Copy(io.MultiWriter(part, h), io.LimitReader(pr, limit+1))
	size := offset + n
	if err == nil && n > limit {
		f.discardPart()
		return res, false, fmt.Errorf("GET %s: more than the limit of %d bytes", f.src.URL, f.src.MaxSize)
	}
	if err != nil {
		if c := context.Cause(ctx); errors.Is(c, errStalled) {
			err = c
		}
		if f.ctx.Err() != nil {
			err = f.ctx.Err()
		}
		if syncErr := part.Sync(); syncErr != nil {
			f.discardPart()
		}
		return res, n > 0, fmt.Errorf("download interrupted after %d of %s bytes (kept for resume): %w", size, countString(want), err)
	}
	if want >= 0 && size != want {
		// The server ended the body early without an error.
		return res, n > 0, fmt.Errorf("download interrupted after %d of %d bytes (kept for resume): %w", size, want, io.ErrUnexpectedEOF)
	}
	if err := part.Sync(); err != nil {
		return res, false, err
	}
	closed = true
	if err := part.Close(); err != nil {
		return res, false, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if f.src.SHA256 != "" && !strings.EqualFold(sum, f.src.SHA256) {
		f.discardPart()
		return res, false, fmt.Errorf("checksum mismatch: SHA-256 %s, want %s (download discarded)", sum, strings.ToLower(f.src.SHA256))
	}
	meta := Meta{
		URL: f.src.URL, ETag: pm.ETag, LastModified: pm.LastModified,
		SHA256: sum, Size: size, FetchedAt: time.Now().UTC(),
	}
	if err := os.Rename(f.partPath(), f.path); err != nil {
		return res, false, err
	}
	syncDir(filepath.Dir(f.path))
	os.Remove(f.partMetaPath())
	if err := writeMeta(f.path+".meta.json", meta); err != nil {
		return res, false, err
	}
	f.logf("%s: downloaded %s\n", f.src.Name, sizeString(size))
	return Result{Status: Downloaded, Path: f.path, Meta: meta, Resumed: res.Resumed}, false, nil
}

var errStalled = fmt.Errorf("no data received for %v", stallTimeout)

func readPartMeta(path string) (partMeta, error) {
	var m partMeta
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if len(b) > 64<<10 {
		return m, errors.New("part meta too large")
	}
	err = json.Unmarshal(b, &m)
	return m, err
}

// parseContentRange parses "bytes start-end/total" (total may be "*",
// given as -1).
func parseContentRange(s string) (start, end, total int64, err error) {
	bad := fmt.Errorf("invalid Content-Range %q", s)
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, 0, bad
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, bad
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, bad
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil || start < 0 {
		return 0, 0, 0, bad
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
		return 0, 0, 0, bad
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total <= end {
			return 0, 0, 0, bad
		}
	}
	return start, end, total, nil
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// method and URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	return err
}

func (f *fetch) logf(format string, args ...any) {
	if f.progress != nil {
		fmt.Fprintf(f.progress, format, args...)
	}
}

// progressReader reports download progress at most every progressEvery and
// keeps the stall timer from firing while bytes arrive.
type progressReader struct {
	r     io.Reader
	f     *fetch
	done  int64
	total int64
	last  time.Time
	stall *time.Timer
}

const progressEvery = time.Second

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.stall.Reset(stallTimeout)
		p.done += int64(n)
		if now := time.Now(); now.Sub(p.last) >= progressEvery {
			p.last = now
			if p.total > 0 {
				p.f.logf("%s: %s of %s (%d%%)\n", p.f.src.Name, sizeString(p.done), sizeString(p.total), p.done*100/p.total)
			} else {
				p.f.logf("%s: %s\n", p.f.src.Name, sizeString(p.done))
			}
		}
	}
	return n, err
}

// countString formats a byte count, -1 as "?".
func countString(n int64) string {
	if n < 0 {
		return "?"
	}
	return strconv.FormatInt(n, 10)
}

// sizeString formats a byte count for people; -1 is "unknown".
func sizeString(n int64) string {
	switch {
	case n < 0:
		return "unknown"
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// syncDir flushes the directory entry of a rename into the cache, so that
// a crash after it cannot bring back the part file; file systems that
// cannot sync directories still rename atomically, so errors are ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
