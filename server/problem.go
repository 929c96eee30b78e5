package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/server/taxii"
)

// statusOf is the one mapping from error kinds to HTTP statuses. An error
// without a kind is a 500 whose message is not shown to the client.
func statusOf(err error) int {
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout
	case errors.Is(err, context.Canceled):
		return statusClientClosed
	}
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	switch errs.KindOf(err) {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	case errs.Forbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// statusClientClosed is the status logged for a request whose client went
// away before the answer (nginx's 499): not a server error.
const statusClientClosed = 499

// httpError is an error whose status is not a kind's: 401, 405, 406, 415,
// 429, 501.
type httpError struct {
	status int
	msg    string
	header http.Header
}

func (e *httpError) Error() string { return e.msg }

func statusErr(status int, msg string) error { return &httpError{status: status, msg: msg} }

func errNoRoute(r *http.Request) error {
	return statusErr(http.StatusNotFound, "no such resource: "+r.URL.Path)
}

// problem is an RFC 9457 problem details object.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeError writes err as the response: a TAXII error resource on TAXII
// routes, a problem details object elsewhere. Internal errors are logged
// and shown as "internal error" only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	status := statusOf(err)
	detail := err.Error()
	if status == http.StatusInternalServerError {
		s.log.Error("internal error", "request_id", c.id, "route", c.route.name, "err", err)
		detail = "internal error (request " + c.id + ")"
	}
	var he *httpError
	if errors.As(err, &he) {
		for k, v := range he.header {
			w.Header()[k] = v
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="culprit", Basic realm="culprit"`)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if c.route.taxii {
		w.Header().Set("Content-Type", taxii.MediaTAXII)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(taxii.Error{Title: http.StatusText(status), Description: detail,
			ErrorID: c.id, HTTPStatus: strconv.Itoa(status)})
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: detail, Instance: r.URL.Path, RequestID: c.id})
}
