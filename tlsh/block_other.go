//go:build !amd64 || purego

package tlsh

// haveVBMI is false where there is no vector kernel: update is scalar.
var haveVBMI = false

// saltVec is not needed without the vector kernel.
var saltVec [7 * 64]byte

// blockVBMI is never called here (haveVBMI is false); it exists so that
// update compiles on every architecture.
func blockVBMI(out *[7 * 64]byte, src *byte, salts *[7 * 64]byte) {}
