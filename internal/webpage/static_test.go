package webpage

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

func TestStatic(t *testing.T) {
	h := Static(fstest.MapFS{"static/site.css": {Data: []byte("body{}")}})
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	rec := get("/static/site.css")
	if rec.Code != 200 || rec.Body.String() != "body{}" || rec.Header().Get("Cache-Control") != "public, max-age=3600" ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("a file: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	// Behind http.StripPrefix, the folder itself arrives as "".
	folder := httptest.NewRecorder()
	http.StripPrefix("/static/", h).ServeHTTP(folder, httptest.NewRequest(http.MethodGet, "/static/", nil))
	if folder.Code != http.StatusNotFound {
		t.Errorf("the folder behind StripPrefix: %d, want 404", folder.Code)
	}
	for _, p := range []string{"/static/", "/", "/static/missing.css"} {
		if rec := get(p); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404 (no listings)", p, rec.Code)
		}
	}
}
