// Package corpus generates a realistic population of files for the fuzzy
// hash index benchmarks and exactness tests of tlsh and ssdeep: what a
// collection of real files looks like to a similarity index, with the shared
// boilerplate that makes some keys hot.
//
// A population mixes compiled Go programs (slices of binaries built with
// the go command, and edited slices), documents made from a few shared
// templates, exact copies of boilerplate texts (licence-like files copied
// thousands of times), tiny files (whose ssdeep digests are "3::" and the
// like), and zip and tar.gz archives of documents. A share of the files are
// exact copies of earlier ones, popular ones more often. Everything is
// deterministic given the seed and the programs; nothing is read from
// outside except the programs the caller builds (Programs).
//
// It imports nothing of culprit, so the leaf packages' tests may use it.
package corpus

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Kind is the kind of a generated file.
type Kind uint8

// The kinds of file in a population.
const (
	Tiny        Kind = iota // 0 to 40 bytes from a small set
	Boilerplate             // one of a few licence-like texts, unchanged
	Document                // a template's header and footer around a body
	Binary                  // a slice of a compiled Go program
	EditedBin               // such a slice with a few runs overwritten
	Archive                 // a zip or tar.gz of a few documents
	numKinds
)

var kindNames = [numKinds]string{"tiny", "boilerplate", "document", "binary", "edited binary", "archive"}

func (k Kind) String() string { return kindNames[k] }

// Config describes a population.
type Config struct {
	N        int      // files
	Seed     uint64   // everything else follows from it
	Programs [][]byte // compiled programs to slice (see Programs)
	// CopyShare is the share of files that are exact copies of earlier
	// ones (0 for none); a query set uses 0.
	CopyShare float64
}

// Item is one planned file: either a copy of an earlier item, or the
// recipe of a new file.
type Item struct {
	Kind   Kind
	CopyOf int    // index of the item copied, or -1 for a new file
	seed   uint64 // the recipe's randomness
}

// Plan returns the items of a population, cheaply: Bytes makes the files.
func Plan(cfg Config) []Item {
	rnd := rand.New(rand.NewPCG(cfg.Seed, 0x636f72707573))
	items := make([]Item, cfg.N)
	// Weights of the new files' kinds, in thousandths.
	weights := [numKinds]int{Tiny: 100, Boilerplate: 120, Document: 330, Binary: 250, EditedBin: 150, Archive: 50}
	var news []int // indexes of new items, for copies
	for i := range items {
		if len(news) > 0 && rnd.Float64() < cfg.CopyShare {
			// Popular files are copied more: a power law over the new
			// items, the earliest the most popular.
			j := int(float64(len(news)) * math.Pow(rnd.Float64(), 3))
			src := news[min(j, len(news)-1)]
			items[i] = Item{Kind: items[src].Kind, CopyOf: src}
			continue
		}
		w := rnd.IntN(1000)
		k := Kind(0)
		for ; w >= weights[k]; k++ {
			w -= weights[k]
		}
		items[i] = Item{Kind: k, CopyOf: -1, seed: rnd.Uint64()}
		news = append(news, i)
	}
	return items
}

var vocabulary = strings.Fields(`the of and to in is that for it as with was on be by this are or
	from at an which not have has but all were can their one been more will would there other
	these if its into only new use may any such under shall each than must also data file system
	software license copyright permission notice warranty provided without limitation rights
	merchantability fitness purpose liability damages contract tort otherwise arising connection
	network server client request response error value config option version release module
	attack actor malware sample loader implant beacon persistence credential lateral movement`)

// text is n bytes of words from the vocabulary, with line breaks.
func text(r *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+16)
	col := 0
	for len(b) < n {
		w := vocabulary[r.IntN(len(vocabulary))]
		b = append(b, w...)
		col += len(w) + 1
		if col > 72 {
			b = append(b, '\n')
			col = 0
		} else {
			b = append(b, ' ')
		}
	}
	return b[:n]
}

// logUniform is a size in [lo, hi), log-uniformly.
func logUniform(r *rand.Rand, lo, hi int) int {
	return int(float64(lo) * math.Pow(float64(hi)/float64(lo), r.Float64()))
}

// shared holds the texts every population draws on: fixed, so that two
// populations (an index and its queries) share their boilerplate.
type shared struct {
	tiny        [][]byte
	boilerplate [][]byte
	headers     [][]byte
	footers     [][]byte
}

var common = sync.OnceValue(func() *shared {
	r := rand.New(rand.NewPCG(1, 2))
	s := &shared{}
	s.tiny = append(s.tiny, nil, []byte("\n"), []byte("{}\n"), []byte("#!/bin/sh\n"), []byte("ok"))
	for len(s.tiny) < 40 {
		s.tiny = append(s.tiny, text(r, r.IntN(40)))
	}
	for range 12 {
		s.boilerplate = append(s.boilerplate, text(r, logUniform(r, 600, 12000)))
	}
	for range numTemplates {
		s.headers = append(s.headers, text(r, logUniform(r, 300, 3000)))
		s.footers = append(s.footers, text(r, logUniform(r, 200, 1500)))
	}
	return s
})

