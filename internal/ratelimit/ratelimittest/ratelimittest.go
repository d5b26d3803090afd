package ratelimittest

import (
	"errors"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// NewLimiter returns a limiter with no counters that reads the time from now.
// Anything to clean up afterwards goes to t.Cleanup.
type NewLimiter func(t *testing.T, now func() time.Time) ratelimit.Limiter

// RunTests runs the suite as subtests of t, one after another, each with a
// new limiter from newLimiter and a new Clock.
func RunTests(t *testing.T, newLimiter NewLimiter) {
	t.Helper()
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(Epoch)
			tc.run(t, &env{lim: newLimiter(t, clock.Now), clock: clock})
		})
	}
}

var suite = []struct {
	name string
	run  func(*testing.T, *env)
}{
	{"Bucket/BurstThenRefill", testBucketBurstThenRefill},
	{"Bucket/Cost", testBucketCost},
	{"Bucket/DeniedNotCharged", testBucketDeniedNotCharged},
	{"Bucket/RetryAfterExact", testBucketRetryAfterExact},
	{"Bucket/ClockBackwards", testBucketClockBackwards},
	{"Quota/Minute", testQuotaWindow(ratelimit.Minute)},
	{"Quota/Hour", testQuotaWindow(ratelimit.Hour)},
	{"Quota/Day", testQuotaWindow(ratelimit.Day)},
	{"Quota/Cost", testQuotaCost},
	{"IndependentKeys", testIndependentKeys},
	{"IndependentLimits", testIndependentLimits},
	{"LargeKeys", testLargeKeys},
	{"Invalid", testInvalid},
	{"Concurrent/Bucket", testConcurrentBucket},
	{"Concurrent/Quota", testConcurrentQuota},
}

// Epoch is where every subtest's clock starts: a whole microsecond, as
// token-bucket arithmetic counts in microseconds, in the middle of a minute,
// an hour and a day.
var Epoch = time.Date(2026, 7, 28, 13, 37, 21, 123456000, time.UTC)

// env is one subtest's limiter and clock.
type env struct {
	lim   ratelimit.Limiter
	clock *Clock
}

// allow calls Allow, failing the test on an error.
func (e *env) allow(t *testing.T, l ratelimit.Limit, key string, cost int64) ratelimit.Decision {
	t.Helper()
	d, err := e.lim.Allow(t.Context(), l, key, cost)
	if err != nil {
		t.Fatalf("Allow(%q, %q, %d) at %v: %v", l.Name, key, cost, e.clock.Now().UTC(), err)
	}
	return d
}

// expect calls Allow and compares the whole Decision with want, whose Limit
// field is filled in from l.
func (e *env) expect(t *testing.T, l ratelimit.Limit, key string, cost int64, want ratelimit.Decision) {
	t.Helper()
	want.Limit = l.Name
	if got := e.allow(t, l, key, cost); got != want {
		t.Fatalf("Allow(%q, %q, %d) at %v = %+v, want %+v", l.Name, key, cost, e.clock.Now().UTC(), got, want)
	}
}

func allowed(remaining int64) ratelimit.Decision {
	return ratelimit.Decision{Allowed: true, Remaining: remaining}
}

func denied(remaining int64, retryAfter time.Duration) ratelimit.Decision {
	return ratelimit.Decision{Remaining: remaining, RetryAfter: retryAfter}
}

func bucket(name string, rate float64, burst int64) ratelimit.Limit {
	return ratelimit.Limit{Name: name, Kind: ratelimit.TokenBucket, Rate: rate, Burst: burst}
}

func quota(name string, w ratelimit.Window, maxPer int64) ratelimit.Limit {
	return ratelimit.Limit{Name: name, Kind: ratelimit.Quota, Window: w, Max: maxPer}
}

func wantInvalid(t *testing.T, what string, d ratelimit.Decision, err error, l ratelimit.Limit) {
	t.Helper()
	if !errors.Is(err, ratelimit.ErrInvalid) {
		t.Errorf("%s: error %v, want one wrapping ErrInvalid", what, err)
	}
	if d != (ratelimit.Decision{Limit: l.Name}) {
		t.Errorf("%s: decision %+v, want a denial with no RetryAfter", what, d)
	}
}
