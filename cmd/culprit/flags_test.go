package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestConfidenceFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
		err  string // substring of the error, "" for none
	}{
		{nil, 80, ""},
		{[]string{"--fold", "0"}, 0, ""},
		{[]string{"--fold", "100"}, 100, ""},
		{[]string{"--link-threshold", "55"}, 55, ""},
		{[]string{"--fold", "500"}, 0, "invalid value \"500\" for flag -fold: 500 is out of range: want a confidence from 0 to 100"},
		{[]string{"--link-threshold", "500"}, 0, "invalid value \"500\" for flag -link-threshold: 500 is out of range"},
		{[]string{"--fold", "-1"}, 0, "-1 is out of range"},
		{[]string{"--fold", "high"}, 0, `"high" is not a whole number`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fold := confidenceFlag(fs, "fold", 80, "")
			confidenceVar(fs, fold, "link-threshold", "")
			_, err := parseFlags(fs, tc.args)
			if tc.err == "" {
				if err != nil || *fold != tc.want {
					t.Errorf("parse %q = %d, %v; want %d", tc.args, *fold, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, errUsage) {
				t.Errorf("parse %q error = %v, want a usage error with %q", tc.args, err, tc.err)
			}
		})
	}
}
