package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
)

// The UI extracts a report as culprit extract, culprit case add and the
// server's report routes do: the backend reads it (Knowledge.
// ExtractReport, the server's extraction knowledge of the snapshot and
// level: names and the technique model, so that techniques a report
// describes without naming them are found too), and package assess turns
// what it found into a case file (WriteCaseFile, the one owner of which
// items become evidence and of the note that says how each was found:
// named, by id, or described, with its sentence). Probably benign
// indicators and items that are no evidence of an actor are left as
// comments and notes.

// extractReport finds the evidence in a report with the knowledge of
// level: the case file assess writes, read back. A report with no
// evidence gives an empty case.
func extractReport(ctx context.Context, k Knowledge, level access.Level, name string, r io.Reader, max int64) (*casefile.Case, error) {
	rep, err := k.ExtractReport(ctx, level, name, r, max)
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
