//go:build race

package main

// raceEnabled: under the race detector every copy a Go process makes is
// checked, the copies into and out of shared memory included, and the
// kernel's copies are not; so shared memory loses its edge over a pipe.
const raceEnabled = true
