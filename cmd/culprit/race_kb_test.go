//go:build race

package main

// kbRace tells the knowledge-base acceptance test to import a sample of
// ATT&CK: the race detector makes the full import take minutes.
const kbRace = true
