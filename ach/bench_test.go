package ach_test

import (
	"io"
	"testing"

	"github.com/culprit-cti/culprit/ach"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
)

// BenchmarkMatrix: the Sony case on the starter knowledge, attributed
// without a table (the reference of the same run), with one, and the
// matrix built from it and written as CSV and Markdown.
func BenchmarkMatrix(b *testing.B) {
	know, err := assess.Starter(0)
	if err != nil {
		b.Fatal(err)
	}
	c, warns, err := casefile.ParseFile("../examples/sony-2014/case.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ovs := ach.Effective(sonyOverrides(b))
	b.Run("attribute", func(b *testing.B) {
		for b.Loop() {
			if _, err := know.Attribute(c, warns, assess.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("attribute-table-overrides", func(b *testing.B) {
		for b.Loop() {
			if _, err := know.Attribute(c, warns, assess.Options{Table: ach.DefaultHypotheses, Overrides: ovs}); err != nil {
				b.Fatal(err)
			}
		}
	})
	res, err := know.Attribute(c, warns, assess.Options{Table: ach.DefaultHypotheses, Overrides: ovs})
	if err != nil {
		b.Fatal(err)
	}
	recs := sonyOverrides(b)
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			m, err := ach.Build(res, recs)
			if err != nil {
				b.Fatal(err)
			}
			m.SortByDiagnosticity()
		}
	})
	m, err := ach.Build(res, recs)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("csv+markdown", func(b *testing.B) {
		for b.Loop() {
			if err := m.WriteCSV(io.Discard); err != nil {
				b.Fatal(err)
			}
			if err := m.WriteMarkdown(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
