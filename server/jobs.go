package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/galaxy"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// keep is how long finished import jobs and TAXII statuses are kept: at
// least the 24 hours TAXII section 4.3 asks of statuses.
const keep = 48 * time.Hour

// job is one import through the server.
type job struct {
	mu       sync.Mutex
	ID       string          `json:"id"`
	Owner    string          `json:"-"` // token id
	Name     string          `json:"name"`
	Format   string          `json:"format"`
	Status   string          `json:"status"` // "running", "complete", "failed"
	Bytes    int64           `json:"bytes"`
	Read     int             `json:"objects_read"`
	Stats    *kb.ImportStats `json:"stats,omitempty"`
	Error    string          `json:"error,omitempty"`
	Created  time.Time       `json:"created"`
	Finished time.Time       `json:"finished,omitzero"`
}

type jobs struct {
	mu   sync.Mutex
	byID map[string]*job
	wg   sync.WaitGroup
	// slots bounds the imports spooled, queued or running at once:
	// imports run one at a time (the store's import lock), so without a
	// bound a client posting faster than they run grew the queue without
	// end (goroutines, spooled files, their decoders: 6.5 GB and "too many
	// open files" after two minutes of 173 imports a second).
	slots    chan struct{}
	slotWait time.Duration // importWait; shorter in tests
}

// maxImports is how many imports may be spooled, queued or running at
// once; importWait is how long a request waits for a slot before it is
// refused (503): long enough for a few imports ahead of it to finish,
// short enough to tell a client that floods the server to slow down.
const (
	maxImports = 8
	importWait = 30 * time.Second
)

func newJobs() *jobs {
	return &jobs{byID: map[string]*job{}, slots: make(chan struct{}, maxImports), slotWait: importWait}
}

// acquire waits for an import slot, for at most importWait or ctx.
func (js *jobs) acquire(ctx context.Context) error {
	t := time.NewTimer(js.slotWait)
	defer t.Stop()
	select {
	case js.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errs.E(errs.Unavailable, "%d imports are queued or running: retry later", maxImports)
	}
}

func (js *jobs) release() { <-js.slots }

// wait waits for running jobs, or for ctx.
func (js *jobs) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { js.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (js *jobs) add(j *job, now time.Time) {
	js.mu.Lock()
	defer js.mu.Unlock()
	for id, o := range js.byID {
		// A job's fields are its goroutine's until it finishes: read
		// them under the job's own lock.
		o.mu.Lock()
		old := !o.Finished.IsZero() && now.Sub(o.Finished) > keep
		o.mu.Unlock()
		if old {
			delete(js.byID, id)
		}
	}
	js.byID[j.ID] = j
}

func (js *jobs) get(id string) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.byID[id]
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// levelGuard refuses, by failing the import (which then changes nothing),
// an object marked above the importer's level or replacing an object it
// cannot see: a token writes only what it could read back.
type levelGuard struct {
	kb.Stream
	ix    *access.Index
	max   access.Level
	index int
}

func (g *levelGuard) Next() (*stix.Object, error) {
	o, err := g.Stream.Next()
	if err != nil {
		return o, err
	}
	g.index++
	if g.ix.Of(o) > g.max {
		return nil, errs.E(errs.Forbidden, "object %d (%s) is marked above your token's %s, or replaces an object you cannot see: nothing imported", g.index, o.ID, g.max)
	}
	return o, nil
}

// Offset passes the decoder's offset through, for error messages.
func (g *levelGuard) Offset() int64 {
	if o, ok := g.Stream.(interface{ Offset() int64 }); ok {
		return o.Offset()
	}
	return 0
}

// handleImport spools the body to a temporary file (bounded by the
// route's limit, hashed on the way), then imports it in the background;
// the response is the job, whose URL reports progress.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "upload"
	}
	if len(name) > 128 {
		return errs.E(errs.Invalid, "name longer than 128 bytes")
	}
	// The slot is taken before the body is read: a waiting client holds
	// a connection, not a spooled file.
	if err := s.jobs.acquire(r.Context()); err != nil {
		return err
	}
	f, err := os.CreateTemp("", "culprit-upload-*")
	if err != nil {
		s.jobs.release()
		return err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()); s.jobs.release() }
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r.Body)
	if err != nil {
		cleanup()
		return err
	}
	if n == 0 {
		cleanup()
		return errs.E(errs.Invalid, "empty body: send a STIX bundle or a MISP galaxy file")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return err
	}
	j := &job{ID: newID(), Owner: c.tok.ID, Name: name, Status: "running", Bytes: n, Created: s.cfg.Now().UTC()}
	j.Format = sniffFormat(f)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return err
	}
	s.jobs.add(j, s.cfg.Now())
	s.jobs.wg.Add(1)
	src := kb.Source{Kind: kb.SourceFile, Name: name, Path: "api:" + name, SHA256: hex.EncodeToString(h.Sum(nil))}
	go func() {
		defer s.jobs.wg.Done()
		stream, opts, err := s.decodeInput(j.Format, name, f, func(read int) {
			j.mu.Lock()
			j.Read = read
			j.mu.Unlock()
		})
		var st kb.ImportStats
		if err == nil {
			st, err = s.importLocked(context.WithoutCancel(r.Context()), c, src, stream, opts)
		}
		// The spooled file and the slot are done with once the import
		// committed or failed: the wait for the reload below is shared
		// by every import of a burst and holds neither.
		cleanup()
		if err == nil {
			s.reloadAfterImport(context.WithoutCancel(r.Context()))
		}
		j.mu.Lock()
		j.Finished = s.cfg.Now().UTC()
		if err != nil {
			j.Status, j.Error = "failed", err.Error()
			if errs.KindOf(err) == errs.Internal {
				s.log.Error("import failed", "job", j.ID, "err", err)
				j.Error = "internal error (job " + j.ID + ")"
			}
		} else {
			j.Status, j.Stats = "complete", &st
		}
		j.mu.Unlock()
	}()
	w.Header().Set("Location", "/api/imports/"+j.ID)
	return writeJobJSON(w, http.StatusAccepted, j)
}

