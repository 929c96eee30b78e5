package stix

import (
	"errors"
	"io"
)

// ReadAll decodes every object of r (a bundle, an array of objects or one
// object; name is used in errors) into memory. It suits inputs known to be
// small enough, such as a case bundle or the starter knowledge; large
// imports stream with Decoder instead.
func ReadAll(r io.Reader, name string) ([]*Object, error) {
	dec := NewDecoder(r, name)
	var objs []*Object
	for {
		o, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
}

// ReadFile decodes every object of the file at path (plain or gzip) with
// ReadAll.
func ReadFile(path string) ([]*Object, error) {
	rc, _, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadAll(rc, path)
}
