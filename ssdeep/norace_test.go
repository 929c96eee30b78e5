//go:build !race

package ssdeep

const raceEnabled = false
