package backendauth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

// TestTokenCacheOneFetch: concurrent callers share one fetch, and its
// token serves until shortly before it expires.
func TestTokenCacheOneFetch(t *testing.T) {
	var clk clock
	c := &tokenCache{now: clk.now}
	var fetches atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fetch := func(context.Context) (*oauth2.Token, error) {
		n := fetches.Add(1)
		once.Do(func() { close(started) })
		<-release
		return &oauth2.Token{AccessToken: "t" + string(rune('0'+n)), Expiry: time.Now().Add(time.Hour)}, nil
	}
	const n = 50
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if got[i], err = c.get(context.Background(), "k", fetch); err != nil {
				t.Error(err)
			}
		})
	}
	<-started
	close(release)
	wg.Wait()
	if f := fetches.Load(); f != 1 {
		t.Fatalf("%d fetches for %d concurrent callers, want 1", f, n)
	}
	for _, g := range got {
		if g != "t1" {
			t.Fatalf("a caller got %q", g)
		}
	}
	clk.advance(58 * time.Minute)
	if tok, _ := c.get(context.Background(), "k", fetch); tok != "t1" || fetches.Load() != 1 {
		t.Fatalf("two minutes before expiry: %q after %d fetches", tok, fetches.Load())
	}
	clk.advance(time.Minute + time.Second)
	if tok, _ := c.get(context.Background(), "k", fetch); tok != "t2" {
		t.Fatalf("within a minute of expiry: %q, want a new token", tok)
	}
}

// TestTokenCacheErrorsAndCancellation: a failed fetch is shared by the
// callers that waited for it and not cached; a caller that gives up does
// not fail the fetch for the others.
func TestTokenCacheErrorsAndCancellation(t *testing.T) {
	c := &tokenCache{}
	boom := errors.New("endpoint down")
	if _, err := c.get(context.Background(), "k", func(context.Context) (*oauth2.Token, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	fetch := func(ctx context.Context) (*oauth2.Token, error) {
		close(started)
		<-release
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return &oauth2.Token{AccessToken: "ok"}, nil
	}
	impatient, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.get(impatient, "k", fetch); errc <- err }()
	<-started
	res := make(chan string, 1)
	go func() { tok, _ := c.get(context.Background(), "k", fetch); res <- tok }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the impatient caller: %v", err)
	}
	close(release)
	if tok := <-res; tok != "ok" {
		t.Fatalf("the patient caller got %q after the first one gave up", tok)
	}
}
