package cimd

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestFetchCacheMaxAge(t *testing.T) {
	tests := []struct {
		name         string
		cacheControl string
		fresh, stale time.Duration // still cached at fresh, refetched at stale
	}{
		{"max-age respected", "max-age=120", 119 * time.Second, 120 * time.Second},
		{"max-age raised to MinCacheTTL", "max-age=5", 59 * time.Second, time.Minute},
		{"max-age=0 raised to MinCacheTTL", "max-age=0", 59 * time.Second, time.Minute},
		{"max-age lowered to MaxCacheTTL", "max-age=31536000", time.Hour - time.Second, time.Hour},
		{"no header: DefaultCacheTTL", "", 10*time.Minute - time.Second, 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.cacheControl != "" {
				header = []string{"Cache-Control", tt.cacheControl}
			}
			srv := startServer(t, false, serveDoc(t, nil, header...))
			f, clock, _ := newTestFetcher(t, srv, nil)
			id := srv.id("client.example.com", "/c.json")
			start := clock.Now()
			d, err := f.Fetch(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if want := start.Add(tt.stale); !d.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v", d.ExpiresAt, want)
			}
			d.RedirectURIs[0] = "https://tampered.example/cb" // a caller's copy
			clock.Advance(tt.fresh)
			d, err = f.Fetch(context.Background(), id)
			if err != nil || srv.hits.Load() != 1 {
				t.Fatalf("at +%v: err %v, %d requests; want the cached copy", tt.fresh, err, srv.hits.Load())
			}
			if d.RedirectURIs[0] == "https://tampered.example/cb" {
				t.Error("a caller changed the cached document")
			}
			clock.Advance(tt.stale - tt.fresh)
			if _, err := f.Fetch(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			if n := srv.hits.Load(); n != 2 {
				t.Errorf("at +%v: %d requests, want 2", tt.stale, n)
			}
		})
	}
}

func TestFetchCacheExpires(t *testing.T) {
	var clock *fakeClock
	srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		now := clock.Now()
		serveDoc(t, nil, "Date", now.Format(http.TimeFormat), "Expires", now.Add(30*time.Minute).Format(http.TimeFormat))(w, r)
	})
	f, c, _ := newTestFetcher(t, srv, nil)
	clock = c
	id := srv.id("client.example.com", "/c.json")
	for range 2 {
		if _, err := f.Fetch(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		clock.Advance(29 * time.Minute)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests within Expires, want 1", n)
	}
	clock.Advance(time.Minute)
	if _, err := f.Fetch(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d requests after Expires, want 2", n)
	}
}

func TestFetchNotCached(t *testing.T) {
	for _, cc := range []string{"no-store", "no-cache", "max-age=3600, no-store"} {
		t.Run(cc, func(t *testing.T) {
			srv := startServer(t, false, serveDoc(t, nil, "Cache-Control", cc))
			f, _, _ := newTestFetcher(t, srv, nil)
			id := srv.id("client.example.com", "/c.json")
			for range 3 {
				d, err := f.Fetch(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if !d.ExpiresAt.Equal(d.FetchedAt) {
					t.Errorf("ExpiresAt %v, want FetchedAt %v for a document that is not kept", d.ExpiresAt, d.FetchedAt)
				}
			}
			if n := srv.hits.Load(); n != 3 {
				t.Errorf("%d requests for 3 fetches, want 3", n)
			}
		})
	}
}

// TestFetchRemembersFailures: a failed fetch is not repeated for FailureTTL,
// then is, and a success clears the failure.
func TestFetchRemembersFailures(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		serveDoc(t, nil)(w, r)
	})
	f, clock, _ := newTestFetcher(t, srv, func(o *Options) { o.FailureTTL = 30 * time.Second })
	id := srv.id("client.example.com", "/c.json")
	_, err1 := f.Fetch(context.Background(), id)
	wantKind(t, err1, KindFetch)
	broken.Store(false)
	clock.Advance(29 * time.Second)
	_, err2 := f.Fetch(context.Background(), id)
	e2 := wantKind(t, err2, KindFetch)
	if e2.Description != err1.(*Error).Description || srv.hits.Load() != 1 {
		t.Errorf("within FailureTTL: %v after %d requests; want the remembered failure", e2, srv.hits.Load())
	}
	clock.Advance(time.Second)
	if _, err := f.Fetch(context.Background(), id); err != nil {
		t.Fatalf("after FailureTTL: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestFetchRemembersInvalidDocuments(t *testing.T) {
	srv := startServer(t, false, serveDoc(t, map[string]any{"client_id": "https://someone.else.example/c.json"}))
	f, clock, _ := newTestFetcher(t, srv, nil) // FailureTTL defaults to 1m
	id := srv.id("client.example.com", "/c.json")
	for range 3 {
		_, err := f.Fetch(context.Background(), id)
		wantKind(t, err, KindInvalidDocument)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	clock.Advance(time.Minute)
	_, err := f.Fetch(context.Background(), id)
	wantKind(t, err, KindInvalidDocument)
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d requests after FailureTTL, want 2", n)
	}
	f.Forget(id)
	_, _ = f.Fetch(context.Background(), id)
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("%d requests after Forget, want 3", n)
	}
}

