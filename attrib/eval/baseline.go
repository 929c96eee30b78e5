package eval

import (
	"math"
	"sort"

	"github.com/culprit-cti/culprit/attrib"
)

// baselineOutcome scores a report with plain TF-IDF cosine similarity: each
// known actor is a document of the ATT&CK ids it uses directly (binary term
// frequency, idf = ln(N/df) + 1), the report is a query of its ids, and
// actors are ranked by cosine. Its probabilities, for calibration figures:
// the top probability is the top cosine divided by the sum of cosines, and
// the unknown probability is 1 - top cosine. The baseline never names the
// unknown actor as its top hypothesis.
func baselineOutcome(k *attrib.Knowledge, r report) outcome {
	actors := k.Actors()
	docs := make([]map[string]bool, len(actors))
	terms := make([][]string, len(actors)) // sorted, so that sums are reproducible
	df := map[string]int{}
	for i, a := range actors {
		docs[i] = map[string]bool{}
		terms[i] = k.Uses(a)
		for _, t := range terms[i] {
			docs[i][t] = true
			df[t]++
		}
	}
	n := float64(len(actors))
	idf := func(t string) float64 {
		if df[t] == 0 {
			return 0
		}
		return math.Log(n/float64(df[t])) + 1
	}
	var qn float64
	for _, t := range r.items {
		qn += idf(t) * idf(t)
	}
	cos := make([]float64, len(actors))
	var sum float64
	for i := range actors {
		var dot, dn float64
		for _, t := range terms[i] {
			w := idf(t)
			dn += w * w
		}
		for _, t := range r.items {
			if docs[i][t] {
				w := idf(t)
				dot += w * w
			}
		}
		if dn > 0 && qn > 0 {
			cos[i] = dot / math.Sqrt(dn*qn)
		}
		sum += cos[i]
	}
	order := make([]int, len(actors))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return cos[order[i]] > cos[order[j]] })
	o := outcome{heldOut: r.heldOut}
	top := 0.0
	if len(order) > 0 {
		top = cos[order[0]]
	}
	o.pUnknown = 1 - top
	if sum > 0 {
		o.pTop = top / sum
	}
	if r.heldOut {
		return o
	}
	truth := k.Actor(r.group)
	for rank, i := range order {
		if truth != nil && actors[i].ID == truth.ID {
			o.rank = rank + 1
			break
		}
	}
	if o.rank == 0 {
		o.rank = len(order) + 1
	}
	o.correct = o.rank == 1
	return o
}
