//go:build !race

package web_test

// raceEnabled tells the browser test to run on the starter knowledge: the
// race detector makes the import of 100,000 objects take minutes.
const raceEnabled = false
