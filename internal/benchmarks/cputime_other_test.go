//go:build !unix

package benchmarks

import "time"

// cpuTime reports false: the process's CPU time is only read on unix.
func cpuTime() (time.Duration, bool) { return 0, false }
