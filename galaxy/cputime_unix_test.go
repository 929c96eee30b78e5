//go:build unix

package galaxy

import (
	"syscall"
	"time"
)

// cpuTime returns the user plus system CPU time of this process, so that
// benchmarks on a loaded machine can report CPU per operation.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
