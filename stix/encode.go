package stix

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"time"
)

// BundleWriter streams a STIX 2.1 bundle (section 8):
//
//	{"type":"bundle","id":"bundle--…","objects":[…]}
//
// Each object is written as its Raw JSON, unchanged, one per line. The
// bundle has no spec_version, as 2.1 bundles have none. Write and Close are
// not safe for concurrent use.
type BundleWriter struct {
	// ID is the bundle's id. NewBundleWriter sets a random one (UUIDv4,
	// as section 2.9 recommends); set it before the first Write for a
	// deterministic output, for example to DeterministicID("bundle", key)
	// from a key that names the export. It must be bundle--<UUID>.
	ID string

	w       *bufio.Writer
	n       int
	started bool
	err     error
}

// NewBundleWriter returns a BundleWriter writing to w, with a random id.
// Nothing is written before the first Write or Close; Close ends the
// bundle and must be called even when no object was written.
func NewBundleWriter(w io.Writer) *BundleWriter {
	return &BundleWriter{ID: randomID("bundle"), w: bufio.NewWriterSize(w, 64<<10)}
}

// randomID returns typ--UUIDv4.
func randomID(typ string) string {
	var u [16]byte
	rand.Read(u[:]) // never fails (crypto/rand)
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func (b *BundleWriter) start() error {
	if b.started {
		return nil
	}
	b.started = true
	if err := checkID(b.ID, "bundle"); err != nil {
		return fmt.Errorf("bundle writer: %w", err)
	}
	_, err := fmt.Fprintf(b.w, `{"type":"bundle","id":%q,"objects":[`, b.ID)
	return err
}

// Write appends o to the bundle. o must have been produced by a Decoder or
// ParseObject (its Raw is written as is); an object without Raw is an
// error.
func (b *BundleWriter) Write(o *Object) error {
	if b.err != nil {
		return b.err
	}
	if len(o.Raw) == 0 {
		return fmt.Errorf("bundle writer: object %s has no Raw JSON", o.ID)
	}
	if b.err = b.start(); b.err != nil {
		return b.err
	}
	sep := ",\n"
	if b.n == 0 {
		sep = "\n"
	}
	b.n++
	if _, err := b.w.WriteString(sep); err != nil {
		b.err = err
		return err
	}
	if _, err := b.w.Write(o.Raw); err != nil {
		b.err = err
		return err
	}
	return nil
}

// errClosed is returned by a BundleWriter used after Close.
var errClosed = errors.New("bundle writer: closed")

// Close ends the bundle and flushes it. It does not close the underlying
// writer.
func (b *BundleWriter) Close() error {
	if b.err != nil {
		return b.err
	}
	if b.err = b.start(); b.err != nil {
		return b.err
	}
	end := "\n]}\n"
	if b.n == 0 {
		end = "]}\n"
	}
	if _, err := b.w.WriteString(end); err != nil {
		b.err = err
		return err
	}
	if err := b.w.Flush(); err != nil {
		b.err = err
		return err
	}
	b.err = errClosed
	return nil
}

// Duplicates finds objects that occur more than once in one input with the
// same id and version ("modified", or "created" for objects without it) but
// different content, which STIX forbids (section 3.2, "modified"). Repeated
// identical objects and different versions of one id are not reported. The
// zero value is ready to use; it keeps 16 bytes per version seen plus the
// ids.
type Duplicates struct {
	seed maphash.Seed
	seen map[versionKey]uint64
}

type versionKey struct {
	id      string
	version int64
}

// Check records o and returns an error if another object with o's id and
// version but other content was recorded before.
func (d *Duplicates) Check(o *Object) error {
	if d.seen == nil {
		d.seed = maphash.MakeSeed()
		d.seen = make(map[versionKey]uint64)
	}
	v := o.Modified
	if v.IsZero() {
		v = o.Created
	}
	k := versionKey{id: o.ID, version: v.UnixNano()}
	h := maphash.Bytes(d.seed, o.Raw)
	if prev, ok := d.seen[k]; ok {
		if prev != h {
			return fmt.Errorf("duplicate id %s (version %s) with different content", o.ID, v.Format(time.RFC3339Nano))
		}
		return nil
	}
	d.seen[k] = h
	return nil
}
