package scenario

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCatalogueDoc keeps docs/SCENARIOS.md equal to the catalogue. Run the
// tests with UPDATE_DOCS=1 to rewrite the file after changing a scenario.
func TestCatalogueDoc(t *testing.T) {
	const path = "../../docs/SCENARIOS.md"
	want := catalogueMarkdown()
	if os.Getenv("UPDATE_DOCS") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run the tests with UPDATE_DOCS=1 to write it)", path, err)
	}
	if string(got) != want {
		t.Fatalf("%s does not match the catalogue: run the tests with UPDATE_DOCS=1 and commit the result", path)
	}
}

// TestCatalogueComplete checks that the contract's scenarios all exist and
// that every parameter is described.
func TestCatalogueComplete(t *testing.T) {
	for _, name := range []string{"pipe", "fifo", "mq-posix", "mq-sysv", "shm-posix", "shm-sysv", "semaphore",
		"socket-unix", "socket-tcp", "socket-udp", "signal", "race", "deadlock"} {
		s, ok := Lookup(name)
		if !ok {
			t.Errorf("the catalogue has no %s", name)
			continue
		}
		if s.Title == "" || s.Summary == "" || s.Watch == "" || s.Mechanism == "" {
			t.Errorf("%s lacks a title, summary, watch or mechanism", name)
		}
		for _, p := range s.Params {
			if p.Help == "" || p.Default == nil {
				t.Errorf("%s.%s lacks help or a default", name, p.Name)
			}
			if p.Type == TypeInt && (p.Min == nil || p.Max == nil || *p.Min > *p.Max) {
				t.Errorf("%s.%s has bad bounds", name, p.Name)
			}
			if p.Type == TypeChoice && len(p.Choices) == 0 {
				t.Errorf("%s.%s has no choices", name, p.Name)
			}
		}
	}
}

// catalogueMarkdown renders the catalogue as the doc shows it.
func catalogueMarkdown() string {
	var b strings.Builder
	b.WriteString("# Scenarios\n\n")
	b.WriteString("The catalogue as `GET /api/scenarios` lists it. This file is generated from the code\n")
	b.WriteString("by `UPDATE_DOCS=1 go test ./internal/scenario/`, and a test fails when it falls behind.\n\n")
	b.WriteString("Every scenario also takes the session's `pace`: `realtime`, `slow` or `step`.\n")
	for _, s := range All() {
		fmt.Fprintf(&b, "\n## `%s`: %s\n\n", s.Name, s.Title)
		fmt.Fprintf(&b, "Mechanism: `%s`.\n\n%s\n\n**Watch for.** %s\n\n", s.Mechanism, s.Summary, s.Watch)
		if len(s.Params) == 0 {
			b.WriteString("No parameters.\n")
			continue
		}
		b.WriteString("| parameter | type | default | allowed | what it does |\n| --- | --- | --- | --- | --- |\n")
		for _, p := range s.Params {
			allowed := ""
			switch p.Type {
			case TypeInt:
				allowed = fmt.Sprintf("%d to %d", *p.Min, *p.Max)
				if p.Unit != "" {
					allowed += " " + p.Unit
				}
			case TypeChoice:
				allowed = "`" + strings.Join(p.Choices, "`, `") + "`"
			case TypeBool:
				allowed = "`true`, `false`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | `%v` | %s | %s |\n", p.Name, p.Type, p.Default, allowed,
				strings.ReplaceAll(p.Help, "|", "\\|"))
		}
	}
	return b.String()
}
