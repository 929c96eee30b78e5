// Package server is culprit's HTTP server: a JSON API described by an
// OpenAPI 3 document (/api/openapi.json), a TAXII 2.1 server (/taxii2/),
// health and readiness probes and Prometheus metrics. Every request that
// reads the knowledge base reads it through an access.View at the level of
// its token (package access), every error is written by one function
// (problem.go) from its errs kind, and the knowledge is indexed once per
// state of the knowledge base and swapped atomically when an import
// changes it, so readers never wait for a reload.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/netenrich"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/token"
	"golang.org/x/time/rate"
)

// Config configures a Server. Zero values mean the defaults documented on
// each field.
type Config struct {
	Store     kb.Store
	StoreName string // how messages name the knowledge base
	Tokens    *token.Set
	Logger    *slog.Logger // nil discards logs

	// Unmarked is the level of objects that carry no TLP marking. The
	// default, CLEAR, suits the public catalogues culprit imports (ATT&CK,
	// MISP galaxies); a knowledge base of private reports should raise it.
	Unmarked access.Level
	Fold     int // the same-as fold threshold; 0 means kb.DefaultFold

	// RateLimit is the sustained requests per second of one token (0
	// means 50; negative disables the limit), Burst its burst (0 means
	// 2*RateLimit).
	RateLimit float64
	Burst     int

	// Poll is how often the store is checked for imports by other
	// processes (0 means 2 s).
	Poll time.Duration
	// ReadTimeout bounds the reading of one request but an import (0
	// means 30 s); ImportTimeout that of an import body (0 means 10 min).
	ReadTimeout   time.Duration
	ImportTimeout time.Duration

	// MaxImport bounds an import body and a TAXII envelope (0 means 256
	// MiB and 64 MiB); MaxCase a posted case (0 means 8 MiB).
	MaxImport   int64
	MaxEnvelope int64
	MaxCase     int64
	// MaxReport bounds a report posted for extraction (0 means 32 MiB),
	// MaxSample a sample upload (0 means 64 MiB).
	MaxReport int64
	MaxSample int64

	// Network is the offline network data (nil: none): extracted
	// addresses are enriched with it, and attributions weigh a case's
	// addresses in an actor's networks as weak evidence.
	Network *netenrich.DB

	Now func() time.Time // the clock; nil means time.Now
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.StoreName == "" {
		c.StoreName = "the knowledge base"
	}
	if c.RateLimit == 0 {
		c.RateLimit = 50
	}
	if c.Burst == 0 {
		c.Burst = max(1, int(2*c.RateLimit))
	}
	if c.Poll == 0 {
		c.Poll = 2 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.ImportTimeout == 0 {
		c.ImportTimeout = 10 * time.Minute
	}
	if c.MaxImport == 0 {
		c.MaxImport = 256 << 20
	}
	if c.MaxEnvelope == 0 {
		c.MaxEnvelope = 64 << 20
	}
	if c.MaxCase == 0 {
		c.MaxCase = 8 << 20
	}
	if c.MaxReport == 0 {
		c.MaxReport = 32 << 20
	}
	if c.MaxSample == 0 {
		c.MaxSample = 64 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Server serves one knowledge base.
type Server struct {
	cfg     Config
	log     *slog.Logger
	snap    atomic.Pointer[snapshot]
	metrics *metrics
	mux     *http.ServeMux
	routes  []route

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter

	jobs    *jobs
	status  *statuses
	writeMu sync.Mutex // one import at a time: the store serialises writers anyway
	loadMu  sync.Mutex // one load at a time, so that an older snapshot never replaces a newer
	// reloadAsked counts the reloads imports asked for; reloadDone (under
	// loadMu) is the highest of them that a finished reload covers.
	reloadAsked atomic.Int64
	reloadDone  int64
	// dataVersion (under loadMu) is the store's data version that the
	// current snapshot is known to cover, when dataVersionKnown.
	dataVersion      int64
	dataVersionKnown bool

	// caseIx keeps the TAXII indexes of the cases read lately
	// (taxii_cases.go).
	caseIx caseIndexes
}

// dataVersioner is a store that tells cheaply whether anything was
// committed since it last answered (sqlite.Store.DataVersion).
type dataVersioner interface {
	DataVersion(ctx context.Context) (int64, error)
}

// New returns a server for cfg. It loads nothing yet: Load (or Run) does.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Tokens == nil {
		return nil, errors.New("server: a store and a token set are required")
	}
	cfg.defaults()
	s := &Server{cfg: cfg, log: cfg.Logger,
		limiters: map[string]*rate.Limiter{}, jobs: newJobs(), status: newStatuses()}
	s.metrics = newMetrics()
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	// A pattern ending in "/" would match every path below it: the TAXII
	// paths, which all end in "/", match exactly ({$}).
	paths := http.NewServeMux()
	allow := map[string][]string{}
	for _, rt := range s.routes {
		pattern := rt.path
		if strings.HasSuffix(pattern, "/") {
			pattern += "{$}"
		}
		s.mux.Handle(rt.method+" "+pattern, s.wrap(rt))
		if allow[pattern] == nil {
			paths.Handle(pattern, http.NotFoundHandler())
		}
		allow[pattern] = append(allow[pattern], rt.method)
	}
	s.mux.Handle("/", s.wrap(route{name: "unknown", h: func(w http.ResponseWriter, r *http.Request, c *call) error {
		c.route.taxii = strings.HasPrefix(r.URL.Path, "/taxii2/")
		if _, p := paths.Handler(r); p != "" {
			return &httpError{status: http.StatusMethodNotAllowed, msg: r.Method + " is not allowed on " + r.URL.Path,
				header: http.Header{"Allow": {strings.Join(allow[p], ", ")}}}
		}
		return errNoRoute(r)
	}}))
	if err := s.mountUI(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// snapshot is the knowledge as of one state of the store.
type snapshot struct {
	tag     string
	access  *access.Index
	taxii   *taxii.Index
	objects []objRef // current versions ordered by type then id, for the objects API
	loaded  time.Time
	highest access.Level
	know    [access.Red + 1]lazyKnowledge
	actors  [access.Red + 1]actorCache
	extract [access.Red + 1]lazyExtract
	mem     *memStore // the decoded objects, during Load only
	names   nameIndex
	// relsBySource and relsByTarget index the relationships of objects
	// by their ends (indexes into objects).
	relsBySource, relsByTarget map[string][]int
	pages                      pageCache // the knowledge collection's TAXII pages asked for lately
}

type objRef struct {
	typ, id string
	level   access.Level
	raw     []byte
}

type lazyKnowledge struct {
	once sync.Once
	k    *assess.Knowledge
	err  error
}

// stateTag summarises the store's state: any import that stores
// something changes it.
func stateTag(ctx context.Context, st kb.Store) (string, error) {
	s, err := st.Stats(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("objects=%d inactive=%d versions=%d sources=%d same_as=%d names=%d",
		s.Objects, s.Inactive, s.Versions, s.Sources, s.SameAs, s.Names), nil
}

// Load builds the snapshot of the store if it changed since the last one
// and swaps it in. Readers keep the previous snapshot until then.
func (s *Server) Load(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	return s.load(ctx)
}

// load is Load with loadMu held. With a store that has a data version,
// nothing is read while it stays the same: the state tag counts whole
// tables (at 100,000 objects the two-second poll of it took a fifth of a
// busy server's CPU).
func (s *Server) load(ctx context.Context) error {
	dv, ok := s.cfg.Store.(dataVersioner)
	var v int64
	if ok {
		var err error
		if v, err = dv.DataVersion(ctx); err != nil {
			ok = false // read the state tag instead
		} else if s.dataVersionKnown && v == s.dataVersion && s.snap.Load() != nil {
			return nil
		}
	}
	// The version is read before the state: a commit in between is seen
	// by the next poll.
	if err := s.loadState(ctx); err != nil {
		s.dataVersionKnown = false
		return err
	}
	s.dataVersion, s.dataVersionKnown = v, ok
	return nil
}

// loadState builds the snapshot if the store's state tag changed.
func (s *Server) loadState(ctx context.Context) error {
	if err := s.status.load(ctx, s.cfg.Store); err != nil {
		return err
	}
	tag, err := stateTag(ctx, s.cfg.Store)
	if err != nil {
		return fmt.Errorf("check %s: %w", s.cfg.StoreName, err)
	}
	if cur := s.snap.Load(); cur != nil && cur.tag == tag {
		return nil
	}
	start := time.Now()
	mem, err := loadMem(ctx, s.cfg.Store)
	if err != nil {
		return fmt.Errorf("load %s: %w", s.cfg.StoreName, err)
	}
	ix, err := access.Build(ctx, mem, s.cfg.Unmarked)
	if err != nil {
		return fmt.Errorf("load %s: %w", s.cfg.StoreName, err)
	}
	tx, err := taxii.Build(ctx, ix.View(mem, access.Red), s.cfg.Store)
	if err != nil {
		return fmt.Errorf("load %s: %w", s.cfg.StoreName, err)
	}
	sn := &snapshot{tag: tag, access: ix, taxii: tx, loaded: s.cfg.Now(), highest: ix.Highest(), mem: mem, names: buildNames(mem.objs)}
	for _, e := range tx.Current() {
		sn.objects = append(sn.objects, objRef{typ: e.Type, id: e.ID, level: e.Level, raw: e.Raw})
	}
	sortObjRefs(sn.objects)
	sn.indexRelationships(mem.objs)
	// Build the attribution knowledge of the levels that differ before
	// the swap, so that the first attribution after a reload does not wait.
	for l := access.Clear; l <= sn.highest; l++ {
		if _, err := s.knowledge(ctx, sn, l); err != nil {
			return err
		}
		if _, err := s.actorCache(ctx, sn, l); err != nil {
			return err
		}
	}
	sn.mem = nil // every level is built: the decoded objects can go
	s.snap.Store(sn)
	s.metrics.reloads.Inc()
	s.metrics.reloadSeconds.Observe(time.Since(start).Seconds())
	s.log.Info("knowledge loaded", "state", tag, "seconds", time.Since(start).Seconds())
	return nil
}

// knowledge returns the attribution knowledge that a caller of level l
// sees, built once per snapshot and level; levels above the highest
// marking of the snapshot share the knowledge of that marking.
func (s *Server) knowledge(ctx context.Context, sn *snapshot, l access.Level) (*assess.Knowledge, error) {
	l = min(l, sn.highest)
	lk := &sn.know[l]
	lk.once.Do(func() {
		// The build must not be cut short by one request's context:
		// other requests wait for the same result.
		var src access.Store = s.cfg.Store
		if sn.mem != nil {
			src = sn.mem
		}
		lk.k, lk.err = assess.Load(context.WithoutCancel(ctx), sn.access.View(src, l), s.cfg.StoreName, s.cfg.Fold)
	})
	return lk.k, lk.err
}

// Run serves on ln until ctx is done, then shuts down gracefully: the
// listener closes, in-flight requests and imports finish (for at most
// grace), and Run returns. Until the knowledge is loaded, /healthz answers
// and every other route is 503 (so /readyz tells a load balancer when to
// send traffic); a failed first load ends Run. The caller closes the store.
func (s *Server) Run(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       0, // per route, see serve: an import may take minutes to upload
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String())
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		err := srv.Shutdown(sctx)
		s.jobs.wait(sctx)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
	if err := s.Load(ctx); err != nil {
		shutdown()
		return err
	}
	reloadCtx, stopReload := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.reloader(reloadCtx) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down", "grace", grace.String())
		err = shutdown()
	}
	stopReload()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// reloader checks the store every Poll and reloads the knowledge when it
// changed (imports through the server reload at once, see runImport).
func (s *Server) reloader(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Load(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reload failed; serving the previous knowledge", "err", err)
		}
	}
}
