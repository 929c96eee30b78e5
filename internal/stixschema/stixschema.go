// Package stixschema validates JSON against the OASIS STIX 2.1 JSON schemas
// (https://github.com/oasis-open/cti-stix2-json-schemas), read from a local
// copy: nothing is fetched from the network. Format assertions (uri, email,
// idn-hostname, ...) are on.
//
// The schemas are non-normative and cannot check everything the spec
// requires; package stix checks the rest of what culprit relies on. Tests of
// other packages call [Validate] on the STIX they produce.
package stixschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Prefix is the URL under which the OASIS schemas give their $id. Every URL
// under Prefix+"schemas/" is loaded from the local schema directory.
const Prefix = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/"

// customType is the part of bundle.json's rule for custom objects that
// restricts their type (not one of the spec's types).
const customType = "schemas/common/bundle.json#/properties/objects/items/anyOf/1/allOf/1"

// Validator validates STIX 2.1 bundles and objects. It is compiled once by
// New and is safe for concurrent use.
type Validator struct {
	dir    string
	byType map[string]*jsonschema.Schema // type -> schema of its own
	// Custom objects: customType, and core (custom SDO) or scoCore.
	customType, core, scoCore *jsonschema.Schema
	bundle                    *jsonschema.Schema // bundle.json, for the envelope
}

// localLoader loads the schema URLs under Prefix from dir, and refuses any
// other URL, so that validation never uses the network.
type localLoader struct{ dir string }

func (l localLoader) Load(u string) (any, error) {
	rest, ok := strings.CutPrefix(u, Prefix+"schemas/")
	if !ok {
		return nil, fmt.Errorf("schema %s is outside the local STIX schemas", u)
	}
	p, err := url.PathUnescape(rest)
	if err != nil || !filepath.IsLocal(filepath.FromSlash(p)) {
		return nil, fmt.Errorf("schema %s: bad path", u)
	}
	f, err := os.Open(filepath.Join(l.dir, filepath.FromSlash(p)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

// New compiles the schemas in dir, the "schemas" folder of the OASIS
// repository (with common/, sdos/, sros/ and observables/).
func New(dir string) (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(localLoader{dir: dir})
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	v := &Validator{dir: dir, byType: make(map[string]*jsonschema.Schema)}
	for _, sub := range []string{"sdos", "sros", "observables", "common"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.json"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			typ := strings.TrimSuffix(filepath.Base(f), ".json")
			if sub == "common" && typ != "marking-definition" && typ != "language-content" && typ != "extension-definition" {
				continue
			}
			s, err := c.Compile(Prefix + path.Join("schemas", sub, typ+".json"))
			if err != nil {
				return nil, fmt.Errorf("compile STIX schema %s/%s: %w", sub, typ, err)
			}
			v.byType[typ] = s
		}
	}
	if len(v.byType) == 0 {
		return nil, fmt.Errorf("no STIX schemas in %s", dir)
	}
	var err error
	for _, s := range []struct {
		dst **jsonschema.Schema
		loc string
	}{
		{&v.customType, customType},
		{&v.core, "schemas/common/core.json"},
		{&v.scoCore, "schemas/common/cyber-observable-core.json"},
	} {
		if *s.dst, err = c.Compile(Prefix + s.loc); err != nil {
			return nil, fmt.Errorf("compile STIX schema %s: %w", s.loc, err)
		}
	}
	if v.bundle, err = c.Compile(Prefix + "schemas/common/bundle.json"); err != nil {
		return nil, fmt.Errorf("compile STIX bundle schema: %w", err)
	}
	return v, nil
}

// ValidateObject validates one STIX object: against the schema of its type
// when there is one (sdos/, sros/, observables/, common/marking-definition
// and others), and otherwise as a custom object (section 11.1).
//
// Two deviations from bundle.json (version of 2025-11-05), whose rule for
// objects is anyOf(oneOf(the spec's types), custom): bundle.json leaves out
// grouping, incident, location, note and opinion, so it checks them as
// custom objects only, while ValidateObject uses their own schemas; and
// bundle.json's custom rule is oneOf(core, cyber-observable-core), which
// every custom SDO fails, since an object valid against core.json is also
// valid against cyber-observable-core.json. ValidateObject checks a custom
// object with "created" against core.json (a custom SDO) and any other
// against cyber-observable-core.json (a custom SCO), and both against the
// custom rule's restriction of the type name.
func (v *Validator) ValidateObject(obj []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(obj))
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return errors.New("not a JSON object")
	}
	typ, _ := m["type"].(string)
	schemas := []*jsonschema.Schema{v.byType[typ]}
	if schemas[0] == nil {
		schemas[0] = v.customType
		if _, ok := m["created"]; ok {
			schemas = append(schemas, v.core)
		} else {
			schemas = append(schemas, v.scoCore)
		}
	}
	for _, s := range schemas {
		if err := s.Validate(doc); err != nil {
			return fmt.Errorf("%s %v: %w", typ, m["id"], err)
		}
	}
	return nil
}

// ValidateBundle validates a STIX 2.1 bundle: its own properties against
// bundle.json, and each object with ValidateObject, one at a time. The error
// lists every invalid object (up to 20) with its position.
func (v *Validator) ValidateBundle(bundle []byte) error {
	dec := json.NewDecoder(bytes.NewReader(bundle))
	t, err := dec.Token()
	if err != nil || t != json.Delim('{') {
		return errors.New("bundle: not a JSON object")
	}
	envelope := map[string]any{}
	var errs []error
	bad := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		key, _ := t.(string)
		if key != "objects" {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("bundle: %w", err)
			}
			val, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				return fmt.Errorf("bundle %q: %w", key, err)
			}
			envelope[key] = val
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return errors.New(`bundle: "objects" is not an array`)
		}
		n := 0
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("bundle: object %d: %w", n+1, err)
			}
			n++
			if err := v.ValidateObject(raw); err != nil {
				bad++
				if len(errs) < 20 {
					errs = append(errs, fmt.Errorf("object %d: %w", n, err))
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		// The objects were checked one by one; bundle.json checks the
		// rest of the bundle, and requires at least one object.
		if n == 0 {
			errs = append(errs, errors.New(`bundle: "objects" must have at least 1 item`))
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("bundle: data after the end")
	}
	if err := v.bundle.Validate(envelope); err != nil {
		errs = append([]error{fmt.Errorf("bundle: %w", err)}, errs...)
	}
	if bad > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more invalid objects", bad-20))
	}
	return errors.Join(errs...)
}

// Validate validates bundle (a STIX 2.1 bundle) against the OASIS schemas in
// the shared reference data, and fails tb with the errors. It skips the test
// when the schemas are not available (see package refdata).
func Validate(tb testing.TB, bundle []byte) {
	tb.Helper()
	v, err := New(refdata.Path(tb, "stix", "schemas"))
	if err != nil {
		tb.Fatalf("stixschema: %v", err)
	}
	if err := v.ValidateBundle(bundle); err != nil {
		tb.Errorf("bundle does not validate against the STIX 2.1 schemas:\n%v", err)
	}
}
