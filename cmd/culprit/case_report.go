package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/investigation"
)

// caseEvidence reads the file given to culprit case add. A case file or a
// STIX bundle is evidence as it is (unreviewed when asked). Anything else
// is a report (text, Markdown, HTML, PDF): culprit extract runs on it with
// the knowledge base's names, and the case file it writes is the evidence,
// named after the report, with the report's SHA-256, and always unreviewed:
// nothing extracted counts before an analyst accepts it.
func caseEvidence(ctx context.Context, e *env, dbFlag, path, by string, unreviewed bool) (investigation.Evidence, error) {
	if path != "-" {
		head, err := fileHead(path)
		if err != nil {
			return investigation.Evidence{}, err
		}
		if investigation.IsReport(path, head) {
			return reportEvidence(ctx, e, dbFlag, path, by)
		}
	}
	content, err := readEvidence(path)
	if err != nil {
		return investigation.Evidence{}, err
	}
	return investigation.Evidence{Name: path, Content: content, By: by, Unreviewed: unreviewed}, nil
}

// fileHead returns the first bytes of a file, enough to tell a bundle
// (a JSON object, gzip) from a report.
func fileHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errs.Wrap(errs.NotFound, err, "open evidence")
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errs.E(errs.Invalid, "%s is a directory, not evidence", path)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return head[:n], nil
}

// reportEvidence extracts the case file of a report and hashes the report.
func reportEvidence(ctx context.Context, e *env, dbFlag, path, by string) (investigation.Evidence, error) {
	know, err := extractKnowledge(ctx, e, dbFlag)
	if err != nil {
		return investigation.Evidence{}, err
	}
	f, err := extractFileItems(e, path, extract.Options{MaxBytes: extract.DefaultMaxBytes}, know)
	if err != nil {
		return investigation.Evidence{}, err
	}
	var caseFile bytes.Buffer
	if err := assess.WriteCaseFile(&caseFile, []assess.ExtractedReport{f.ExtractedReport}); err != nil {
		return investigation.Evidence{}, err
	}
	sum, err := fileSHA256(path) // cmd_import.go: streamed, never held whole
	if err != nil {
		return investigation.Evidence{}, fmt.Errorf("hash report: %w", err)
	}
	return investigation.ReportEvidence(investigation.Report{Name: path, SHA256: sum, CaseFile: caseFile.Bytes(), By: by})
}
