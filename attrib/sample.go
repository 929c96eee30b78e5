package attrib

import "github.com/culprit-cti/culprit/casefile"

// sampleItem returns the "similar to a known sample" evidence for s, or nil.
// Fuzzy-hash comparison needs packages tlsh and ssdeep; until they are
// wired in, samples only count through exact hashes (iocItem).
func (k *Knowledge) sampleItem(s casefile.Sample, p Params) *item {
	_ = s
	_ = p
	return nil
}
