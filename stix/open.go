package stix

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
)

// Open opens the file at path for a Decoder. A gzip file, recognised by its
// magic bytes whatever its name, is decompressed as it is read. Open also
// returns the size of the file on disk, for progress reports.
//
// The returned ReadCloser has a method Consumed() int64 that reports how
// many bytes of the file on disk have been read so far: compare it with size
// for a percentage (Decoder.Offset counts decompressed bytes). Errors of
// reads, among them a corrupt or truncated gzip stream, name the file.
// Closing the ReadCloser closes the file. Consumed may be called from any
// goroutine (a progress report while the decoder reads in another).
//
// Only regular files and named pipes (and so process substitution, whose
// /dev/fd/N is a pipe) are read; anything else, such as a directory or a
// character device like /dev/zero, is refused with an error wrapping
// ErrNotReadable before a byte is read. The size of a pipe is 0.
func Open(path string) (io.ReadCloser, int64, error) {
	return OpenAs(path, path)
}

// OpenAs is Open for a file that errors call name: the name a user gave
// for a copy of standard input, say.
func OpenAs(path, name string) (io.ReadCloser, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err // *PathError names the file
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if err := CheckReadable(name, st.Mode()); err != nil {
		f.Close()
		return nil, 0, err
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		size = 0
	}
	c := &countReader{r: f}
	br := bufio.NewReaderSize(c, 64<<10)
	of := &openFile{f: f, c: c, path: name, r: br}
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, 0, fmt.Errorf("read %s: %w", name, err)
	}
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("read %s: gzip: %w", name, err)
		}
		of.r = zr
		of.layer = "gzip: "
	}
	return of, size, nil
}

// ErrNotReadable is wrapped by the error for a path that is neither a
// regular file nor a named pipe.
var ErrNotReadable = errors.New("not a regular file or named pipe")

// CheckReadable returns an error wrapping ErrNotReadable, naming what path
// is, unless mode is that of a regular file or a named pipe. Reading a
// device or a directory as a bundle never ends well: /dev/zero never ends,
// a terminal waits for a user, a directory has no content.
func CheckReadable(path string, mode fs.FileMode) error {
	if mode.IsRegular() || mode&fs.ModeNamedPipe != 0 {
		return nil
	}
	what := "a special file"
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeCharDevice != 0:
		what = "a character device"
	case mode&fs.ModeDevice != 0:
		what = "a block device"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%s is %s: %w (use - to read standard input)", path, what, ErrNotReadable)
}

// openFile is the ReadCloser returned by Open.
type openFile struct {
	f    *os.File
	c    *countReader
	path string
	r    io.Reader
	// layer prefixes read errors with the layer that failed ("gzip: "),
	// so that a truncated download is told from a disk error.
	layer string
}

func (o *openFile) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read %s: %s%w", o.path, o.layer, err)
	}
	return n, err
}

// Consumed returns the number of bytes of the file read so far.
func (o *openFile) Consumed() int64 { return o.c.n.Load() }

func (o *openFile) Close() error { return o.f.Close() }

type countReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
