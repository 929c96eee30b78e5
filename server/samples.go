package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/sample"
	"github.com/culprit-cti/culprit/similarity"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

// Samples uploaded to the server are analysed statically (package
// sample: parsed, never run) and kept content-addressed in the store's
// blobs: the bytes under sampleContentKey(sha256), and a record (the
// sample's TLP level and its analysis) under sampleKey(sha256). They are
// not knowledge: an upload changes no object, so it costs no reload; a
// sample becomes a known sample with culprit sample --add --family.
//
// A sample has a level, as a case has: chosen at upload (default
// TLP:AMBER, or the uploader's level when lower), never above the
// uploader's. A caller below it reads it exactly as a sample never
// uploaded. The same bytes uploaded again keep the lower of the two
// levels: whoever uploads a file has it, and the record holds nothing
// but what the file itself says.

func sampleKey(sum string) string        { return "samples/" + sum }
func sampleContentKey(sum string) string { return "samples/" + sum + "/content" }

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// sampleRecord is what the store keeps of a sample beside its bytes.
type sampleRecord struct {
	TLP    string         `json:"tlp"`
	Report *sample.Report `json:"report"`
}

// sampleJSON is the answer of the sample routes.
type sampleJSON struct {
	SHA256  string         `json:"sha256"`
	TLP     string         `json:"tlp"`
	Report  *sample.Report `json:"report"`
	Similar []similarJSON  `json:"similar"`
}

// similarJSON is a known sample near an uploaded one.
type similarJSON struct {
	ID           string            `json:"id"`
	Name         string            `json:"name,omitempty"`
	SHA256       string            `json:"sha256,omitempty"`
	TLSHDistance *int              `json:"tlsh_distance,omitempty"`
	SSDEEPScore  *int              `json:"ssdeep_score,omitempty"`
	Families     []similarity.Link `json:"families"`
	Actors       []similarity.Link `json:"actors"`
}

// maxSimilar bounds the known samples an answer lists.
const maxSimilar = 20

