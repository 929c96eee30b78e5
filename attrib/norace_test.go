//go:build !race

package attrib

// raceEnabled makes heavy tests check a sample under the race detector.
const raceEnabled = false
