package investigation

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
)

// Report is a report (text, Markdown, HTML, PDF) given to a case: what
// culprit extract found in it, as a case file, with the report's own name
// and SHA-256. The report itself is not stored: the case keeps what was
// extracted and the hash that says which file it came from.
type Report struct {
	Name     string // the report's file name; only its base is kept
	SHA256   string // of the report as given, lower-case hex
	CaseFile []byte // the case file extracted from it (culprit extract's YAML)
	By       string
}

// reportHeader is the first line of the evidence stored for a report.
// kb.CaseEvidence has no field for the file the evidence was extracted
// from, so the report's name and SHA-256 are kept in the stored case file
// itself, as a YAML comment the case-file parser ignores.
const reportHeader = "# culprit report: "

var reportLine = regexp.MustCompile(`^# culprit report: (.+) sha256:([0-9a-f]{64})$`)

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// AddReport adds what was extracted from a report to case id as evidence
// named after the report and marked "extracted, not reviewed": it is kept
// but not attributed until an analyst accepts it (Accept). Adding the same
// report again changes nothing.
func (s *Service) AddReport(ctx context.Context, id string, r Report) (*kb.Case, error) {
	ev, err := ReportEvidence(r)
	if err != nil {
		return nil, err
	}
	return s.Add(ctx, id, ev)
}

// ReportEvidence is the unreviewed evidence stored for r: its case file
// preceded by a line naming the report and its SHA-256.
func ReportEvidence(r Report) (Evidence, error) {
	name := filepath.Base(strings.TrimSpace(r.Name))
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, "\r\n") {
		return Evidence{}, errs.E(errs.Invalid, "report has no usable name (%q)", r.Name)
	}
	sum := strings.ToLower(r.SHA256)
	if !hexSHA256.MatchString(sum) {
		return Evidence{}, errs.E(errs.Invalid, "report %s: SHA-256 %q is not 64 hex digits", name, r.SHA256)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s%s sha256:%s\n", reportHeader, name, sum)
	b.Write(r.CaseFile)
	return Evidence{Name: name, Content: b.Bytes(), By: r.By, Unreviewed: true}, nil
}

// ReportOf returns the name and SHA-256 of the report that evidence e was
// extracted from, or ok false when e was given as a case file or bundle.
func ReportOf(e kb.CaseEvidence) (name, sha256 string, ok bool) {
	line, _, _ := bytes.Cut(e.Content, []byte("\n"))
	m := reportLine.FindSubmatch(line)
	if m == nil {
		return "", "", false
	}
	return string(m[1]), string(m[2]), true
}

// IsReport reports whether a file named name that starts with head is a
// report to extract evidence from, rather than evidence to add as it is:
// case files (YAML, named .yaml or .yml) and STIX bundles (a JSON object,
// or gzip-compressed) are evidence; everything else (text, Markdown, HTML,
// PDF) is a report.
func IsReport(name string, head []byte) bool {
	lower := strings.ToLower(filepath.Base(name))
	lower = strings.TrimSuffix(lower, ".gz")
	switch filepath.Ext(lower) {
	case ".yaml", ".yml", ".json":
		return false
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return false
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return false
	}
	return true
}
