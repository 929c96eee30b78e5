package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/server/taxii"
	"github.com/culprit-cti/culprit/token"
	"golang.org/x/time/rate"
)

// route is one endpoint. path uses the ServeMux pattern syntax, which is
// also the OpenAPI path syntax ({name}); the OpenAPI test compares them.
type route struct {
	method, path string
	name         string     // the route's name in logs and metrics
	role         token.Role // "" for no authentication
	maxBody      int64      // 0: no body accepted beyond 64 KiB
	long         bool       // the body may take ImportTimeout to upload
	taxii        bool       // TAXII error format and content negotiation
	h            func(w http.ResponseWriter, r *http.Request, c *call) error
}

// call is what a handler knows of its request.
type call struct {
	id    string
	route *route
	tok   token.Token
	snap  *snapshot
	view  *access.View
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestID returns the client's X-Request-Id when it is short and plain,
// else a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return id
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// wrap gives a route its middleware: request id, recovery, logs and
// metrics, authentication, role, rate limit, body limit and read deadline,
// the snapshot and the access view of the token.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{id: requestID(r), route: &rt}
		w := &statusWriter{ResponseWriter: rw}
		w.Header().Set("X-Request-Id", c.id)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", c.id, "route", rt.name, "panic", fmt.Sprint(p))
				if !w.wrote {
					s.writeError(w, r, c, fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			code := strconv.Itoa(w.status)
			s.metrics.requests.WithLabelValues(rt.name, r.Method, code).Inc()
			s.metrics.latency.WithLabelValues(rt.name).Observe(d.Seconds())
			s.log.Info("request", "request_id", c.id, "method", r.Method, "route", rt.name, "path", r.URL.Path,
				"status", w.status, "duration_ms", float64(d.Microseconds())/1000, "token", c.tok.ID)
		}()
		if err := s.serve(w, r, c); err != nil {
			if w.wrote {
				// A streamed response failed halfway: nothing can be
				// said to the client any more.
				s.log.Warn("response cut short", "request_id", c.id, "err", err)
				return
			}
			s.writeError(w, r, c, err)
		}
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, c *call) error {
	rt := c.route
	rc := http.NewResponseController(w)
	timeout := s.cfg.ReadTimeout
	if rt.long {
		timeout = s.cfg.ImportTimeout
	}
	// A deadline on the body: a client that sends it too slowly gets a
	// 408 (or its connection closed) instead of holding a handler.
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	limit := rt.maxBody
	if limit == 0 {
		limit = 64 << 10
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength > limit {
		return &http.MaxBytesError{Limit: limit}
	}
	if rt.taxii {
		if err := negotiate(r); err != nil {
			return err
		}
	}
	if rt.role != "" {
		tok, err := s.authenticate(r)
		if err != nil {
			return err
		}
		c.tok = tok
		if !tok.Role.Allows(rt.role) {
			return errs.E(errs.Forbidden, "this needs a token of role %s or above; yours is %s", rt.role, tok.Role)
		}
		if err := s.limit(tok.ID); err != nil {
			return err
		}
		c.snap = s.snap.Load()
		if c.snap == nil {
			return errs.E(errs.Unavailable, "the knowledge is still loading; retry shortly")
		}
		c.view = c.snap.access.View(s.cfg.Store, tok.TLP)
	}
	return rt.h(w, r, c)
}

// authenticate reads the token of a request: "Authorization: Bearer T",
// or HTTP Basic with T as the password (TAXII clients often only do
// Basic).
func (s *Server) authenticate(r *http.Request) (token.Token, error) {
	h := r.Header.Get("Authorization")
	var tok string
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		tok = strings.TrimSpace(t)
	} else if _, p, ok := r.BasicAuth(); ok {
		tok = p
	}
	if tok == "" {
		return token.Token{}, statusErr(http.StatusUnauthorized, "a token is required: Authorization: Bearer TOKEN (culprit token create)")
	}
	t, err := s.cfg.Tokens.Check(r.Context(), tok)
	if errors.Is(err, token.ErrInvalid) {
		return token.Token{}, statusErr(http.StatusUnauthorized, "invalid or revoked token")
	}
	return t, err
}

// limit applies the token's rate limit.
func (s *Server) limit(id string) error {
	if s.cfg.RateLimit < 0 {
		return nil
	}
	s.limMu.Lock()
	l := s.limiters[id]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.Burst)
		s.limiters[id] = l
	}
	s.limMu.Unlock()
	if !l.Allow() {
		return &httpError{status: http.StatusTooManyRequests, msg: fmt.Sprintf("rate limit of %g requests per second exceeded", s.cfg.RateLimit),
			header: http.Header{"Retry-After": {"1"}}}
	}
	return nil
}

// negotiate refuses, with 406, a TAXII request that does not accept the
// TAXII media type, and with 415 a body that is not of it (section 1.6.8).
func negotiate(r *http.Request) error {
	if !acceptsTAXII(r.Header.Values("Accept")) {
		return statusErr(http.StatusNotAcceptable, "Accept must allow "+taxii.MediaTAXII)
	}
	if r.Method == http.MethodPost && !isTAXII(r.Header.Get("Content-Type")) {
		return statusErr(http.StatusUnsupportedMediaType, "Content-Type must be "+taxii.MediaTAXII)
	}
	return nil
}

func acceptsTAXII(vals []string) bool {
	if len(vals) == 0 {
		return true // no Accept means anything (RFC 9110 section 12.5.1)
	}
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			mt := strings.ToLower(strings.TrimSpace(strings.Split(part, ";q=")[0]))
			if mt == "*/*" || mt == "application/*" || isTAXII(mt) {
				return true
			}
		}
	}
	return false
}

// isTAXII reports whether a media type is application/taxii+json of
// version 2.1 or of no version (the latest).
func isTAXII(mt string) bool {
	mt = strings.ToLower(strings.ReplaceAll(mt, " ", ""))
	base, params, _ := strings.Cut(mt, ";")
	if base != "application/taxii+json" {
		return false
	}
	return params == "" || params == "version=2.1"
}
