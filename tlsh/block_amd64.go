//go:build !purego

package tlsh

import "golang.org/x/sys/cpu"

// haveVBMI says whether blockVBMI can run: it needs AVX-512 VBMI for its
// 64-way byte table lookups (VPERMI2B) and AVX-512 BW for the byte masks.
var haveVBMI = cpu.X86.HasAVX512VBMI && cpu.X86.HasAVX512BW

// blockVBMI computes the table lookups of 64 input positions at once; see
// block_amd64.s.
//
//go:noescape
func blockVBMI(out *[7 * 64]byte, src *byte, salts *[7 * 64]byte)

// saltVec holds each of the seven salts of salted repeated 64 times, for the
// vector kernel's first Pearson step.
var saltVec = func() (v [7 * 64]byte) {
	for k, s := range [7]byte{1, 49, 12, 178, 166, 84, 230} {
		for i := range 64 {
			v[64*k+i] = s
		}
	}
	return v
}()
