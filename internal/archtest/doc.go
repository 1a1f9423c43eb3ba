// Package archtest holds no code, only tests that keep the project's shape:
// the direction of its imports, formatting, and generated code that matches
// its source.
package archtest
