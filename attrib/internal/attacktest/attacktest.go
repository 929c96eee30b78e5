// Package attacktest loads an ATT&CK STIX bundle for the tests and
// benchmarks of the attribution engine, once per process.
package attacktest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/culprit-cti/culprit/stix"
)

var (
	mu    sync.Mutex
	cache = map[string][]*stix.Object{}
)

// Load returns the objects of the ATT&CK bundle file (for example
// "enterprise-attack-18.1.json.gz"), skipping the test when the reference
// data is absent. The result is shared: callers must not modify it.
func Load(tb testing.TB, file string) []*stix.Object {
	tb.Helper()
	path := refdata.Path(tb, "attack", file)
	mu.Lock()
	defer mu.Unlock()
	if objs, ok := cache[path]; ok {
		return objs
	}
	objs, err := decode(path)
	if err != nil {
		tb.Fatal(err)
	}
	cache[path] = objs
	return objs
}

// decode is a minimal reader of the fields the engine reads; the product
// uses package stix's decoder.
func decode(path string) ([]*stix.Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(gz).Decode(&b); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	out := make([]*stix.Object, 0, len(b.Objects))
	for _, raw := range b.Objects {
		var o struct {
			Type, ID, Name, Description string
			Aliases                     []string                 `json:"aliases"`
			MitreAliases                []string                 `json:"x_mitre_aliases"`
			Revoked                     bool                     `json:"revoked"`
			Deprecated                  bool                     `json:"x_mitre_deprecated"`
			Confidence                  *int                     `json:"confidence"`
			Refs                        []stix.ExternalReference `json:"external_references"`
			RelationshipType            string                   `json:"relationship_type"`
			SourceRef                   string                   `json:"source_ref"`
			TargetRef                   string                   `json:"target_ref"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		al := o.Aliases
		seen := map[string]bool{}
		for _, a := range al {
			seen[a] = true
		}
		for _, a := range o.MitreAliases {
			if !seen[a] {
				al = append(al, a)
			}
		}
		out = append(out, &stix.Object{Type: o.Type, ID: o.ID, SpecVersion: "2.1", Name: o.Name,
			Description: o.Description, Aliases: al, Revoked: o.Revoked, Deprecated: o.Deprecated,
			Confidence: o.Confidence, ExternalReferences: o.Refs, RelationshipType: o.RelationshipType,
			SourceRef: o.SourceRef, TargetRef: o.TargetRef, Raw: raw})
	}
	return out, nil
}
