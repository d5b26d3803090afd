// Package ratelimittest is the conformance suite for ratelimit.Limiter:
// every implementation's test file calls RunTests, so that the in-memory and
// the Redis limiter are held to one definition of the contract:
//
//	func TestConformance(t *testing.T) {
//		ratelimittest.RunTests(t, func(t *testing.T, now func() time.Time) ratelimit.Limiter {
//			return ratelimit.NewMemory(now)
//		})
//	}
//
// Each subtest passes its own fake clock (a Clock) as now and moves it on
// instead of sleeping, so refills, window boundaries and RetryAfter values are
// checked exactly, to the microsecond (token buckets) or nanosecond (quotas).
// newLimiter must return a limiter with no counters, or none that the
// subtest's limit names and keys could meet: a fresh Redis key prefix per
// call does.
package ratelimittest
