package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/investigation"
)

// Extraction runs as culprit extract does (assess.ExtractKnowledge), with
// the names and technique model of the knowledge the caller's level
// shows: a candidate is never an object the caller cannot see.

// lazyExtract is the extraction knowledge of one level of a snapshot,
// built at its first use (a technique model over ATT&CK takes seconds:
// not at every reload).
type lazyExtract struct {
	once sync.Once
	k    *assess.ExtractKnowledge
	err  error
}

func (s *Server) extractKnowledge(ctx context.Context, sn *snapshot, l access.Level) (*assess.ExtractKnowledge, error) {
	l = min(l, sn.highest)
	le := &sn.extract[l]
	le.once.Do(func() {
		// Other requests wait for the same build: one request's context
		// must not cut it short.
		le.k, le.err = assess.LoadExtractKnowledge(context.WithoutCancel(ctx), sn.access.View(s.cfg.Store, l))
	})
	return le.k, le.err
}

// extractedJSON is the answer of the extraction route.
type extractedJSON struct {
	assess.ReportJSON
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// extractBody extracts the report posted as r's body with the knowledge
// of level l, hashing all of it.
func (s *Server) extractBody(r *http.Request, c *call, l access.Level) (assess.ExtractedReport, string, int64, error) {
	name, err := queryParam(r, "name", false)
	if err != nil {
		return assess.ExtractedReport{}, "", 0, err
	}
	if name == "" {
		name = "report"
	}
	h := sha256.New()
	cr := &countReader{r: io.TeeReader(r.Body, h)}
	rep, err := s.extractReport(r.Context(), c.snap, l, name, cr, c.route.maxBody)
	if err == nil {
		// The hash is of the whole report, also of what the extractor
		// did not need to read.
		if _, err = io.Copy(io.Discard, cr); err != nil {
			err = reportError(name, err)
		}
	}
	if err != nil {
		return assess.ExtractedReport{}, "", 0, err
	}
	if cr.n == 0 {
		return assess.ExtractedReport{}, "", 0, errs.E(errs.Invalid, "the body is empty: post a report (text, Markdown, HTML or PDF)")
	}
	return rep, hex.EncodeToString(h.Sum(nil)), cr.n, nil
}

// extractReport extracts report r with the knowledge of level l of
// snapshot sn and the server's network index, reading at most max bytes:
// the extraction of every route, the web UI's too (server/ui.go).
func (s *Server) extractReport(ctx context.Context, sn *snapshot, l access.Level, name string, r io.Reader, max int64) (assess.ExtractedReport, error) {
	know, err := s.extractKnowledge(ctx, sn, l)
	if err != nil {
		return assess.ExtractedReport{}, err
	}
	rep, err := know.Extract(name, r, extract.Options{MaxBytes: max, Network: s.cfg.Network})
	if err != nil {
		return assess.ExtractedReport{}, reportError(name, err)
	}
	return rep, nil
}

// reportError is the error of reading report name: what the extractor
// refuses (a malformed PDF, say) is the report's fault, not the server's.
func reportError(name string, err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) || errs.KindOf(err) != errs.Internal {
		return err
	}
	return errs.Wrap(errs.Invalid, err, "report %s", truncate(name))
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// handleExtract answers what a posted report holds: indicators, names of
// the knowledge (as the caller's level shows it), techniques and
// attribution statements, each with its offset and snippet.
func (s *Server) handleExtract(w http.ResponseWriter, r *http.Request, c *call) error {
	rep, sum, n, err := s.extractBody(r, c, c.tok.TLP)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, extractedJSON{ReportJSON: rep.JSON(), SHA256: sum, Bytes: n})
}

// handleCaseReport adds a posted report to a case: what extraction finds
// in it (with the knowledge of the lower of the caller's and the case's
// level), as a case file marked extracted-not-reviewed, named after the
// report, with its SHA-256 (investigation.AddReport).
func (s *Server) handleCaseReport(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.caseOf(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	rep, sum, _, err := s.extractBody(r, c, caseKnowledge(c, cs))
	if err != nil {
		return err
	}
	var caseFile bytes.Buffer
	if err := assess.WriteCaseFile(&caseFile, []assess.ExtractedReport{rep}); err != nil {
		return err
	}
	cs, err = s.service().AddReport(r.Context(), cs.ID, investigation.Report{Name: rep.Name, SHA256: sum, CaseFile: caseFile.Bytes(), By: c.tok.Name})
	if err != nil {
		return err
	}
	return s.writeCase(w, c, http.StatusOK, cs)
}
