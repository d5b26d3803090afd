// Package ratelimit decides whether a request may proceed: the rate limits
// and quotas that the gateway applies after policy, per user, client, server,
// tool or address, and that the authorization server applies to its own
// endpoints (dynamic client registration above all).
//
// A Limit is a plain value, usually from configuration: a TokenBucket (Rate
// units per second, bursts of up to Burst) or a Quota (Max units per UTC
// minute, hour or day). The caller names who is being limited with Key and
// asks a Limiter:
//
//	d, err := lim.Allow(ctx, limit, ratelimit.Key("user", sub, "tool", name), 1)
//
// and answers 429 with a Retry-After of d.RetryAfter, rounded up to whole
// seconds, when d.Allowed is false. err is ErrInvalid for a bad limit (check
// limits once at start-up with Limit.Validate) or ErrUnavailable when the
// backend could not decide; the Decision that comes with ErrUnavailable is
// still the one to act on.
//
// Two Limiters, held to one contract by the conformance suite in
// ratelimittest: Memory, for a single replica, and Redis, whose counters
// every replica shares. Both take their clock from the caller, so that tests
// move time on instead of sleeping, and they agree to the microsecond: the
// arithmetic in bucket.go is what bucket.lua does in Redis.
package ratelimit
