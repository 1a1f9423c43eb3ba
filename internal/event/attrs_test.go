package event

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// attrKeys reads the attrs keys attrs.go names.
func attrKeys(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "attrs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			v := sp.(*ast.ValueSpec)
			lit, ok := v.Values[0].(*ast.BasicLit)
			if !ok {
				t.Fatalf("%s is not a string literal", v.Names[0])
			}
			k, _ := strconv.Unquote(lit.Value)
			if other, dup := keys[k]; dup {
				t.Errorf("%s and %s both name %q", other, v.Names[0], k)
			}
			keys[k] = v.Names[0].Name
		}
	}
	return keys
}

// TestAttrKeysDocumented: the API's list of attrs keys is attrs.go's, no
// more and no less.
func TestAttrKeysDocumented(t *testing.T) {
	keys := attrKeys(t)
	b, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "### attrs keys")
	if i < 0 {
		t.Fatal("docs/API.md has no list of attrs keys")
	}
	section := doc[i:]
	if j := strings.Index(section[1:], "\n#"); j >= 0 {
		section = section[:j+1]
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if k, ok := strings.CutPrefix(line, "| `"); ok {
			if j := strings.Index(k, "`"); j > 0 {
				listed[k[:j]] = true
			}
		}
	}
	for k, name := range keys {
		if !listed[k] {
			t.Errorf("%s (%q) is not in docs/API.md's list of attrs keys", name, k)
		}
	}
	for k := range listed {
		if _, ok := keys[k]; !ok {
			t.Errorf("docs/API.md lists the attrs key %q, which attrs.go does not name", k)
		}
	}
}
