package stix

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// Open opens the file at path for a Decoder. A gzip file, recognised by its
// magic bytes whatever its name, is decompressed as it is read. Open also
// returns the size of the file on disk, for progress reports.
//
// The returned ReadCloser has a method Consumed() int64 that reports how
// many bytes of the file on disk have been read so far: compare it with size
// for a percentage (Decoder.Offset counts decompressed bytes). Errors of
// reads, among them a corrupt or truncated gzip stream, name the file.
// Closing the ReadCloser closes the file.
func Open(path string) (io.ReadCloser, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err // *PathError names the file
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, fmt.Errorf("open %s: is a directory", path)
	}
	c := &countReader{r: f}
	br := bufio.NewReaderSize(c, 64<<10)
	of := &openFile{f: f, c: c, path: path, r: br}
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("read %s: gzip: %w", path, err)
		}
		of.r = zr
	}
	return of, st.Size(), nil
}

// openFile is the ReadCloser returned by Open.
type openFile struct {
	f    *os.File
	c    *countReader
	path string
	r    io.Reader
}

func (o *openFile) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read %s: %w", o.path, err)
	}
	return n, err
}

// Consumed returns the number of bytes of the file read so far.
func (o *openFile) Consumed() int64 { return o.c.n }

func (o *openFile) Close() error { return o.f.Close() }

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
