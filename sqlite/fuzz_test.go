package sqlite_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
)

const fuzzBase = `{"type":"bundle","id":"bundle--6a2b5b0c-1d5e-4f60-9d4b-3c1f8f6b8a11","objects":[
{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--1b7ba276-eedc-4951-a762-0ceea2c030ec","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Test Group","aliases":["TG-1"]},
{"type":"tool","spec_version":"2.1","id":"tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Test Tool"},
{"type":"relationship","spec_version":"2.1","id":"relationship--0b3c2f6e-8d4a-4b5c-9a6d-7e8f9a0b1c2d","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":"intrusion-set--1b7ba276-eedc-4951-a762-0ceea2c030ec","target_ref":"tool--8e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f"}]}`

// FuzzImport feeds arbitrary input through the STIX decoder into Import and
// checks the transaction contract: a failed import changes nothing, and a
// successful one leaves a store whose objects all read back.
func FuzzImport(f *testing.F) {
	f.Add([]byte(fuzzBase))
	f.Add([]byte(`[{"type":"tool","spec_version":"2.1","id":"tool--9e2f1c3a-6a3b-4c4d-9e5f-0a1b2c3d4e5f","created":"2021-01-01T00:00:00Z","modified":"2021-01-01T00:00:00Z","name":"x","aliases":["Test Group"]}]`))
	f.Add([]byte(`{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--1b7ba276-eedc-4951-a762-0ceea2c030ec","created":"2020-01-01T00:00:00.000Z","modified":"2022-01-01T00:00:00.000Z","name":"Renamed","revoked":true}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"relationship","spec_version":"2.1","id":"relationship--1b3c2f6e-8d4a-4b5c-9a6d-7e8f9a0b1c2d","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","relationship_type":"same-as","source_ref":"intrusion-set--1b7ba276-eedc-4951-a762-0ceea2c030ec","target_ref":"intrusion-set--2b7ba276-eedc-4951-a762-0ceea2c030ec"}]}`))
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	if _, err := s.Import(ctx, kb.Source{Name: "base"}, stix.NewDecoder(bytes.NewReader([]byte(fuzzBase)), "base"), kb.ImportOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dec := stix.NewDecoder(bytes.NewReader(data), "fuzz")
		dec.MaxObjectSize = 1 << 16
		_, err = s.Import(ctx, kb.Source{Name: "fuzz"}, dec, kb.ImportOptions{MaxObjects: 1000})
		after, serr := s.Stats(ctx)
		if serr != nil {
			t.Fatal(serr)
		}
		if err != nil {
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("failed import (%v) changed the store (-before +after):\n%s", err, diff)
			}
			return
		}
		n := 0
		err = s.Objects(ctx, kb.ObjectQuery{IncludeInactive: true}, func(*stix.Object) error { n++; return nil })
		if err != nil || n != after.Objects {
			t.Fatalf("after import Objects = %d, %v; Stats says %d", n, err, after.Objects)
		}
		if _, err := s.SameAs(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
