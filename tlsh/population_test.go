package tlsh

import (
	"math/rand/v2"
	"runtime"
	"sync"
)

// realFamilies hashes families of inputs: for each of nFam base inputs
// (random bytes, text-like, low-alphabet data, 512 bytes to 8 KiB), the base
// and perFam-1 edited copies (substitutions, insertions, deletions,
// appended data; each copy edits the base or an earlier copy). Hashing runs
// on all CPUs. Inputs without a digest are left out.
func realFamilies(seed uint64, nFam, perFam int) []Digest {
	out := make([][]Digest, nFam)
	var wg sync.WaitGroup
	work := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				rnd := rand.New(rand.NewPCG(seed, uint64(f)))
				base := generatedInputs(seed+uint64(f)*7919, 1+rnd.IntN(3))
				members := [][]byte{base[len(base)-1]}
				for len(members) < perFam {
					members = append(members, mutate(rnd, members[rnd.IntN(len(members))]))
				}
				for _, m := range members {
					if d, err := Sum(m); err == nil {
						out[f] = append(out[f], d)
					}
				}
			}
		}()
	}
	for f := range nFam {
		work <- f
	}
	close(work)
	wg.Wait()
	var all []Digest
	for _, f := range out {
		all = append(all, f...)
	}
	return all
}

// perturb returns d changed the way a small edit of the input changes a
// digest: a few buckets move to a neighbouring quartile (code ±1), and
// sometimes the length class or a q ratio moves by one and the checksum
// changes.
func perturb(rnd *rand.Rand, d Digest) Digest {
	for range rnd.IntN(10) {
		k := rnd.IntN(128)
		v := d.code[k/4] >> (2 * (k % 4)) & 3
		switch {
		case v == 0:
			v = 1
		case v == 3:
			v = 2
		case rnd.IntN(2) == 0:
			v--
		default:
			v++
		}
		d.code[k/4] = d.code[k/4]&^(3<<(2*(k%4))) | v<<(2*(k%4))
	}
	if rnd.IntN(4) == 0 {
		d.lvalue += byte(1 - 2*rnd.IntN(2))
	}
	if rnd.IntN(4) == 0 {
		d.q ^= 1 << rnd.IntN(8) // a q ratio moves by 1, 2, 4 or 8
	}
	if rnd.IntN(2) == 0 {
		d.checksum = byte(rnd.Uint32())
	}
	return d
}

// population returns n digests: real families (a twentieth of n, at most)
// and perturbed copies of random earlier digests, so that the population
// has clusters of many near neighbours and digests far from all others.
func population(seed uint64, n int) []Digest {
	perFam := 10
	nReal := max(1, n/20)
	pop := realFamilies(seed, max(1, nReal/perFam), perFam)
	if len(pop) > n {
		pop = pop[:n]
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	for len(pop) < n {
		pop = append(pop, perturb(rnd, pop[rnd.IntN(len(pop))]))
	}
	return pop
}
