package tlsh

import (
	"math/rand/v2"
	"testing"
)

// TestVectorMatchesScalar checks the vector kernel against the scalar update
// on random and low-variety inputs of every length around the block size,
// written whole and in pieces, where the CPU has the kernel.
func TestVectorMatchesScalar(t *testing.T) {
	if !haveVBMI {
		t.Skip("no AVX-512 VBMI on this CPU: update is scalar only")
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	inputs := map[string][]byte{"random": benchInput(5000), "zeros": make([]byte, 5000)}
	few := make([]byte, 5000)
	for i := range few {
		few[i] = "ab\x00\xff"[rnd.IntN(4)]
	}
	inputs["four symbols"] = few
	for name, in := range inputs {
		for _, n := range []int{0, 1, 4, 5, 67, 68, 69, 131, 132, 133, 200, 1000, 5000} {
			var want, got Hasher
			want.Write(in[:min(4, n)])
			got.Write(in[:min(4, n)])
			if n > 4 {
				want.updateScalar(in[4:n])
				got.update(in[4:n])
			}
			if got != want {
				t.Errorf("%s, %d bytes: vector update differs from scalar", name, n)
			}
			// Pieces of random sizes go through both paths in turn.
			var pieces Hasher
			for rest := in[:n]; len(rest) > 0; {
				k := min(len(rest), 1+rnd.IntN(300))
				pieces.Write(rest[:k])
				rest = rest[k:]
			}
			var whole Hasher
			whole.Write(in[:n])
			if pieces != whole {
				t.Errorf("%s, %d bytes: written in pieces differs from whole", name, n)
			}
		}
	}
}
