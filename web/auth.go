package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext returns a local path under /ui/ to go to after login, else
// /ui/: never another site.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/ui/"
}

// loginPage shows the login form with a fresh login CSRF token, held in a
// cookie and in the form (double submit: no session exists yet).
func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	u.showLogin(w, r, http.StatusOK, "")
}

func (u *UI) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	setCookie(w, loginCookie, tok, 600)
	data := map[string]string{"Next": safeNext(r.FormValue("next"))}
	q := &request{csrf: tok}
	if err := u.render(w, status, "login", q, "Log in", data); err != nil {
		u.cfg.Logger.Error("render login", "err", err)
	}
	_ = msg
}

// login checks the posted API token and opens a session.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		u.renderError(w, r, nil, http.StatusBadRequest, "the login form could not be read")
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue(csrfField), c.Value) {
		u.renderError(w, r, nil, http.StatusForbidden, "the login form's CSRF token is missing or wrong: reload the login page")
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	user, err := u.cfg.Backend.Login(r.Context(), secret)
	if secret == "" || err != nil {
		u.loginFailed(w, r)
		return
	}
	// A new id at each login: an id planted before the login is useless.
	if old, err := r.Cookie(sessionCookie); err == nil {
		u.sess.delete(old.Value)
	}
	sid, _ := u.sess.create(user)
	setCookie(w, loginCookie, "", -1)
	setCookie(w, sessionCookie, sid, int(u.cfg.SessionTTL/time.Second))
	u.cfg.Logger.Info("ui login", "token", user.TokenID)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (u *UI) loginFailed(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	setCookie(w, loginCookie, tok, 600)
	q := &request{csrf: tok}
	data := map[string]string{"Next": safeNext(r.PostFormValue("next")), "Error": "That token is not valid (or was revoked)."}
	if err := u.render(w, http.StatusUnauthorized, "login", q, "Log in", data); err != nil {
		u.cfg.Logger.Error("render login", "err", err)
	}
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, q *request) error {
	u.sess.delete(q.sid)
	setCookie(w, sessionCookie, "", -1)
	return u.redirect(w, r, "/ui/login")
}
