package navigator

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// layerSchema is the JSON Schema of the Navigator's layer format 4.5,
// written by culprit from the format's documentation (LAYERFORMATv4_5.md
// of mitre-attack/attack-navigator): every property with its type,
// required properties, enumerations and bounds, unknown properties
// refused so that a typo is caught.
//
//go:embed layer-4.5.schema.json
var layerSchema []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(layerSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("layer.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("layer.json")
})

// Validate checks that b is a layer of the Navigator's format 4.5, the
// one culprit writes: the one place that decides what a valid layer is,
// for the tests of every path that exports one.
func Validate(b []byte) error {
	s, err := compiled()
	if err != nil {
		return fmt.Errorf("navigator layer schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not a navigator layer: %w", err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("not a valid navigator layer %s: %w", LayerVersion, err)
	}
	return nil
}
