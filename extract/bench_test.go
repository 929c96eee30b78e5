package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/galaxy"
	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/stix"
)

// benchPatterns returns the names of ATT&CK 18.1 and the MISP threat-actor
// and malpedia galaxies: the size of a real knowledge base.
func benchPatterns(b testing.TB) []Pattern {
	objs, err := stix.ReadFile(refdata.Path(b, "attack", "enterprise-attack-18.1.json.gz"))
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range []string{"threat-actor.json.gz", "malpedia.json.gz"} {
		f, err := galaxy.DecodeFile(refdata.Path(b, "misp-galaxy", g))
		if err != nil {
			b.Fatal(err)
		}
		objs = append(objs, f.Objects...)
	}
	var pats []Pattern
	for _, o := range objs {
		pats = append(pats, PatternsOf(o)...)
	}
	return pats
}

// benchText returns the ESET IOC write-ups (prose with indicators in
// lists and tables) repeated to at least n bytes.
func benchText(b testing.TB, n int) []byte {
	files, err := filepath.Glob(filepath.Join(refdata.Path(b, "ioc", "eset-malware-ioc"), "*", "README.adoc"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no ESET texts: %v", err)
	}
	var one []byte
	for _, f := range files {
		t, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		one = append(one, t...)
		one = append(one, '\n')
	}
	return bytes.Repeat(one, n/len(one)+1)
}

// proseText returns the descriptions of ATT&CK 18.1 objects (report-like
// prose, few indicators) repeated to at least n bytes.
func proseText(b testing.TB, n int) []byte {
	objs, err := stix.ReadFile(refdata.Path(b, "attack", "enterprise-attack-18.1.json.gz"))
	if err != nil {
		b.Fatal(err)
	}
	var one []byte
	for _, o := range objs {
		if o.Description != "" {
			one = append(one, o.Description...)
			one = append(one, "\n\n"...)
		}
	}
	return bytes.Repeat(one, n/len(one)+1)
}

func benchScan(b *testing.B, opt Options) { benchOver(b, benchText(b, 16<<20), opt) }

// BenchmarkProseIndicatorsAndNames: indicators and names over prose.
func BenchmarkProseIndicatorsAndNames(b *testing.B) {
	m := NewMatcher(benchPatterns(b))
	benchOver(b, proseText(b, 16<<20), Options{Names: m, NoStatements: true})
}

func benchOver(b *testing.B, text []byte, opt Options) {
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := Scan(bytes.NewReader(text), opt, func(Item) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	// The machine is shared: MB per CPU second of this process (GC
	// included) is the per-core figure, wall-clock MB/s a lower bound.
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(len(text))*float64(b.N)/1e6/d.Seconds(), "MB/cpu-s")
	}
}

// BenchmarkIndicators: indicators only.
func BenchmarkIndicators(b *testing.B) { benchScan(b, Options{NoStatements: true}) }

// BenchmarkIndicatorsAndNames: indicators and the names of the full
// knowledge (the figure issue 9 sets at 100 MB/s per core).
func BenchmarkIndicatorsAndNames(b *testing.B) {
	m := NewMatcher(benchPatterns(b))
	b.Logf("%d names", m.Len())
	benchScan(b, Options{Names: m, NoStatements: true})
}

// BenchmarkIndicatorsAndNamesPerReport: the ESET write-ups each scanned
// once by its own Scan, as culprit extract reads reports: nothing repeats
// across reports, so per-Scan caches hold only what one report repeats.
func BenchmarkIndicatorsAndNamesPerReport(b *testing.B) {
	m := NewMatcher(benchPatterns(b))
	files, err := filepath.Glob(filepath.Join(refdata.Path(b, "ioc", "eset-malware-ioc"), "*", "README.adoc"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no ESET texts: %v", err)
	}
	var texts [][]byte
	n := 0
	for _, f := range files {
		t, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		texts = append(texts, t)
		n += len(t)
	}
	opt := Options{Names: m, NoStatements: true}
	b.SetBytes(int64(n))
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		for _, t := range texts {
			if err := Scan(bytes.NewReader(t), opt, func(Item) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/1e6/d.Seconds(), "MB/cpu-s")
	}
}

// BenchmarkAll: indicators, names and attribution statements.
func BenchmarkAll(b *testing.B) {
	m := NewMatcher(benchPatterns(b))
	benchScan(b, Options{Names: m})
}

// BenchmarkBareTokenLoop is the floor of any scanner on this machine: one
// table lookup per byte, counting tokens. It calibrates the figures above
// on a shared, loaded machine.
func BenchmarkBareTokenLoop(b *testing.B) {
	text := benchText(b, 16<<20)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for i := 0; i < b.N; i++ {
		in := false
		for _, c := range text {
			d := isDelim[c]
			if !d && !in {
				n++
			}
			in = !d
		}
	}
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(len(text))*float64(b.N)/1e6/d.Seconds(), "MB/cpu-s")
	}
	if n == 0 {
		b.Fatal("no tokens")
	}
}
