package stix

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	plain := bundle(okObject)
	zipped := gz(t, plain)
	files := map[string][]byte{
		"plain.json":       []byte(plain),
		"zipped.json.gz":   zipped,
		"zipped-no-ext":    zipped,
		"plain-named.gz":   []byte(plain),
		"empty.json":       nil,
		"bad-header.gz":    append([]byte{0x1f, 0x8b}, "garbage"...),
		"truncated.gz":     zipped[:len(zipped)-12],
		"one-byte.json.gz": {0x1f},
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		want    string // content read
		openErr string // error from Open
		readErr string // error from reading
	}{
		{name: "plain.json", want: plain},
		{name: "zipped.json.gz", want: plain},
		{name: "zipped-no-ext", want: plain},
		{name: "plain-named.gz", want: plain},
		{name: "empty.json", want: ""},
		{name: "one-byte.json.gz", want: "\x1f"},
		{name: "bad-header.gz", openErr: "bad-header.gz"},
		{name: "truncated.gz", readErr: "truncated.gz: gzip: unexpected EOF"},
		{name: "missing.json", openErr: "missing.json"},
		{name: ".", openErr: "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			r, size, err := Open(path)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) {
					t.Fatalf("Open(%s) error = %v, want one with %q", tt.name, err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if want := int64(len(files[tt.name])); size != want {
				t.Errorf("size = %d, want %d", size, want)
			}
			got, err := io.ReadAll(r)
			if tt.readErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.readErr) {
					t.Fatalf("read error = %v, want one with %q", err, tt.readErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
			c, ok := r.(interface{ Consumed() int64 })
			if !ok {
				t.Fatal("reader has no Consumed method")
			}
			if c.Consumed() != size {
				t.Errorf("Consumed() = %d after reading all, want %d", c.Consumed(), size)
			}
		})
	}
}

// TestOpenKinds checks that only regular files and named pipes are read:
// a character device such as /dev/zero would never end.
func TestOpenKinds(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		path, want string
	}{
		{os.DevNull, "is a character device"},
		{dir, "is a directory"},
	} {
		rc, _, err := Open(tc.path)
		if err == nil {
			rc.Close()
			t.Errorf("Open(%s) succeeded, want an error", tc.path)
			continue
		}
		if !errors.Is(err, ErrNotReadable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s) = %v, want ErrNotReadable saying %q", tc.path, err, tc.want)
		}
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(`{"type":"bundle","id":"bundle--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f","objects":[]}`)
		f.Close()
	}()
	rc, size, err := Open(fifo)
	if err != nil {
		t.Fatalf("Open(named pipe): %v", err)
	}
	defer rc.Close()
	objs, err := ReadAll(rc, fifo)
	if err != nil || len(objs) != 0 || size != 0 {
		t.Errorf("named pipe: %d objects, size %d, %v; want an empty bundle of unknown size", len(objs), size, err)
	}
}
