//go:build race

package aione

// raceEnabled reports whether the tests run under the race detector, whose
// instrumentation adds allocations that allocation counts must not see.
const raceEnabled = true
