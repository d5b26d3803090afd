package authserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// jwksServer serves an empty key set at every path and counts requests
// per path.
func jwksServer(t *testing.T) (*httptest.Server, func(path string) int) {
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[path]
	}
}

// TestJWKSCacheIsBounded: key sets of jwks_uri URLs (which metadata
// document clients choose freely) are kept up to a fixed number, the least
// recently used going first, and each only for jwksTTL.
func TestJWKSCacheIsBounded(t *testing.T) {
	srv, hits := jwksServer(t)
	j := newJWKSCache(srv.Client(), 2)
	now := lockT0
	get := func(path string) {
		t.Helper()
		if _, err := j.get(context.Background(), srv.Client(), srv.URL+path, now); err != nil {
			t.Fatal(err)
		}
	}
	get("/a")
	get("/b")
	get("/a") // cached; /a is now the most recently used
	get("/c") // evicts /b
	if n := j.sets.Len(); n != 2 {
		t.Errorf("%d key sets cached, want the capacity 2", n)
	}
	get("/a")
	if hits("/a") != 1 {
		t.Errorf("/a fetched %d times, want 1 (it was used recently)", hits("/a"))
	}
	get("/b")
	if hits("/b") != 2 {
		t.Errorf("/b fetched %d times, want 2 (evicted as least recently used)", hits("/b"))
	}
	for i := range 50 {
		get("/flood/" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		if n := j.sets.Len(); n > 2 {
			t.Fatalf("%d key sets cached, over the capacity", n)
		}
	}
	// Entries expire.
	get("/x")
	now = now.Add(jwksTTL - time.Second)
	get("/x")
	now = now.Add(time.Second)
	get("/x")
	if hits("/x") != 2 {
		t.Errorf("/x fetched %d times across its lifetime, want 2", hits("/x"))
	}
}
