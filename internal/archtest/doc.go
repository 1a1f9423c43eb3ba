// Package archtest holds no code, only tests that keep the project's shape:
// the direction of its imports, formatting, generated code that matches
// its source, and a few seconds of fuzzing for every fuzz target.
package archtest
