package attrib

import (
	"fmt"
	"math"
	"strings"

	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/similarity"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

// Similarity thresholds of the "similar to a known sample" evidence.
const (
	tlshStrong   = 30  // TLSH distance (with length) at or below which similarity is full
	tlshNone     = 100 // distance at or beyond which it is none
	ssdeepStrong = 70  // ssdeep score at or above which similarity is full
	ssdeepNone   = 10  // score at or below which it is none
)

// similarity maps a TLSH distance or ssdeep score to a strength in [0, 1].
func tlshStrength(d int) float64 {
	return math.Min(1, math.Max(0, float64(tlshNone-d)/float64(tlshNone-tlshStrong)))
}

func ssdeepStrength(score int) float64 {
	return math.Min(1, math.Max(0, float64(score-ssdeepNone)/float64(ssdeepStrong-ssdeepNone)))
}

// sampleItem returns the "similar to a known sample" evidence for s, or nil
// when no known sample is similar. Each actor gets SampleLLR times the
// strength of its most similar sample, shared among the actors that sample
// leads to. The evidence is costly to fake: it takes reused code.
func (k *Knowledge) sampleItem(s casefile.Sample, p Params) *item {
	var td *tlsh.Digest
	var sd *ssdeep.Digest
	if v := strings.TrimSpace(s.TLSH); v != "" {
		if d, err := tlsh.Parse(v); err == nil {
			td = &d
		}
	}
	if v := strings.TrimSpace(s.SSDEEP); v != "" {
		if d, err := ssdeep.Parse(v); err == nil {
			sd = &d
		}
	}
	if td == nil && sd == nil {
		return nil
	}
	name := s.Name
	if name == "" {
		name = firstNonEmpty(s.SHA256, s.TLSH, s.SSDEEP)
	}
	it := &item{kind: kSample, text: "sample " + clip(name), cost: "costly",
		sparse: map[int]float64{}, details: map[int]string{}, tech: -1, sw: -1}
	best := 0.0
	// Only samples within the radius where similarity has any strength
	// can count: the index finds exactly those.
	for _, m := range k.sampleIx.Search(similarity.Query{TLSH: td, SSDEEP: sd}, tlshNone-1, ssdeepNone+1) {
		at, ok := k.sampleAt[m.ID]
		if !ok {
			continue // a known file that leads to no actor
		}
		ks := k.samples[at]
		str, how := 0.0, ""
		if m.TLSHDistance >= 0 {
			if v := tlshStrength(m.TLSHDistance); v > str {
				str, how = v, fmt.Sprintf("TLSH distance %d", m.TLSHDistance)
			}
		}
		if m.SSDEEPScore >= 0 {
			if v := ssdeepStrength(m.SSDEEPScore); v > str {
				str, how = v, fmt.Sprintf("ssdeep score %d", m.SSDEEPScore)
			}
		}
		if str <= 0 {
			continue
		}
		llr := p.SampleLLR*str - math.Log(float64(len(ks.actors)))
		if llr <= 0 {
			continue
		}
		for _, ai := range ks.actors {
			if llr > it.sparse[ai] {
				it.sparse[ai] = llr
				it.details[ai] = fmt.Sprintf("%s to %s (%s)", how, firstNonEmpty(ks.name, ks.id), ks.familyPath)
			}
		}
		if str > best {
			best = str
			it.matched = firstNonEmpty(ks.family, ks.name, ks.id)
		}
	}
	if len(it.sparse) == 0 {
		return nil
	}
	it.detail = fmt.Sprintf("similar to known samples (best strength %.2f)", best)
	return it
}
