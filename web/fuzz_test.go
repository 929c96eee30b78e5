package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// fuzzBoundary is the multipart boundary of the fuzzed multipart bodies.
const fuzzBoundary = "fuzzboundary"

// FuzzFormRoutes posts arbitrary bodies and queries to every POST route of
// the UI (read from the source, as TestCSRFEveryFormRoute does), as
// urlencoded, multipart or raw bodies, with the session's CSRF token in
// front so that the handlers' form decoding is reached (or without it):
// every answer is a 2xx, 3xx or 4xx, never a 5xx or a crash (the server
// turns a panic into a 500).
func FuzzFormRoutes(f *testing.F) {
	fx := newWebFixture(f)
	routes := postRoutes(f)
	c, csrf := fx.loggedIn("alice")
	sid := c.cookies["culprit_session"]
	index := map[string]int{}
	for i, r := range routes {
		index[r] = i
	}
	seed := func(route, query string, enc uint8, body string) {
		if i, ok := index[route]; ok {
			f.Add(uint8(i), true, "", query, enc, []byte(body))
		}
	}
	seed("/ui/cases", "", 1, "--"+fuzzBoundary+"\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nA case\r\n--"+fuzzBoundary+
		"\r\nContent-Disposition: form-data; name=\"tlp\"\r\n\r\nTLP:AMBER\r\n--"+fuzzBoundary+
		"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.html\"\r\nContent-Type: text/html\r\n\r\n<p>T1485 by Lazarus Group via 203.0.113.9</p>\r\n--"+fuzzBoundary+"--\r\n")
	seed("/ui/cases", "", 0, "name=x&tlp=TLP:RED&kind=claim&actor=Lazarus+Group&reliability=Z&credibility=9")
	seed("/ui/cases", "", 0, "name=x&tlp=bogus&text=T1059")
	seed("/ui/cases/{id}/items", "", 0, "kind=indicator&type=md5&value=zz&source=s")
	seed("/ui/cases/{id}/items", "kind=software", 0, "kind=software&value=S0607+KillDisk")
	seed("/ui/cases/{id}/review/{name}", "", 0, "d0=accept&v0=T9999&d1=reject&d2=accept&rel2=Q&cred2=-1&d99=accept")
	seed("/ui/cases/{id}/confirm", "", 0, "which=new&new_actor=&confidence=1e9")
	seed("/ui/cases/{id}/confirm", "", 0, "which=known&actor=Lazarus+Group&confidence=70&reason=r")
	seed("/ui/cases/{id}/reopen", "", 0, "reason=%ff%fe")
	seed("/ui/cases/{id}/report", "", 1, "--"+fuzzBoundary+"\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nKillDisk\r\n--"+fuzzBoundary+"--\r\n")
	seed("/ui/cases/{id}/samples", "", 1, "--"+fuzzBoundary+"\r\nContent-Disposition: form-data; name=\"sample\"; filename=\"..\\\\a.exe\"\r\nContent-Type: application/octet-stream\r\n\r\nMZ\x90\x00\x03 GetProcAddress kernel32.dll\r\n--"+fuzzBoundary+"--\r\n")
	seed("/ui/cases/{id}/attribute", "x=%", 2, "--"+fuzzBoundary+"\r\n\r\n")
	seed("/ui/login", "next=//evil", 0, "token=culprit_1_2&next=https://evil")
	seed("/ui/logout", "", 3, "csrf=")
	f.Add(uint8(0), false, "../..", "a=%zz;b", uint8(0), []byte("%%%&&&==="))
	f.Add(uint8(3), false, "case-000000000000", "", uint8(1), []byte("--"+fuzzBoundary))
	wildcard := regexp.MustCompile(`\{[^}]+\}`)
	f.Fuzz(func(t *testing.T, route uint8, real bool, seg, query string, enc uint8, body []byte) {
		if len(body) > 64<<10 || len(query) > 1024 || len(seg) > 256 {
			return
		}
		if sid == "" {
			var err error
			if sid, csrf, err = relogin(fx, t); err != nil {
				t.Fatal(err)
			}
		}
		r := routes[int(route)%len(routes)]
		path := r
		if strings.Contains(r, "{") {
			// A case of its own for each input, with a report awaiting
			// review, so that one input's effects (a confirmation, many
			// items) do not decide the answers to all later ones.
			id, ev := "", ""
			if real {
				cc := &client{t: t, base: fx.url, hc: c.hc, cookies: map[string]string{"culprit_session": sid}}
				id, ev = cc.newCaseText(csrf, "fuzz case", "TLP:GREEN", "T1485 and KillDisk: the FBI attributed it to Lazarus Group.")
			}
			path = wildcard.ReplaceAllStringFunc(r, func(w string) string {
				switch {
				case real && w == "{id}":
					return id
				case real && w == "{name}":
					return ev
				}
				return url.PathEscape(seg)
			})
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		var b []byte
		var ctype string
		switch enc % 4 {
		case 0: // urlencoded, the CSRF token first
			ctype = "application/x-www-form-urlencoded"
			b = append([]byte("csrf="+url.QueryEscape(csrf)+"&"), body...)
		case 1: // multipart, the CSRF token its first part
			ctype = "multipart/form-data; boundary=" + fuzzBoundary
			b = append([]byte("--"+fuzzBoundary+"\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"+csrf+"\r\n"), body...)
		case 2: // a multipart body as it comes
			ctype = "multipart/form-data; boundary=" + fuzzBoundary
			b = body
		default: // no content type
			b = body
		}
		req, err := http.NewRequest(http.MethodPost, "http://culprit.test"+target, bytes.NewReader(b))
		if err != nil {
			return // not a request a client could send
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.AddCookie(&http.Cookie{Name: "culprit_session", Value: sid})
		req.AddCookie(&http.Cookie{Name: "culprit_login", Value: csrf})
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Errorf("POST %s (%s, %d bytes): %d\n%s", target, ctype, len(b), w.Code, w.Body.String())
		}
		// A logout or a login ends or replaces the session: the next input
		// logs in again.
		if r == "/ui/logout" || r == "/ui/login" || w.Code == http.StatusUnauthorized {
			sid = ""
		}
	})
}

// relogin opens a new session of alice and returns its id and CSRF token.
func relogin(fx *webFixture, t *testing.T) (string, string, error) {
	c := &client{t: t, base: fx.url, cookies: map[string]string{}, hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	csrf := c.login(fx.tok["alice"])
	sid := c.cookies["culprit_session"]
	if sid == "" {
		return "", "", fmt.Errorf("no session after logging in")
	}
	return sid, csrf, nil
}
