//go:build !race

package eval

// raceDetector tells the reduced temporal evaluation to run a smaller
// sample: the race detector makes every knowledge build several times slower.
const raceDetector = false
