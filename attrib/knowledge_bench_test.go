package attrib_test

import (
	"testing"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/attrib/internal/attacktest"
)

func BenchmarkNewKnowledge(b *testing.B) {
	objs := attacktest.Load(b, "enterprise-attack-18.1.json.gz")
	b.ReportAllocs()
	for b.Loop() {
		attrib.NewKnowledge(objs, nil, attrib.KnowledgeOptions{})
	}
}