// handleSampleUpload streams a posted file to a temporary file (never
// executed, removed after), analyses it, keeps it content-addressed and
// answers its hashes, traits and the known samples near it.
func (s *Server) handleSampleUpload(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	level := min(access.Amber, c.tok.TLP)
	if v, err := queryParam(r, "tlp", false); err != nil {
		return err
	} else if v != "" {
		if level, err = access.ParseLevel(v); err != nil {
			return err
		}
		if level > c.tok.TLP {
			return errs.E(errs.Forbidden, "a sample of %s is above your token's level, %s", level, c.tok.TLP)
		}
	}
	out, err := s.uploadSample(ctx, c, level, r.Body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/samples/"+out.SHA256)
	// The same answer whether the bytes were uploaded before or not: a
	// GREEN uploader must not learn that a RED one had the file.
	return writeJSON(w, http.StatusOK, out)
}

// uploadSample streams body to a temporary file (never executed, removed
// after), analyses it, keeps it content-addressed at level (or at the
// lower level it was kept at before) and answers it as c sees it. Both
// POST /api/samples and the UI's upload (server/ui.go) go through it.
func (s *Server) uploadSample(ctx context.Context, c *call, level access.Level, body io.Reader) (sampleJSON, error) {
	f, err := os.CreateTemp("", "culprit-sample-*")
	if err != nil {
		return sampleJSON{}, fmt.Errorf("keep the upload: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	size, err := io.Copy(f, body)
	if err != nil {
		return sampleJSON{}, err // too large (413), too slow (408) or the client gone
	}
	if size == 0 {
		return sampleJSON{}, errs.E(errs.Invalid, "the body is empty: post the sample's bytes")
	}
	rep, err := sample.Analyze(f, size, sample.Options{Now: s.cfg.Now()})
	if err != nil {
		return sampleJSON{}, fmt.Errorf("analyse the upload: %w", err)
	}
	rep.Path = ""
	sum := rep.SHA256

	// One writer at a time: two uploads of the same bytes must agree on
	// the level kept.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	rec, found, err := s.sampleRecord(ctx, sum)
	if err != nil {
		return sampleJSON{}, err
	}
	if found {
		level = min(level, access.CaseLevel(rec.TLP))
	} else {
		content, err := os.ReadFile(f.Name())
		if err != nil {
			return sampleJSON{}, fmt.Errorf("keep the upload: %w", err)
		}
		if err := s.cfg.Store.PutBlob(ctx, sampleContentKey(sum), "sha256:"+sum, content); err != nil {
			return sampleJSON{}, fmt.Errorf("keep sample %s: %w", sum, err)
		}
	}
	rec = sampleRecord{TLP: level.String(), Report: rep}
	data, err := json.Marshal(rec)
	if err != nil {
		return sampleJSON{}, fmt.Errorf("keep sample %s: %w", sum, err)
	}
	if err := s.cfg.Store.PutBlob(ctx, sampleKey(sum), "sha256:"+sum, data); err != nil {
		return sampleJSON{}, fmt.Errorf("keep sample %s: %w", sum, err)
	}
	return s.sampleAnswer(ctx, c, rec, sum)
}

// sampleRecord reads the record of the sample sum, if there is one.
func (s *Server) sampleRecord(ctx context.Context, sum string) (sampleRecord, bool, error) {
	data, _, ok, err := s.cfg.Store.Blob(ctx, sampleKey(sum))
	if err != nil || !ok {
		return sampleRecord{}, false, err
	}
	var rec sampleRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.Report == nil {
		return sampleRecord{}, false, fmt.Errorf("read sample %s: a damaged record", sum)
	}
	return rec, true, nil
}

// handleSample answers an uploaded sample by its SHA-256, as the caller's
// level shows it: a sample above the level is a sample never uploaded.
func (s *Server) handleSample(w http.ResponseWriter, r *http.Request, c *call) error {
	sum := strings.ToLower(r.PathValue("sha256"))
	notFound := errs.E(errs.NotFound, "no sample %s was uploaded", truncate(sum))
	if !sha256Hex.MatchString(sum) {
		return notFound
	}
	rec, ok, err := s.sampleRecord(r.Context(), sum)
	if err != nil {
		return err
	}
	if !ok || !c.view.SeesLevel(access.CaseLevel(rec.TLP)) {
		return notFound
	}
	out, err := s.sampleAnswer(r.Context(), c, rec, sum)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// sampleAnswer is the sample as the caller sees it, with the known
// samples near it that the caller's view shows (their families and
// actors through the same view). The search runs over every known
// sample; what is hidden is left out before anything is counted.
func (s *Server) sampleAnswer(ctx context.Context, c *call, rec sampleRecord, sum string) (sampleJSON, error) {
	out := sampleJSON{SHA256: sum, TLP: rec.TLP, Report: rec.Report, Similar: []similarJSON{}}
	var q similarity.Query
	if rec.Report.TLSH != "" {
		if d, err := tlsh.Parse(rec.Report.TLSH); err == nil {
			q.TLSH = &d
		}
	}
	if rec.Report.SSDEEP != "" {
		if d, err := ssdeep.Parse(rec.Report.SSDEEP); err == nil {
			q.SSDEEP = &d
		}
	}
	if q.TLSH == nil && q.SSDEEP == nil {
		return out, nil
	}
	ix, _, err := similarity.Load(ctx, s.cfg.Store)
	if err != nil {
		return out, fmt.Errorf("similar samples: %w", err)
	}
	for _, m := range ix.Search(q, similarity.DefaultMaxDistance, similarity.DefaultMinScore) {
		if len(out.Similar) == maxSimilar {
			break
		}
		if _, err := c.view.Object(ctx, m.ID); err != nil {
			continue // hidden (or gone since the index was built)
		}
		fam, actors, err := similarity.Links(ctx, c.view, m.ID)
		if err != nil {
			return out, err
		}
		sm := similarJSON{ID: m.ID, Name: m.Name, SHA256: m.SHA256, Families: fam, Actors: actors}
		if m.TLSHDistance >= 0 {
			d := m.TLSHDistance
			sm.TLSHDistance = &d
		}
		if m.SSDEEPScore >= 0 {
			sc := m.SSDEEPScore
			sm.SSDEEPScore = &sc
		}
		out.Similar = append(out.Similar, sm)
	}
	return out, nil
}
