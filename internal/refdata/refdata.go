// Package refdata locates the shared reference data (MITRE ATT&CK bundles,
// MISP galaxies, STIX schemas, TLSH and ssdeep vectors, warninglists) that
// tests read. The data lives beside the repository and is never copied into
// it; tests that need it skip with a clear message where it is absent.
package refdata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Env is the environment variable that overrides the data directory.
const Env = "CULPRIT_TESTDATA"

// Dir returns the reference data directory: $CULPRIT_TESTDATA, or
// ../shared/data relative to the repository root.
func Dir() string {
	if d := os.Getenv(Env); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/internal/refdata/refdata.go.
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
}

// Path returns the path of elem inside the reference data directory, and
// skips the test when it does not exist.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir()}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("reference data %s not available (set %s to the shared data directory): %v", p, Env, err)
	}
	return p
}
