package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookie names. The session cookie holds only a random id; everything
// else is in the server's table, so that logging out, an expiry or a
// revoked token ends the session at once.
const (
	sessionCookie = "culprit_session"
	loginCookie   = "culprit_login" // the CSRF token of the login form, before any session
	csrfField     = "csrf"
)

// session is one logged-in browser.
type session struct {
	csrf    string
	user    User
	created time.Time
	seen    time.Time
}

// sessions is the server-side session table. Ids are kept hashed, so a
// dump of the table opens no session.
type sessions struct {
	mu   sync.Mutex
	m    map[[32]byte]*session
	ttl  time.Duration // from login
	idle time.Duration // since the last request
	now  func() time.Time
	max  int
}

func newSessions(ttl, idle time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, ttl: ttl, idle: idle, now: now, max: 10000}
}

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashID(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// create opens a session for u and returns its id.
func (s *sessions) create(u User) (string, *session) {
	id := randomToken()
	now := s.now()
	ss := &session{csrf: randomToken(), user: u, created: now, seen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if len(s.m) >= s.max {
		// A flood of logins cannot grow the table without bound: the
		// oldest session goes.
		var oldest [32]byte
		var at time.Time
		for k, v := range s.m {
			if at.IsZero() || v.created.Before(at) {
				oldest, at = k, v.created
			}
		}
		delete(s.m, oldest)
	}
	s.m[hashID(id)] = ss
	return id, ss
}

// get returns the live session of id and marks it seen; an expired one is
// removed.
func (s *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := hashID(id)
	ss := s.m[k]
	if ss == nil {
		return nil
	}
	if s.expired(ss, now) {
		delete(s.m, k)
		return nil
	}
	ss.seen = now
	cp := *ss
	return &cp
}

func (s *sessions) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.created) >= s.ttl || now.Sub(ss.seen) >= s.idle
}

// sweep drops expired sessions (mu held).
func (s *sessions) sweep(now time.Time) {
	for k, v := range s.m {
		if s.expired(v, now) {
			delete(s.m, k)
		}
	}
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, hashID(id))
}

// endToken ends every session of a token (it was revoked).
func (s *sessions) endToken(tokenID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if v.user.TokenID == tokenID {
			delete(s.m, k)
		}
	}
}

// update replaces the user of every session of its token (a role or
// level changed).
func (s *sessions) update(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.m {
		if v.user.TokenID == u.TokenID {
			v.user = u
		}
	}
}

// sameToken compares two secrets in constant time.
func sameToken(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// setCookie sets a cookie of the UI: Secure, HttpOnly and SameSite=Strict,
// on the UI's paths only. maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/ui/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}
