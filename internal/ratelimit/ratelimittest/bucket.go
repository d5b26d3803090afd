package ratelimittest

import (
	"fmt"
	"testing"
	"time"
)

// testBucketBurstThenRefill: a full bucket gives Burst at once, then refills
// at Rate, never above Burst.
func testBucketBurstThenRefill(t *testing.T, e *env) {
	l := bucket("burst", 1, 5)
	for i := range int64(5) {
		e.expect(t, l, "k", 1, allowed(4-i))
	}
	e.expect(t, l, "k", 1, denied(0, time.Second))
	e.clock.Advance(time.Second - time.Microsecond)
	e.expect(t, l, "k", 1, denied(0, time.Microsecond))
	e.clock.Advance(time.Microsecond)
	e.expect(t, l, "k", 1, allowed(0))
	e.expect(t, l, "k", 1, denied(0, time.Second))

	// 2.5 units: two whole ones, and the half counts toward the next.
	e.clock.Advance(2500 * time.Millisecond)
	e.expect(t, l, "k", 1, allowed(1))
	e.expect(t, l, "k", 1, allowed(0))
	e.expect(t, l, "k", 1, denied(0, 500*time.Millisecond))

	// A long idle time fills the bucket to Burst and no further.
	e.clock.Advance(time.Hour)
	for i := range int64(5) {
		e.expect(t, l, "k", 1, allowed(4-i))
	}
	e.expect(t, l, "k", 1, denied(0, time.Second))
}

// testBucketCost: a request costing n takes n units, and waits for n.
func testBucketCost(t *testing.T, e *env) {
	l := bucket("cost", 2, 10)
	e.expect(t, l, "k", 4, allowed(6))
	e.expect(t, l, "k", 4, allowed(2))
	e.expect(t, l, "k", 4, denied(2, time.Second)) // 2 missing at 2 per second
	e.expect(t, l, "k", 2, allowed(0))
	e.expect(t, l, "k", 10, denied(0, 5*time.Second))
	e.clock.Advance(5 * time.Second)
	e.expect(t, l, "k", 10, allowed(0))
	e.clock.Advance(750 * time.Millisecond)
	e.expect(t, l, "k", 1, allowed(0)) // 1.5 units, less the 1
	e.expect(t, l, "k", 3, denied(0, 1250*time.Millisecond))
}

// testBucketDeniedNotCharged: a denied request takes nothing.
func testBucketDeniedNotCharged(t *testing.T, e *env) {
	l := bucket("denied", 1, 3)
	e.expect(t, l, "k", 3, allowed(0))
	e.clock.Advance(2 * time.Second)
	for range 3 {
		e.expect(t, l, "k", 3, denied(2, time.Second))
	}
	e.expect(t, l, "k", 1, allowed(1))
	e.expect(t, l, "k", 1, allowed(0))
}

// testBucketRetryAfterExact: for rates that do and do not divide a second,
// RetryAfter is the exact wait: one microsecond less is still denied (and
// then RetryAfter is one microsecond), RetryAfter itself is allowed.
func testBucketRetryAfterExact(t *testing.T, e *env) {
	for i, tc := range []struct {
		rate        float64
		burst, cost int64
		want        time.Duration // 0: only the property is checked
	}{
		{1, 1, 1, time.Second},
		{3, 2, 2, 666667 * time.Microsecond},
		{0.5, 1, 1, 2 * time.Second},
		{7.5, 4, 3, 400 * time.Millisecond},
		{1000, 1, 1, time.Millisecond},
		{1e6, 5, 5, 5 * time.Microsecond},
		{0.001, 2, 2, 2000 * time.Second},
		{1.0 / 3, 1, 1, 0},
		{0.7, 100, 37, 0},
		{123456.789, 1000, 999, 0},
	} {
		l := bucket(fmt.Sprintf("exact-%d", i), tc.rate, tc.burst)
		e.expect(t, l, "k", tc.burst, allowed(0))
		d := e.allow(t, l, "k", tc.cost)
		ceiling := time.Duration(float64(tc.cost)/tc.rate*1e6+1) * time.Microsecond
		switch {
		case d.Allowed || d.Remaining != 0:
			t.Fatalf("rate %v: %+v after draining the bucket, want a denial with 0 remaining", tc.rate, d)
		case tc.want != 0 && d.RetryAfter != tc.want:
			t.Fatalf("rate %v, cost %d: RetryAfter %v, want %v", tc.rate, tc.cost, d.RetryAfter, tc.want)
		case d.RetryAfter <= 0 || d.RetryAfter > ceiling || d.RetryAfter%time.Microsecond != 0:
			t.Fatalf("rate %v, cost %d: RetryAfter %v, want whole microseconds in (0, %v]", tc.rate, tc.cost, d.RetryAfter, ceiling)
		}
		e.clock.Advance(d.RetryAfter - time.Microsecond)
		e.expect(t, l, "k", tc.cost, denied(tc.cost-1, time.Microsecond))
		e.clock.Advance(time.Microsecond)
		e.expect(t, l, "k", tc.cost, allowed(0))
	}
}

// testBucketClockBackwards: a clock that goes back (another replica's,
// behind) refills nothing, and RetryAfter counts the difference.
func testBucketClockBackwards(t *testing.T, e *env) {
	l := bucket("backwards", 1, 2)
	e.expect(t, l, "k", 2, allowed(0))
	e.clock.Advance(-10 * time.Second)
	e.expect(t, l, "k", 1, denied(0, 11*time.Second))
	e.clock.Advance(11 * time.Second)
	e.expect(t, l, "k", 1, allowed(0))
	e.expect(t, l, "k", 1, denied(0, time.Second))
}
