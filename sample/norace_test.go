//go:build !race

package sample_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
