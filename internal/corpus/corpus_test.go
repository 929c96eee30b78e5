package corpus

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"testing"
)

func TestPlanAndBytes(t *testing.T) {
	cfg := Config{N: 3000, Seed: 1, Programs: [][]byte{bytes.Repeat([]byte("\x7fELF program bytes "), 4000)}, CopyShare: 0.4}
	items := Plan(cfg)
	again := Plan(cfg)
	kinds := map[Kind]int{}
	copies := 0
	for i, it := range items {
		if it != again[i] {
			t.Fatalf("Plan is not deterministic at item %d", i)
		}
		kinds[it.Kind]++
		if it.CopyOf >= 0 {
			copies++
			if it.CopyOf >= i || items[it.CopyOf].CopyOf >= 0 {
				t.Fatalf("item %d copies %d, which is not an earlier new item", i, it.CopyOf)
			}
			if !bytes.Equal(Bytes(cfg, items, i, nil), Bytes(cfg, items, it.CopyOf, nil)) {
				t.Fatalf("item %d differs from the item %d it copies", i, it.CopyOf)
			}
		}
	}
	for k := range numKinds {
		if kinds[k] == 0 {
			t.Errorf("no %s in 3,000 items", k)
		}
	}
	if share := float64(copies) / float64(len(items)); share < 0.3 || share > 0.5 {
		t.Errorf("copies are %.2f of the items, want about 0.4", share)
	}
	if !bytes.Equal(Bytes(cfg, items, 7, nil), Bytes(cfg, items, 7, nil)) {
		t.Error("Bytes is not deterministic")
	}
	// Archives are real archives.
	for i, it := range items {
		if it.Kind != Archive || it.CopyOf >= 0 {
			continue
		}
		b := Bytes(cfg, items, i, nil)
		if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
			if _, gzErr := gzip.NewReader(bytes.NewReader(b)); gzErr != nil {
				t.Fatalf("archive item %d is neither zip (%v) nor gzip (%v)", i, err, gzErr)
			}
		}
	}
	// Tiny files and boilerplate repeat: the same bytes from different
	// new items.
	seen := map[string]int{}
	for i, it := range items {
		if it.CopyOf < 0 && (it.Kind == Tiny || it.Kind == Boilerplate) {
			seen[string(Bytes(cfg, items, i, nil))]++
		}
	}
	repeated := 0
	for _, n := range seen {
		if n > 1 {
			repeated++
		}
	}
	if repeated == 0 {
		t.Error("no tiny or boilerplate file repeats across new items")
	}
}

func TestDigestsCopiesAndOrder(t *testing.T) {
	cfg := Config{N: 500, Seed: 2, CopyShare: 0.4}
	items := Plan(cfg)
	sizes := Digests(cfg, items, func(b []byte) int { return len(b) })
	for i := range items {
		if want := len(Bytes(cfg, items, i, nil)); sizes[i] != want {
			t.Fatalf("Digests[%d] = %d, want %d", i, sizes[i], want)
		}
	}
}
