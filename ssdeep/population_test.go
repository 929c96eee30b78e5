package ssdeep

import (
	"runtime"
	"sync"
)

// popConfig describes a realistic population of digests: families made by
// mutating a base input (edits of short runs, insertions, deletions,
// appended data, truncation) and hashing each member.
type popConfig struct {
	n          int    // digests in all
	family     int    // members per family (the base included)
	minSize    int    // base input sizes, log-uniform in [minSize, maxSize)
	maxSize    int    //
	seed       uint64 //
	maxWorkers int    // 0: GOMAXPROCS
}

// population returns cfg.n digests, family by family. Families are made
// in parallel; the result depends only on cfg.
func population(cfg popConfig) []Digest {
	out := make([]Digest, cfg.n)
	nfam := (cfg.n + cfg.family - 1) / cfg.family
	workers := cfg.maxWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := New()
			var buf []byte
			for f := range next {
				r := newXorshift(cfg.seed*1_000_003 + uint64(f) + 1)
				base := baseInput(r, cfg.minSize, cfg.maxSize)
				for m := 0; m < cfg.family && f*cfg.family+m < cfg.n; m++ {
					in := base
					if m > 0 {
						buf = mutate(r, append(buf[:0], base...))
						in = buf
					}
					h.Reset()
					h.Write(in)
					out[f*cfg.family+m] = h.Sum()
				}
			}
		}()
	}
	for f := range nfam {
		next <- f
	}
	close(next)
	wg.Wait()
	return out
}

// baseInput is random or text-like bytes of a log-uniform size.
func baseInput(r *xorshift, minSize, maxSize int) []byte {
	// log-uniform: minSize * (maxSize/minSize)^u
	u := float64(r.next()>>11) / (1 << 53)
	size := int(float64(minSize) * pow(float64(maxSize)/float64(minSize), u))
	if r.next()%2 == 0 {
		return genRandom(r, size)
	}
	return genText(r, size)
}

func pow(x, y float64) float64 {
	// exp(y·ln x) without importing math for one call is not worth it.
	return mathPow(x, y)
}

// mutate changes b as a new variant of a program would: a few edits of
// short runs, insertions or deletions, sometimes appended data or a cut.
func mutate(r *xorshift, b []byte) []byte {
	edits := 1 + int(r.next()%8)
	if r.next()%4 == 0 {
		edits += int(r.next() % 40)
	}
	for range edits {
		if len(b) < 2 {
			break
		}
		pos := int(r.next() % uint64(len(b)))
		run := 1 + int(r.next()%64)
		switch r.next() % 3 {
		case 0: // overwrite a run
			for i := pos; i < min(len(b), pos+run); i++ {
				b[i] = byte(r.next())
			}
		case 1: // insert a run
			ins := genRandom(r, run)
			b = append(b[:pos], append(ins, b[pos:]...)...)
		case 2: // delete a run
			b = append(b[:pos], b[min(len(b), pos+run):]...)
		}
	}
	switch r.next() % 8 {
	case 0: // appended data, up to half the size
		b = append(b, genRandom(r, int(r.next()%uint64(len(b)/2+1)))...)
	case 1: // truncated, keeping 60% or more
		b = b[:len(b)*6/10+int(r.next()%uint64(len(b)*4/10+1))]
	}
	return b
}
