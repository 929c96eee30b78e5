// Package tlshref builds the current C++ reference implementation of TLSH
// (trendmicro/tlsh 4.12.1, kept with its build.sh in ../shared/tools) for
// the tests and benchmarks that compare against it: tlsh's differential and
// speed tests, sample's end-to-end comparison with the command-line tools.
package tlshref

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
)

// Build returns the path of the current C++ reference's
// tlsh_unittest (trendmicro/tlsh 4.12.1), built with the build.sh beside
// its source in ../shared/tools. The build goes into the user cache
// directory, keyed by a hash of the source, so later runs reuse it; it never
// writes into the repository or ../shared. It skips where the source,
// cmake or g++ is absent.
func Build(tb testing.TB) string {
	tb.Helper()
	src := filepath.Join(refdata.Dir(), "..", "tools", "tlsh-4.12.1")
	build := filepath.Join(src, "build.sh")
	if _, err := os.Stat(build); err != nil {
		tb.Skipf("TLSH 4.12.1 source not available at %s: comparison skipped", src)
	}
	for _, tool := range []string{"cmake", "g++", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("%s not installed (apt-get install cmake g++ make): TLSH 4.12.1 comparison skipped", tool)
		}
	}
	key := sha256.New()
	for _, f := range []string{"build.sh", "CMakeLists.txt", "src/tlsh_impl.cpp", "src/tlsh.cpp", "test/tlsh_unittest.cpp"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			tb.Fatalf("reading the reference source: %v", err)
		}
		key.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "culprit", "tlsh-4.12.1-"+hex.EncodeToString(key.Sum(nil))[:12])
	bin := filepath.Join(dir, "tlsh_unittest")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	// Build into a fresh directory and rename it into place, so that a
	// concurrent or interrupted run never leaves a half-written binary.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "build-")
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			tb.Fatalf("cache for the reference build: %v", err)
		}
		if tmp, err = os.MkdirTemp(filepath.Dir(dir), "build-"); err != nil {
			tb.Fatalf("cache for the reference build: %v", err)
		}
	}
	out, err := exec.Command("bash", build, tmp).CombinedOutput()
	if err != nil {
		os.RemoveAll(tmp)
		tb.Fatalf("building TLSH 4.12.1 with %s: %v\n%s", build, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(bin); statErr != nil {
			tb.Fatalf("installing the reference build: %v", err)
		}
	}
	return bin
}