func TestFetchFailureMemoryOff(t *testing.T) {
	srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	})
	f, _, _ := newTestFetcher(t, srv, func(o *Options) { o.FailureTTL = -1 })
	id := srv.id("client.example.com", "/c.json")
	for range 3 {
		_, err := f.Fetch(context.Background(), id)
		wantKind(t, err, KindFetch)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// TestFetchCollapsesConcurrentFetches: callers that arrive while a fetch is
// under way share it. The document is no-store, so only the shared flight,
// not the cache, can explain a single request.
func TestFetchCollapsesConcurrentFetches(t *testing.T) {
	const callers = 8
	release := make(chan struct{})
	srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		<-release
		serveDoc(t, nil, "Cache-Control", "no-store")(w, r)
	})
	f, _, _ := newTestFetcher(t, srv, nil)
	joined := make(chan struct{}, callers)
	f.joined = func(string) { joined <- struct{}{} }
	id := srv.id("client.example.com", "/c.json")
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			d, err := f.Fetch(context.Background(), id)
			if err == nil && d.ClientID != id {
				err = errors.New("wrong document")
			}
			errs <- err
		})
	}
	for range callers {
		<-joined
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests for %d concurrent callers, want 1", n, callers)
	}
}

// TestFetchCallerCancelDoesNotAbortSharedFetch: one caller giving up must
// not fail the others waiting on the same fetch.
func TestFetchCallerCancelDoesNotAbortSharedFetch(t *testing.T) {
	release := make(chan struct{})
	srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		<-release
		serveDoc(t, nil, "Cache-Control", "max-age=600")(w, r)
	})
	f, _, _ := newTestFetcher(t, srv, nil)
	joined := make(chan struct{}, 2)
	f.joined = func(string) { joined <- struct{}{} }
	id := srv.id("client.example.com", "/c.json")

	ctx, cancel := context.WithCancel(context.Background())
	impatient := make(chan error, 1)
	go func() {
		_, err := f.Fetch(ctx, id)
		impatient <- err
	}()
	patient := make(chan error, 1)
	go func() {
		_, err := f.Fetch(context.Background(), id)
		patient <- err
	}()
	<-joined
	<-joined
	cancel()
	e := wantKind(t, <-impatient, KindFetch)
	if !errors.Is(e, context.Canceled) {
		t.Errorf("cancelled caller got %v", e)
	}
	close(release)
	if err := <-patient; err != nil {
		t.Fatalf("the other caller failed: %v", err)
	}
	if _, err := f.Fetch(context.Background(), id); err != nil || srv.hits.Load() != 1 {
		t.Errorf("after the shared fetch: %v, %d requests; want the cached document", err, srv.hits.Load())
	}
}

func TestFetchCacheIsBounded(t *testing.T) {
	srv := startServer(t, false, serveDoc(t, nil, "Cache-Control", "max-age=600"))
	f, _, _ := newTestFetcher(t, srv, func(o *Options) { o.MaxEntries = 2 })
	ids := []string{srv.id("client.example.com", "/a.json"), srv.id("client.example.com", "/b.json"), srv.id("client.example.com", "/c.json")}
	for _, id := range ids {
		if _, err := f.Fetch(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.docs.Len(); n != 2 {
		t.Errorf("%d cached documents, want 2", n)
	}
	if _, err := f.Fetch(context.Background(), ids[2]); err != nil || srv.hits.Load() != 3 {
		t.Errorf("the newest entry was evicted (%d requests)", srv.hits.Load())
	}
	if _, err := f.Fetch(context.Background(), ids[0]); err != nil || srv.hits.Load() != 4 {
		t.Errorf("the oldest entry was not evicted (%d requests)", srv.hits.Load())
	}
}
