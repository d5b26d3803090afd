package ratelimittest

import (
	"slices"
	"sync"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// Goroutines is how many callers race in the concurrency tests, as many
// requests of one client at once.
const Goroutines = 50

// testConcurrentBucket: with the clock stopped, callers racing for a bucket
// get exactly Burst admissions between them, each with a different Remaining.
func testConcurrentBucket(t *testing.T, e *env) {
	race(t, e, bucket("race-bucket", 0.001, 37), 37)
}

// testConcurrentQuota: the same for a quota's Max.
func testConcurrentQuota(t *testing.T, e *env) {
	race(t, e, quota("race-quota", ratelimit.Day, 37), 37)
}

func race(t *testing.T, e *env, l ratelimit.Limit, capacity int64) {
	const perGoroutine = 3 // 150 requests for 37 places
	var (
		mu        sync.Mutex
		remaining []int64
		wg        sync.WaitGroup
		start     = make(chan struct{})
	)
	for range Goroutines {
		wg.Go(func() {
			<-start
			for range perGoroutine {
				d, err := e.lim.Allow(t.Context(), l, "shared", 1)
				if err != nil {
					t.Error(err)
					return
				}
				if !d.Allowed && d.RetryAfter <= 0 {
					t.Errorf("denied with RetryAfter %v", d.RetryAfter)
				}
				if d.Allowed {
					mu.Lock()
					remaining = append(remaining, d.Remaining)
					mu.Unlock()
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if int64(len(remaining)) != capacity {
		t.Fatalf("%d of %d racing requests admitted, want exactly %d", len(remaining), Goroutines*perGoroutine, capacity)
	}
	slices.Sort(remaining)
	for i, r := range remaining {
		if r != int64(i) {
			t.Fatalf("the admitted requests' Remaining values are %v, want each of 0 to %d once", remaining, capacity-1)
		}
	}
}
