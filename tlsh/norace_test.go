//go:build !race

package tlsh

// raceEnabled reports whether the race detector is on; tests that hash
// many megabytes do less under it.
const raceEnabled = false
