// Package static holds the page's JavaScript modules, styles and images,
// embedded in the binary. Each file is served with a content hash as its
// ETag, since embedded files have no modification time.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// The page's entry and styles sit at the top; its modules under js/, the
// per-mechanism drawings under js/mechanisms/, the code shown for each
// scenario under js/snippets/ and third-party files under vendor/.
//
//go:embed *.js *.css *.svg js/*.js js/mechanisms/*.js js/snippets/*.js vendor/*.js
var files embed.FS

// FS returns the embedded files.
func FS() fs.FS { return files }

var (
	hashOnce sync.Once
	hashes   map[string]string
)

// hashesOf computes every file's content hash once.
func hashesOf() map[string]string {
	hashOnce.Do(func() {
		hashes = map[string]string{}
		_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := files.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			hashes[p] = hex.EncodeToString(sum[:8])
			return nil
		})
	})
	return hashes
}

// URL returns the address of a static file with its content hash, so a
// browser never runs yesterday's script against today's server.
func URL(name string) string {
	return "/static/" + name + "?v=" + hashesOf()[name]
}

// ImportMap returns the page's import map as JSON: every module's plain
// address mapped to its address with a content hash. Modules import each
// other by plain relative paths; the map makes those imports cacheable for a
// year and still fresh after each change.
func ImportMap() string {
	imports := map[string]string{}
	for name := range hashesOf() {
		if strings.HasSuffix(name, ".js") {
			imports["/static/"+name] = URL(name)
		}
	}
	b, err := json.Marshal(map[string]any{"imports": imports})
	if err != nil {
		return `{"imports":{}}`
	}
	return string(b)
}

// Handler serves the files under /static/. A request that names the
// current hash may be cached for a year; any other revalidates by ETag.
func Handler() http.Handler {
	fsrv := http.FileServerFS(files)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		h, ok := hashesOf()[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"`+h+`"`)
		if r.URL.Query().Get("v") == h {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	}))
}
