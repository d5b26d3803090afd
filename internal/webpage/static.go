package webpage

import (
	"io/fs"
	"net/http"
	"strings"
)

// Static serves the stylesheets and images of the pages from fsys: cached
// for an hour, never sniffed, and without directory listings.
func Static(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings (StripPrefix leaves "" for the folder itself)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
