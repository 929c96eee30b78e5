// Package outfile writes the files culprit produces so that nothing is
// lost: the content goes to a temporary file in the target's directory,
// is flushed to disk, and replaces the target by a rename only when the
// whole write succeeded. A failed or interrupted write leaves the target
// as it was (absent, or its previous content) and removes the temporary
// file. Writing onto a file the command reads, or onto its open database,
// is refused before anything is written.
//
// Interruptions: the CLI turns SIGINT and SIGTERM into a cancelled
// context; a command that stops on it returns through the deferred Close,
// which removes the temporary file. Only SIGKILL or a crash can leave one
// behind: it is hidden (".NAME.tmp-*") beside the target and never
// mistaken for it.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/culprit-cti/culprit/errs"
)

// File is an output file being written. Write to it, then Commit; always
// Close (typically deferred), which discards the write unless it was
// committed.
type File struct {
	f      *os.File
	path   string // the target, symlinks resolved
	perm   fs.FileMode
	done   bool // committed or discarded
	closed bool
}

// Create starts writing the file at path with permissions perm (those of
// an existing target are kept). It refuses with an errs.Conflict error a
// path that is the same file (os.SameFile, so through links and other
// spellings) as any of protect: the inputs of the command and the files of
// its open database. A target that is not a regular file (a directory, a
// device) is refused with errs.Invalid.
func Create(path string, perm fs.FileMode, protect ...string) (*File, error) {
	if path == "" {
		return nil, errs.E(errs.Invalid, "output: empty file name")
	}
	if err := Check(path, protect...); err != nil {
		return nil, err
	}
	target := path
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return nil, errs.E(errs.Invalid, "output %s: not a regular file (%s)", path, kindOf(st.Mode()))
		}
		perm = st.Mode().Perm()
		// Write beside the file a symlink points to, so that the rename
		// replaces the file and keeps the link.
		if real, err := filepath.EvalSymlinks(path); err == nil {
			target = real
		}
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	return &File{f: f, path: target, perm: perm}, nil
}

// Check returns an errs.Conflict error when path is the same file as one
// of protect; absent files are not the same as anything.
func Check(path string, protect ...string) error {
	st, err := os.Stat(path)
	if err != nil {
		return nil // a new file is no input
	}
	for _, p := range protect {
		if p == "" || p == "-" {
			continue
		}
		pst, err := os.Stat(p)
		if err != nil {
			continue
		}
		if os.SameFile(st, pst) {
			if p == path {
				return errs.E(errs.Conflict, "output %s is also read by this command (an input or its knowledge base): refused, it would be overwritten (choose another output file)", path)
			}
			return errs.E(errs.Conflict, "output %s is the same file as %s, which this command reads (an input or its knowledge base): refused, it would be overwritten (choose another output file)", path, p)
		}
	}
	return nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// Write writes p to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Name returns the target path (symlinks resolved).
func (f *File) Name() string { return f.path }

// Commit flushes the content to disk and renames it into place, then
// flushes the directory so that the rename survives a crash. On error the
// target is unchanged and the temporary file is removed.
func (f *File) Commit() error {
	if f.done {
		return errors.New("outfile: Commit after Commit or Close")
	}
	f.done = true
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	f.closed = true
	if err == nil {
		err = os.Chmod(f.f.Name(), f.perm)
	}
	if err == nil {
		err = os.Rename(f.f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.f.Name())
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Close discards the write unless it was committed: the temporary file is
// removed and the target stays as it was. It is safe to call after Commit.
func (f *File) Close() error {
	if !f.closed {
		f.closed = true
		f.f.Close()
	}
	if !f.done {
		f.done = true
		return os.Remove(f.f.Name())
	}
	return nil
}

// syncDir flushes a directory's entries; where directories cannot be
// synced (some file systems) the rename is still atomic, only not yet
// durable, so errors are ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Write writes the file at path with the content write produces, as
// Create then Commit: the target is replaced only when write returns nil.
func Write(path string, perm fs.FileMode, protect []string, write func(io.Writer) error) error {
	f, err := Create(path, perm, protect...)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}
