// Package examples holds culprit's worked examples and the starter knowledge
// embedded in the binary.
//
// The starter knowledge is the STIX 2.1 bundle sony-2014/knowledge.json: the
// public facts about the 2014 Sony Pictures Entertainment attack that MITRE
// ATT&CK lacks (the 2013 DarkSeoul attacks, the Destover wiper, the command
// and control addresses published in US-CERT alert TA14-353A, Guardians of
// Peace and Unit 121 with their links to Lazarus Group), plus the few ATT&CK
// objects it refers to (Lazarus Group, three competing groups, the
// techniques and software involved) under their ATT&CK ids and with
// timestamps older than any ATT&CK release, so that importing ATT&CK
// replaces them. It is what culprit attributes against on an empty
// database. See sony-2014/README.md for every fact's source.
package examples

import (
	"bytes"
	_ "embed"
)

// StarterSource names the starter knowledge as a provenance source, as the
// knowledge base records where objects come from.
const StarterSource = "builtin:sony-2014"

//go:embed sony-2014/knowledge.json
var starter []byte

//go:embed sony-2014/case.yaml
var sonyCase []byte

// StarterKnowledge returns the starter knowledge, a STIX 2.1 bundle (JSON).
// The caller owns the returned slice.
func StarterKnowledge() []byte { return bytes.Clone(starter) }

// SonyCase returns the case file of the 2014 Sony Pictures attack
// (sony-2014/case.yaml), for tests and demonstrations. The caller owns the
// returned slice.
func SonyCase() []byte { return bytes.Clone(sonyCase) }
