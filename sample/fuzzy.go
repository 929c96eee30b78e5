package sample

import (
	"io"

	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

// fuzzy computes the TLSH and ssdeep digests in the same pass as the
// cryptographic hashes.
type fuzzy struct {
	t *tlsh.Hasher
	s *ssdeep.Hasher
	w io.Writer
}

func newFuzzy() *fuzzy {
	f := &fuzzy{t: tlsh.New(), s: ssdeep.New()}
	f.w = io.MultiWriter(f.t, f.s)
	return f
}

func (f *fuzzy) Write(p []byte) (int, error) { return f.w.Write(p) }

// digests returns the TLSH digest (empty when TLSH defines none for the
// input, with the reason as a warning) and the ssdeep digest.
func (f *fuzzy) digests() (tl, ss, warning string) {
	if d, err := f.t.Sum(); err == nil {
		tl = d.String()
	} else {
		warning = "no tlsh digest: " + err.Error()
	}
	return tl, f.s.Sum().String(), warning
}
