// Package web is culprit's user interface for analysts: server-rendered
// HTML pages (html/template) with a little JavaScript in separate files,
// every asset embedded in the binary (no CDN: it works offline).
//
// The UI reads nothing itself. A Backend (the server, server/ui.go) checks
// tokens and opens, for each request, the knowledge the user's token may
// read: the same snapshot and access view as the JSON API, so an object
// above the user's TLP level is on no page, in no count, no graph and no
// export. Users log in with an API token; the browser then holds only a
// random session id, in a Secure, HttpOnly, SameSite=Strict cookie, and
// the session (its user, expiry and CSRF token) lives in a table on the
// server. Every form carries the session's CSRF token, every response the
// Content-Security-Policy CSP (no inline script, no inline style, nothing
// from another origin), and a session ends when its token is revoked.
package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/culprit-cti/culprit/errs"
)

// CSP is the Content-Security-Policy of every response of the UI.
const CSP = "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a UI. Zero durations mean the defaults on each field.
type Config struct {
	Backend Backend
	Logger  *slog.Logger // nil discards
	// SessionTTL bounds a session from its login (0 means 12 hours);
	// IdleTTL from its last request (0 means 1 hour).
	SessionTTL time.Duration
	IdleTTL    time.Duration
	// MaxUpload bounds a posted form, with its report file (0 means 8 MiB).
	MaxUpload int64
	// MaxSample bounds a posted sample (0 means 64 MiB, the server's
	// default MaxSample): the sample form's route alone has it.
	MaxSample int64
	Now       func() time.Time // nil means time.Now
}

// UI serves the pages under /ui/.
type UI struct {
	cfg   Config
	sess  *sessions
	pages map[string]*template.Template
	mux   *http.ServeMux

	catMu    sync.Mutex
	catalogs map[string]*catalog // by Knowledge.Key, the latest of each level
}

// New returns the UI of cfg.
func New(cfg Config) (*UI, error) {
	if cfg.Backend == nil {
		return nil, errors.New("web: a backend is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.IdleTTL == 0 {
		cfg.IdleTTL = time.Hour
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 8 << 20
	}
	if cfg.MaxSample == 0 {
		cfg.MaxSample = 64 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	u := &UI{cfg: cfg, sess: newSessions(cfg.SessionTTL, cfg.IdleTTL, cfg.Now), catalogs: map[string]*catalog{}}
	var err error
	if u.pages, err = parsePages(); err != nil {
		return nil, err
	}
	u.routes()
	return u, nil
}

// ServeHTTP serves the UI.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	u.mux.ServeHTTP(w, r)
}

// request is what a page handler knows of its request.
type request struct {
	user User
	csrf string
	sid  string
	know Knowledge
}

type handler func(w http.ResponseWriter, r *http.Request, q *request) error

func (u *UI) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/ui/static/", http.FileServerFS(static))
	m.Handle("GET /ui/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /ui/login", u.loginPage)
	m.HandleFunc("POST /ui/login", u.login)
	m.Handle("POST /ui/logout", u.page(u.logout))
	m.Handle("GET /ui/{$}", u.page(u.home))
	m.Handle("POST /ui/cases", u.page(u.createCase))
	m.Handle("GET /ui/cases/{id}", u.page(u.casePage))
	m.Handle("POST /ui/cases/{id}/report", u.page(u.addReport))
	m.Handle("GET /ui/cases/{id}/review/{name}", u.page(u.reviewPage))
	m.Handle("POST /ui/cases/{id}/review/{name}", u.page(u.review))
	m.Handle("POST /ui/cases/{id}/items", u.page(u.addItem))
	m.Handle(sampleRoute, u.page(u.addSample))
	m.Handle("POST /ui/cases/{id}/attribute", u.page(u.attribute))
	m.Handle("POST /ui/cases/{id}/confirm", u.page(u.confirm))
	m.Handle("POST /ui/cases/{id}/reopen", u.page(u.reopen))
	m.Handle("GET /ui/cases/{id}/export/{format}", u.page(u.export))
	m.Handle("GET /ui/cases/{id}/ach", u.page(u.achPage))
	m.Handle("POST /ui/cases/{id}/ach", u.page(u.override))
	m.Handle("GET /ui/search", u.page(u.searchPage))
	m.Handle("GET /ui/search.json", u.page(u.searchJSON))
	m.Handle("GET /ui/lists/{name}", u.page(u.listsJSON))
	m.Handle("GET /ui/actors/{id}", u.page(u.actorPage))
	m.Handle("GET /ui/actors/{id}/navigator.json", u.page(u.actorLayer))
	m.Handle("GET /ui/objects/{id}", u.page(u.objectPage))
	m.Handle("GET /ui/graph.json", u.page(u.graphJSON))
	m.Handle("GET /ui/compare", u.page(u.comparePage))
	m.Handle("GET /ui/compare/navigator.json", u.page(u.compareLayer))
	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		u.renderError(w, r, nil, http.StatusNotFound, "no page "+r.URL.Path)
	})
	u.mux = m
}

