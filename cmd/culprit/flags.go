package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/culprit-cti/culprit/kb"
)

// confidence is the value of a flag that takes a STIX confidence (0-100),
// such as --fold and its older name --link-threshold: a value out of range
// is refused when the flags are parsed, with the same message whichever
// command and name it comes through.
type confidence struct {
	p   *int
	min int // the least value accepted (0, or 1 for a fold threshold)
}

func (c confidence) String() string {
	if c.p == nil {
		return ""
	}
	return strconv.Itoa(*c.p)
}

func (c confidence) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number: want a confidence from 0 to 100", s)
	}
	if v < c.min || v > 100 {
		return fmt.Errorf("%d is out of range: want a confidence from %d to 100", v, c.min)
	}
	*c.p = v
	return nil
}

// confidenceFlag defines a confidence flag (0-100) with a default value
// and returns where it is stored. Bind a second name to the same value
// with confidenceVar.
func confidenceFlag(fs *flag.FlagSet, name string, value int, usage string) *int {
	p := new(int)
	*p = value
	fs.Var(confidence{p: p}, name, usage)
	return p
}

// foldFlag defines --fold, the fold threshold of actor clusters (1-100,
// kb.DefaultFold by default), with --link-threshold as its older name, and
// returns where it is stored.
func foldFlag(fs *flag.FlagSet) *int {
	p := new(int)
	*p = kb.DefaultFold
	fs.Var(confidence{p: p, min: 1}, "fold", "fold actors linked by a same-as link of at least this confidence (1-100) into one hypothesis")
	fs.Var(confidence{p: p, min: 1}, "link-threshold", "the same as --fold (older name)")
	return p
}

// confidenceVar defines a confidence flag (0-100) stored in p, whose
// current value is the default.
func confidenceVar(fs *flag.FlagSet, p *int, name, usage string) {
	fs.Var(confidence{p: p}, name, usage)
}
