package attrib_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/attrib/internal/attacktest"
	"github.com/culprit-cti/culprit/casefile"
)

func BenchmarkNewKnowledge(b *testing.B) {
	objs := attacktest.Load(b, "enterprise-attack-18.1.json.gz")
	b.ReportAllocs()
	for b.Loop() {
		attrib.NewKnowledge(objs, nil, attrib.KnowledgeOptions{})
	}
}

// attackCases returns one case per ATT&CK group: 12 of its techniques and
// software (seeded), plus two items of no group, like a report.
func attackCases(k *attrib.Knowledge) []*casefile.Case {
	r := rand.New(rand.NewPCG(1, 2))
	var cases []*casefile.Case
	for _, a := range k.Actors() {
		uses := k.Uses(a)
		r.Shuffle(len(uses), func(i, j int) { uses[i], uses[j] = uses[j], uses[i] })
		c := &casefile.Case{Name: a.Name}
		for _, u := range uses[:min(12, len(uses))] {
			if u[0] == 'T' {
				c.Techniques = append(c.Techniques, casefile.Item{Ref: u})
			} else {
				c.Software = append(c.Software, casefile.Item{Ref: u})
			}
		}
		c.Techniques = append(c.Techniques, casefile.Item{Ref: "T1059.001"}, casefile.Item{Ref: "T1486"})
		cases = append(cases, c)
	}
	return cases
}

// BenchmarkAttribute measures the latency of one attribution against the
// full ATT&CK 18.1 knowledge (built once), with evidence and suggestions
// for the top 3, and reports its percentiles.
func BenchmarkAttribute(b *testing.B) {
	objs := attacktest.Load(b, "enterprise-attack-18.1.json.gz")
	k := attrib.NewKnowledge(objs, nil, attrib.KnowledgeOptions{})
	cases := attackCases(k)
	var lat []time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		start := time.Now()
		if _, err := k.Attribute(cases[i%len(cases)], attrib.Options{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
