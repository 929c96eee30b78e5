package ach

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/culprit-cti/culprit/kb"
)

// WriteCSV writes the matrix as CSV (RFC 4180): one record per evidence
// item, in the matrix's row order, with for each column its rating, the
// engine's rating, the likelihood ratio and the weight, and last the
// analysts' overrides of the row in words. Text that a spreadsheet would
// read as a formula (starting with =, +, -, @) is quoted with a leading
// apostrophe: evidence comes from reports, which anyone can write.
func (m *Matrix) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"key", "kind", "item", "matched", "cost_to_fake", "diagnosticity"}
	for _, c := range m.Columns {
		n := columnName(c)
		head = append(head, n+": rating", n+": engine rating", n+": likelihood ratio", n+": weight")
	}
	head = append(head, "overrides")
	for i := range head {
		head[i] = cell(head[i])
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range m.Rows {
		rec := []string{cell(r.Key), r.Kind, cell(r.Item), cell(r.Matched), r.Cost, num(r.Diagnosticity)}
		var ovs []string
		for ci, c := range r.Cells {
			rec = append(rec, string(c.Rating), string(c.EngineRating), num(c.LR), num(c.Weight))
			for _, o := range c.Overrides {
				ovs = append(ovs, overrideText(columnName(m.Columns[ci]), o))
			}
		}
		rec = append(rec, cell(strings.Join(ovs, "; ")))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes the matrix as a Markdown section for a report: a
// table with the rows in the matrix's order, each cell its rating symbol,
// likelihood ratio and weight, overridden cells marked † with the
// engine's rating, disputed ones ‡; then the legend and the analysts'
// overrides with who, when and why.
func (m *Matrix) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("### Competing hypotheses\n\n")
	b.WriteString("| evidence | diagnosticity |")
	for _, c := range m.Columns {
		fmt.Fprintf(&b, " %s |", md(columnName(c)))
	}
	b.WriteString("\n|---|---:|")
	for range m.Columns {
		b.WriteString("---|")
	}
	b.WriteString("\n|  | probability |")
	for _, c := range m.Columns {
		fmt.Fprintf(&b, " %s |", percent(c.Probability))
	}
	b.WriteString("\n")
	for _, r := range m.Rows {
		fmt.Fprintf(&b, "| %s: %s | %.2f |", r.Kind, md(rowText(r)), r.Diagnosticity)
		for _, c := range r.Cells {
			s := fmt.Sprintf("%s ×%s %+.2f", c.Rating.Symbol(), lr(c.LR), c.Weight)
			if c.Overridden {
				s = fmt.Sprintf("%s† ×%s %+.2f (engine %s)", c.Rating.Symbol(), lr(c.LR), c.Weight, c.EngineRating.Symbol())
			}
			if c.Disputed {
				s += " ‡"
			}
			fmt.Fprintf(&b, " %s |", s)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nEach cell: how consistent the evidence is with the hypothesis (CC very consistent, C consistent, " +
		"N neutral or not applicable, I inconsistent, II very inconsistent: its likelihood ratio against an actor " +
		"drawn at random at least 4, 1.25 to 4, within 1.25 either way, 1/4 to 1/1.25, at most 1/4), the ratio (×) and " +
		"its weight in the ranking after damping. Diagnosticity is the spread of a row's weights. † an analyst's rating " +
		"replaced the engine's; ‡ analysts disagree with the engine or with each other.\n")
	var ovs []string
	for _, r := range m.Rows {
		for ci, c := range r.Cells {
			for _, o := range c.Overrides {
				ovs = append(ovs, fmt.Sprintf("- %s, %s: %s", md(rowText(r)), md(columnName(m.Columns[ci])),
					md(overrideText("", o))+fmt.Sprintf(" (engine: %s)", c.EngineRating.Label())))
			}
		}
	}
	if len(ovs) > 0 {
		b.WriteString("\nOverrides:\n\n")
		b.WriteString(strings.Join(ovs, "\n"))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func columnName(c Column) string {
	if c.ExternalID != "" {
		return c.Name + " (" + c.ExternalID + ")"
	}
	return c.Name
}

// rowText is the item as written, with what it resolved to when that
// says more ("T1485 Data Destruction", not "T1485 = T1485 Data
// Destruction"; "attributed to Unit 121 = Lazarus Group"): the rule of
// the attribution reports (assess), which this package cannot import.
func rowText(r Row) string {
	m := r.Matched
	if m == "" || m == r.Item {
		return r.Item
	}
	ni, nm := kb.Normalize(r.Item), kb.Normalize(m)
	switch {
	case strings.HasSuffix(ni, nm):
		return r.Item
	case strings.HasPrefix(nm, ni):
		return m
	}
	return r.Item + " = " + m
}

// overrideText is an override in words: "[column: ]rating by who on
// when: why".
func overrideText(column string, o kb.CaseOverride) string {
	s := fmt.Sprintf("%s by %s on %s", Rating(o.Rating).Label(), o.Analyst, at(o.At))
	if column != "" {
		s = column + ": " + s
	}
	if o.Reason != "" {
		s += ": " + o.Reason
	}
	return s
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// lr formats a likelihood ratio with two or three significant digits.
func lr(x float64) string {
	switch {
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

func percent(p float64) string {
	switch {
	case p >= 0.995 && p < 1:
		return ">99%"
	case p < 0.005 && p > 0:
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", p*100)
}

func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

// cell guards a CSV text field against formula injection.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
