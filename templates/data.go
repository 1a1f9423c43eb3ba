// Package templates renders the playground's HTML pages with templ. The
// generated *_templ.go files are committed; run `go tool templ generate`
// after changing a .templ file.
package templates

// PageData is what a page needs from the server.
type PageData struct {
	// Title is the document title.
	Title string
	// SessionID is set on a session's own page (/s/{id}); empty on the
	// playground's front page.
	SessionID string
	// ImportMap is the JSON import map that gives every module its
	// address with a content hash.
	ImportMap string
	// Asset maps a static file's name to its URL with a content hash.
	Asset func(name string) string
}
