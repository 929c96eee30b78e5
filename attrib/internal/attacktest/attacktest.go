// Package attacktest loads an ATT&CK STIX bundle for the tests and
// benchmarks of the attribution engine, once per process.
package attacktest

import (
	"sync"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/stix"
)

var (
	mu    sync.Mutex
	cache = map[string][]*stix.Object{}
)

// Load returns the objects of the ATT&CK bundle file (for example
// "enterprise-attack-18.1.json.gz"), skipping the test when the reference
// data is absent. The result is shared: callers must not modify it.
func Load(tb testing.TB, file string) []*stix.Object {
	tb.Helper()
	path := refdata.Path(tb, "attack", file)
	mu.Lock()
	defer mu.Unlock()
	if objs, ok := cache[path]; ok {
		return objs
	}
	objs, err := Read(path)
	if err != nil {
		tb.Fatal(err)
	}
	cache[path] = objs
	return objs
}

// Read decodes every object of the bundle at path with package stix.
func Read(path string) ([]*stix.Object, error) {
	return stix.ReadFile(path)
}
