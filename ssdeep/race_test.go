//go:build race

package ssdeep

const raceEnabled = true
