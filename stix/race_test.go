//go:build race

package stix

// raceEnabled tells heavy tests to check a sample: the race detector makes
// them 10 times slower.
const raceEnabled = true