func writeJobJSON(w http.ResponseWriter, status int, j *job) error {
	j.mu.Lock()
	b, err := json.Marshal(j)
	j.mu.Unlock()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

func (s *Server) handleJob(w http.ResponseWriter, r *http.Request, c *call) error {
	j := s.jobs.get(r.PathValue("id"))
	if j == nil || j.Owner != c.tok.ID && c.tok.Role != token.Admin {
		return errs.E(errs.NotFound, "no import job %q", truncate(r.PathValue("id")))
	}
	return writeJobJSON(w, http.StatusOK, j)
}

// decodeInput returns the objects of an uploaded input (a STIX bundle or
// a MISP galaxy file) and the import options it needs.
func (s *Server) decodeInput(format, name string, in io.Reader, progress func(int)) (kb.Stream, kb.ImportOptions, error) {
	opts := kb.ImportOptions{Progress: progress}
	if format == "misp-galaxy" {
		f, err := galaxy.Decoder{MaxFileSize: s.cfg.MaxImport}.Decode(in, name)
		if err != nil {
			return nil, opts, errs.Wrap(errs.Invalid, err, "")
		}
		opts.SkipDangling = true // galaxy files relate clusters of other galaxies
		return kb.SliceStream(f.Objects), opts, nil
	}
	return stix.NewDecoder(in, name), opts, nil
}

// runImport imports a stream under the level guard, then reloads the
// knowledge.
func (s *Server) runImport(ctx context.Context, c *call, src kb.Source, stream kb.Stream, opts kb.ImportOptions) (kb.ImportStats, error) {
	st, err := s.importLocked(ctx, c, src, stream, opts)
	if err != nil {
		return st, err
	}
	// Reload before the import reports success, so that a client that
	// reads after it sees what it imported. Reloads coalesce: Load runs
	// one at a time and rebuilds only when the store changed since the
	// last one, so a burst of imports costs two reloads, not one each.
	s.reloadAfterImport(ctx)
	return st, nil
}

// reloadAfterImport returns once a reload that began after the caller's
// import has finished. Waiting imports share one: the first to get the
// load lock reloads for all that asked before it started.
func (s *Server) reloadAfterImport(ctx context.Context) {
	seq := s.reloadAsked.Add(1)
	s.loadMu.Lock()
	if s.reloadDone >= seq {
		s.loadMu.Unlock()
		return
	}
	upTo := s.reloadAsked.Load()
	err := s.load(ctx)
	s.reloadDone = max(s.reloadDone, upTo)
	s.loadMu.Unlock()
	if err != nil {
		s.log.Error("reload after import failed", "err", err)
	}
}

// importLocked runs one import under the level guard, one at a time.
func (s *Server) importLocked(ctx context.Context, c *call, src kb.Source, stream kb.Stream, opts kb.ImportOptions) (kb.ImportStats, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// The guard compares with the snapshot of the call; an object marked
	// higher since is caught at the next import.
	guard := &levelGuard{Stream: stream, ix: c.snap.access, max: c.tok.TLP}
	st, err := s.cfg.Store.Import(ctx, src, guard, opts)
	s.metrics.imported.Add(float64(st.Objects))
	if err != nil {
		var de *stix.DecodeError
		if errs.KindOf(err) == errs.Internal && errors.As(err, &de) {
			err = errs.Wrap(errs.Invalid, err, "")
		}
		return st, err
	}
	return st, nil
}

// sniffFormat tells a MISP galaxy file (a JSON object with "values")
// from a STIX input by its first keys.
func sniffFormat(r io.Reader) string {
	dec := json.NewDecoder(io.LimitReader(bufio.NewReader(r), 1<<20))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return "stix"
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "stix"
		}
		switch tok {
		case "values":
			return "misp-galaxy"
		case "objects", "spec_version", "id", "type":
			return "stix"
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "stix"
		}
	}
	return "stix"
}
