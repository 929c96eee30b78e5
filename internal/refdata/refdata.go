// Package refdata locates the shared reference data (MITRE ATT&CK bundles,
// MISP galaxies, STIX schemas, TLSH and ssdeep vectors, warninglists) that
// tests read. The data lives beside the repository and is never copied into
// it. Tests that need it skip with a clear message where it is absent on a
// developer's machine, and fail under CI (CI=true), where a skip would
// hide that nothing was checked.
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

// Path returns the path of elem inside the reference data directory. When
// it does not exist the test skips, or fails under CI.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir()}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		msg := "reference data %s not available (set %s to the shared data directory): %v"
		if os.Getenv("CI") == "true" {
			tb.Fatalf(msg, p, Env, err)
		}
		tb.Skipf(msg, p, Env, err)
	}
	return p
}
