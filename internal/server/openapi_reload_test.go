package server

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestRefresherWaitsJitteredAndStops: each wait is the interval plus the
// jitter drawn below a tenth of it; every tick reloads once; cancelling
// stops the timer and ends the loop, without a reload.
func TestRefresherWaitsJitteredAndStops(t *testing.T) {
	ticks := make(chan time.Time)
	var waits []time.Duration
	var bounds []int64
	stopped := 0
	reloads := make(chan struct{})
	r := refresher{every: 10 * time.Minute,
		jitter: func(n int64) int64 { bounds = append(bounds, n); return n - 1 },
		after: func(d time.Duration) (<-chan time.Time, func() bool) {
			waits = append(waits, d)
			return ticks, func() bool { stopped++; return true }
		},
		reload: func(context.Context) { reloads <- struct{}{} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.run(ctx) }()
	for range 2 {
		ticks <- time.Time{}
		<-reloads
	}
	cancel()
	<-done
	// The loop is over: reading what it wrote is race-free.
	want := 10*time.Minute + time.Minute
	if !slices.Equal(waits, []time.Duration{want, want, want}) || !slices.Equal(bounds, []int64{int64(time.Minute) + 1, int64(time.Minute) + 1, int64(time.Minute) + 1}) || stopped != 1 {
		t.Errorf("waits %v (want 3 × %v), jitter bounds %v, timers stopped %d (want 1)", waits, want, bounds, stopped)
	}
}

// TestOpenAPIRefreshLoops: only a document with openapi.refresh gets a
// timer of its own.
func TestOpenAPIRefreshLoops(t *testing.T) {
	o := newOpenAPISources(Options{}, nil)
	o.add("a", "", 0, nil)
	o.add("b", "", 5*time.Minute, nil)
	o.add("c", "m", time.Minute, nil)
	if n := len(o.loops()); n != 2 {
		t.Errorf("%d refresh loops, want 2", n)
	}
}
