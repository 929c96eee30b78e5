package web

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
)

// sampleRoute is the sample form's route: the one route whose body may
// be as large as Config.MaxSample rather than Config.MaxUpload.
const sampleRoute = "POST /ui/cases/{id}/samples"

// bodyLimit is the most a request's body may hold.
func (u *UI) bodyLimit(r *http.Request) int64 {
	if r.Pattern == sampleRoute {
		return u.cfg.MaxSample
	}
	return u.cfg.MaxUpload
}

// sizeOf says a limit in the largest binary unit that divides it into
// a whole number (64 MiB, 48 KiB, 1000 bytes).
func sizeOf(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// maxSampleName bounds the file name an uploaded sample keeps (bytes).
const maxSampleName = 200

// addSample uploads the form's file as a sample of the case (the backend
// analyses it statically and keeps it), adds its hashes to the case as
// a file of evidence, attributes the case again and shows the case page
// with the sample's hashes and the known samples near it.
func (u *UI) addSample(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	up, ok := q.know.(SampleUploader)
	if !ok {
		return errs.E(errs.Invalid, "this server keeps no samples")
	}
	cs, err := q.know.Case(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	f, h, err := r.FormFile("sample")
	if err != nil {
		return errs.E(errs.Invalid, "choose the sample's file")
	}
	defer f.Close()
	if h.Size == 0 {
		return errs.E(errs.Invalid, "the file %q is empty: a sample has bytes", h.Filename)
	}
	name := strings.TrimSpace(filepath.Base(strings.ReplaceAll(h.Filename, `\`, "/")))
	if name == "" || name == "." || name == "/" {
		name = "uploaded sample"
	}
	if len(name) > maxSampleName {
		return errs.E(errs.Invalid, "the file name is longer than %d bytes", maxSampleName)
	}
	smp, err := up.UploadSample(ctx, cs.ID, name, f)
	if err != nil {
		return err
	}
	c := &casefile.Case{Samples: []casefile.Sample{{Name: name, SHA256: smp.SHA256, TLSH: smp.TLSH, SSDEEP: smp.SSDEEP,
		Source: "uploaded by " + q.user.Name}}}
	// The case file has no field for MD5 and SHA-1 (an attribution reads
	// none): they stay with the file as a comment.
	header := fmt.Sprintf("Sample uploaded by %s in the web UI: %s, %d bytes.\nMD5 %s, SHA-1 %s.",
		q.user.Name, smp.Type, smp.Size, smp.MD5, smp.SHA1)
	ev := Evidence{Name: fmt.Sprintf("sample-%d.yaml", len(cs.Evidence)+1), Content: caseYAML(c, header)}
	if _, err := q.know.AddEvidence(ctx, cs.ID, ev); err != nil {
		return err
	}
	if _, err := q.know.Attribute(ctx, cs.ID); err != nil {
		return fmt.Errorf("attribute case %s with sample %s: %w", cs.ID, smp.SHA256, err)
	}
	v, err := u.caseView(r, q)
	if err != nil {
		return err
	}
	v.Uploaded = &smp
	return u.render(w, http.StatusOK, "case", q, v.Case.Name, v)
}
