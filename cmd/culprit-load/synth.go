package main

import (
	"bufio"
	"fmt"
	"io"
)

// synthesize writes a STIX bundle of n synthetic objects (malware
// families, indicators of them and the relationships between), to bring
// a real knowledge base to the size of a load target (issue 10: 100,000
// objects). Ids are deterministic, so a re-import adds nothing.
func synthesize(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, `{"type":"bundle","id":"bundle--5e000000-0000-4000-8000-000000000000","objects":[`)
	families := max(1, n/70)
	written := 0
	sep := ""
	emit := func(format string, args ...any) {
		fmt.Fprint(bw, sep)
		fmt.Fprintf(bw, format, args...)
		sep = ",\n"
		written++
	}
	const ts = "2024-01-01T00:00:00.000Z"
	for i := 0; i < families && written < n; i++ {
		emit(`{"type":"malware","spec_version":"2.1","id":"malware--5e%06x-0000-4000-8000-000000000000","created":"%s","modified":"%s","name":"Synthetic family %d","is_family":true}`, i, ts, ts, i)
	}
	for i := 0; written+1 < n; i++ {
		emit(`{"type":"indicator","spec_version":"2.1","id":"indicator--5e%06x-0000-4000-8000-000000000001","created":"%s","modified":"%s","name":"synthetic indicator %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"%s"}`,
			i, ts, ts, i, (i>>16)&255, (i>>8)&255, i&255, ts)
		emit(`{"type":"relationship","spec_version":"2.1","id":"relationship--5e%06x-0000-4000-8000-000000000002","created":"%s","modified":"%s","relationship_type":"indicates","source_ref":"indicator--5e%06x-0000-4000-8000-000000000001","target_ref":"malware--5e%06x-0000-4000-8000-000000000000"}`,
			i, ts, ts, i, i%families)
	}
	fmt.Fprint(bw, "]}\n")
	return bw.Flush()
}
