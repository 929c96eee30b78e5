package outfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/internal/outfile"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries lists dir, to see that no temporary file is left.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestReplaceOnlyOnSuccess(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	if err := os.WriteFile(out, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := outfile.Write(out, 0o644, nil, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	if got := read(t, out); got != "old" {
		t.Errorf("after a failed write the target holds %q, want the old content", got)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory after a failed write = %q, want only the target", got)
	}
	if err := outfile.Write(out, 0o644, nil, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, out); got != "new" {
		t.Errorf("after a write the target holds %q, want new", got)
	}
	st, _ := os.Stat(out)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode after replace = %v, want the old 0640", st.Mode().Perm())
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory after a write = %q, want only the target", got)
	}
}

func TestRefuseInputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "case.yaml")
	if err := os.WriteFile(in, []byte("claims"), 0o644); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.yaml")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "sym.yaml")
	if err := os.Symlink(in, sym); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{in, hard, sym, filepath.Join(dir, ".", "case.yaml")} {
		_, err := outfile.Create(target, 0o644, "-", in)
		if !errors.Is(err, errs.Of(errs.Conflict)) {
			t.Errorf("Create(%s) with input %s = %v, want a Conflict error", target, in, err)
		}
	}
	if got := read(t, in); got != "claims" {
		t.Errorf("input now holds %q", got)
	}
	// A new file and an unrelated one are fine.
	for _, target := range []string{filepath.Join(dir, "new.json"), os.DevNull} {
		f, err := outfile.Create(target, 0o644, in)
		if target == os.DevNull {
			if !errors.Is(err, errs.Of(errs.Invalid)) {
				t.Errorf("Create(%s) = %v, want Invalid (not a regular file)", target, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Create(%s): %v", target, err)
		}
		f.Close()
	}
}

func TestSymlinkKept(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	os.WriteFile(real, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := outfile.Write(link, 0o644, nil, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced by a file: %v, %v", fi, err)
	}
	if got := read(t, real); got != "new" {
		t.Errorf("link target holds %q, want new", got)
	}
}
