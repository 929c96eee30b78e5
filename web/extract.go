package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/extract"
)

// The UI extracts a report as culprit extract, culprit case add and the
// server's report route do: package assess reads it (ExtractKnowledge.
// Extract) and turns what it found into a case file (WriteCaseFile, the
// one owner of which items become evidence: techniques named or by id,
// software, the indicators a case file holds, attribution statements as
// unrated claims; probably benign indicators and items that are no
// evidence of an actor are left as comments and notes). The names are
// those of the user's own knowledge (the catalog's matcher, built from
// the same view), so that no candidate is an object the user cannot see.

// extractReport finds the evidence in a report: the case file assess
// writes, read back. A report with no evidence gives an empty case.
func extractReport(cat *catalog, name string, r io.Reader, max int64) (*casefile.Case, error) {
	know := &assess.ExtractKnowledge{Names: cat.matcher}
	rep, err := know.Extract(name, r, extract.Options{Names: cat.matcher, MaxBytes: max})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := assess.WriteCaseFile(&b, []assess.ExtractedReport{rep}); err != nil {
		return nil, fmt.Errorf("write the case file of %s: %w", name, err)
	}
	c, _, err := casefile.Parse(assess.ReportName(name)+".yaml", &b)
	if errors.Is(err, casefile.ErrNoEvidence) {
		return &casefile.Case{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read back the case file extracted from %s: %w", name, err)
	}
	return c, nil
}