// page authenticates a request by its session, checks the CSRF token of a
// POST, opens the user's knowledge and runs h.
func (u *UI) page(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, u.bodyLimit(r))
		var sid string
		if c, err := r.Cookie(sessionCookie); err == nil {
			sid = c.Value
		}
		ss := u.sess.get(sid)
		if ss == nil {
			u.toLogin(w, r)
			return
		}
		ctx := r.Context()
		user, err := u.cfg.Backend.User(ctx, ss.user.TokenID)
		if err != nil {
			// Revoked (or gone): every session of the token ends now.
			u.sess.endToken(ss.user.TokenID)
			u.toLogin(w, r)
			return
		}
		if user != ss.user {
			u.sess.update(user)
		}
		q := &request{user: user, csrf: ss.csrf, sid: sid}
		if r.Method == http.MethodPost {
			if err := parseForm(r); err != nil {
				u.fail(w, r, q, err)
				return
			}
			if !sameToken(r.PostFormValue(csrfField), ss.csrf) {
				u.renderError(w, r, q, http.StatusForbidden, "the form's CSRF token is missing or wrong: reload the page and try again")
				return
			}
		}
		if q.know, err = u.cfg.Backend.Open(ctx, user); err != nil {
			u.fail(w, r, q, err)
			return
		}
		sw := &sentWriter{ResponseWriter: w}
		if err := h(sw, r, q); err != nil {
			if sw.sent {
				// The answer had begun (a browser that went away while
				// a large graph streamed): an error page now would be
				// appended to it.
				u.cfg.Logger.Info("ui response cut short", "path", r.URL.Path, "err", err)
				return
			}
			u.fail(w, r, q, err)
		}
	})
}

// sentWriter records whether the answer's status has been sent.
type sentWriter struct {
	http.ResponseWriter
	sent bool
}

func (w *sentWriter) WriteHeader(code int) {
	w.sent = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *sentWriter) Write(b []byte) (int, error) {
	w.sent = true
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the server's writer.
func (w *sentWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// parseForm reads a urlencoded or multipart form, within the body limit.
func parseForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(4 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return errs.E(errs.TooLarge, "the form is larger than the limit of %s", sizeOf(mb.Limit))
		}
		return errs.Wrap(errs.Invalid, err, "read the form")
	}
	return nil
}

// toLogin sends a browser without a live session to the login page (a
// script fetching JSON gets 401).
func (u *UI) toLogin(w http.ResponseWriter, r *http.Request) {
	setCookie(w, sessionCookie, "", -1)
	if strings.HasSuffix(r.URL.Path, ".json") || r.Method != http.MethodGet {
		u.renderError(w, r, nil, http.StatusUnauthorized, "your session has ended: log in again")
		return
	}
	http.Redirect(w, r, "/ui/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// fail renders the error of a handler.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, q *request, err error) {
	code, public := u.cfg.Backend.Status(err)
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		code, public = http.StatusRequestEntityTooLarge, true
	}
	msg := err.Error()
	if !public {
		u.cfg.Logger.Error("ui request failed", "path", r.URL.Path, "err", err)
		msg = "internal error (the server's log has the details)"
	}
	u.renderError(w, r, q, code, msg)
}

// page data common to every page.
type pageData struct {
	Title  string
	User   *User
	CSRF   string
	Active string // the navigation entry of the page
	Flash  string
	Error  string
	Data   any
}

func (u *UI) render(w http.ResponseWriter, status int, name string, q *request, title string, data any) error {
	t := u.pages[name]
	if t == nil {
		return fmt.Errorf("web: no template %s", name)
	}
	pd := pageData{Title: title, Data: data, Active: name}
	if q != nil {
		pd.CSRF = q.csrf
		// The login pages have a form token but no user: no header of
		// one (an empty name, a Log out form) before anyone logged in.
		if q.user.TokenID != "" {
			pd.User = &q.user
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func (u *UI) renderError(w http.ResponseWriter, r *http.Request, q *request, code int, msg string) {
	if strings.HasSuffix(r.URL.Path, ".json") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, "{\"error\":%q}\n", msg)
		return
	}
	if err := u.render(w, code, "error", q, http.StatusText(code), map[string]any{"Code": code, "Message": msg}); err != nil {
		u.cfg.Logger.Error("render error page", "err", err)
		http.Error(w, msg, code)
	}
}

func (u *UI) redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