// numTemplates is the number of document templates; a few are used by
// many documents (popularity falls as a power law), most by few.
const numTemplates = 60

// document is a template's header, a body and the template's footer.
func document(r *rand.Rand, s *shared) []byte {
	t := int(float64(numTemplates) * math.Pow(r.Float64(), 2))
	var b []byte
	b = append(b, s.headers[t]...)
	b = append(b, text(r, logUniform(r, 100, 6000))...)
	return append(b, s.footers[t]...)
}

// Bytes makes item i of items (following copies), appending to buf.
func Bytes(cfg Config, items []Item, i int, buf []byte) []byte {
	for items[i].CopyOf >= 0 {
		i = items[i].CopyOf
	}
	it := items[i]
	r := rand.New(rand.NewPCG(it.seed, uint64(it.Kind)))
	s := common()
	switch it.Kind {
	case Tiny:
		return append(buf, s.tiny[r.IntN(len(s.tiny))]...)
	case Boilerplate:
		return append(buf, s.boilerplate[r.IntN(len(s.boilerplate))]...)
	case Document:
		return append(buf, document(r, s)...)
	case Binary, EditedBin:
		if len(cfg.Programs) == 0 {
			return append(buf, document(r, s)...)
		}
		p := cfg.Programs[r.IntN(len(cfg.Programs))]
		n := min(len(p), logUniform(r, 256, 16<<10))
		// Slices start at page-like boundaries, as sections do.
		off := r.IntN(len(p)-n+1) &^ 511
		start := len(buf)
		buf = append(buf, p[off:off+n]...)
		if it.Kind == EditedBin {
			Edit(r, buf[start:])
		}
		return buf
	case Archive:
		var docs [][]byte
		for range 2 + r.IntN(4) {
			docs = append(docs, document(r, s))
		}
		var w bytes.Buffer
		if r.IntN(2) == 0 {
			zw := zip.NewWriter(&w)
			for j, d := range docs {
				// Most archives store, as many do for small members;
				// compression costs the generator more than it adds.
				method := zip.Store
				if j == 0 && r.IntN(4) == 0 {
					method = zip.Deflate
				}
				f, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("doc%d.txt", j), Method: method})
				if err != nil {
					panic(err) // writing to memory cannot fail
				}
				f.Write(d)
			}
			zw.Close()
		} else {
			gz, _ := gzip.NewWriterLevel(&w, gzip.BestSpeed)
			tw := tar.NewWriter(gz)
			for j, d := range docs {
				tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("doc%d.txt", j), Mode: 0o644, Size: int64(len(d))})
				tw.Write(d)
			}
			tw.Close()
			gz.Close()
		}
		return append(buf, w.Bytes()...)
	}
	panic("corpus: unknown kind")
}

// Edit overwrites a few short runs of b in place, as a patch or a changed
// string would.
func Edit(r *rand.Rand, b []byte) {
	if len(b) == 0 {
		return
	}
	for range 1 + r.IntN(6) {
		at := r.IntN(len(b))
		for j := at; j < min(len(b), at+1+r.IntN(24)); j++ {
			b[j] = byte(r.Uint32())
		}
	}
}

// Digests makes the files of items and hashes each new one once with hash
// (in parallel; hash must be safe for concurrent use), copying the digest
// for copies. The result depends only on cfg and items.
func Digests[D any](cfg Config, items []Item, hash func([]byte) D) []D {
	out := make([]D, len(items))
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := range next {
				buf = Bytes(cfg, items, i, buf[:0])
				out[i] = hash(buf)
			}
		}()
	}
	for i, it := range items {
		if it.CopyOf < 0 {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	for i, it := range items {
		if it.CopyOf >= 0 {
			out[i] = out[it.CopyOf]
		}
	}
	return out
}

// programSources are the small programs Programs builds: different imports
// give binaries that share the runtime and differ elsewhere.
var programSources = []string{
	"package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hello\") }\n",
	"package main\nimport (\"encoding/json\"; \"net/http\"; \"os\")\n" +
		"func main() { http.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(r.URL) }); os.Exit(0) }\n",
	"package main\nimport (\"archive/zip\"; \"compress/gzip\"; \"crypto/tls\"; \"os\")\n" +
		"func main() { _ = tls.Config{}; zip.NewWriter(gzip.NewWriter(os.Stdout)).Close() }\n",
}

// Programs builds the small Go programs of this package with the go command
// into dir and returns their bytes: real compiled programs, never run.
func Programs(dir string) ([][]byte, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("corpus: no go command to build programs: %w", err)
	}
	var out [][]byte
	for i, src := range programSources {
		d := filepath.Join(dir, fmt.Sprintf("prog%d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, "main.go"), []byte(src), 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte(fmt.Sprintf("module prog%d\n\ngo 1.22\n", i)), 0o644); err != nil {
			return nil, err
		}
		bin := filepath.Join(d, "prog")
		cmd := exec.Command(goTool, "build", "-trimpath", "-o", bin, ".")
		cmd.Dir = d
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("corpus: go build program %d: %v\n%s", i, err, b)
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
