//go:build !unix

package extract

import "time"

// cpuTime is not measured outside Unix: the MB/cpu-s metric is left out.
func cpuTime() time.Duration { return 0 }
