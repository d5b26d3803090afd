package ratelimit

import (
	"math"
	"time"
)

// The token bucket's arithmetic, which bucket.lua repeats step for step, so
// that the memory and Redis limiters give the same answers to the last
// microsecond.
//
// Time is in whole microseconds since the Unix epoch, and the bucket's
// contents in micro-units (a millionth of a unit of cost). Both choices keep
// every number an exact integer in an IEEE double, which is all Lua has:
// Unix microseconds stay below 2^53 until the year 2255 (nanoseconds passed
// it in 1970 + 104 days), and a full bucket of MaxBurst units is 10^15
// micro-units. With these units a Rate of r units per second refills exactly
// r micro-units per microsecond, so for whole rates no step rounds at all.
const micro = 1e6

// bucketState is what is stored per bucket: its contents when last charged,
// and when that was.
type bucketState struct {
	tokens float64 // micro-units
	ts     int64   // Unix microseconds
}

// bucketResult is a decision in the bucket's units.
type bucketResult struct {
	allowed   bool
	next      bucketState // the state to store when allowed
	remaining int64       // whole units left
	retry     int64       // when denied: microseconds after now until the request fits
}

// takeBucket decides a request of cost units at now against state s (ok is
// false for a bucket never charged, or forgotten, which is full). Rate and
// capacity come from l.
//
// A now before s.ts, which happens when replicas' clocks disagree, refills
// nothing and leaves s.ts where it is: a clock that runs behind can never
// mint tokens, it only waits longer.
func takeBucket(s bucketState, ok bool, now int64, l Limit, cost int64) bucketResult {
	rate, capacity, need := l.Rate, float64(l.Burst)*micro, float64(cost)*micro
	if !ok {
		s = bucketState{tokens: capacity, ts: now}
	}
	tokens, ts := s.tokens, s.ts
	if now > ts {
		tokens, ts = refill(s.tokens, now-s.ts, rate), now
	}
	tokens = min(tokens, capacity)
	if tokens >= need {
		left := tokens - need
		return bucketResult{allowed: true, next: bucketState{left, ts}, remaining: wholeUnits(left)}
	}
	return bucketResult{remaining: wholeUnits(tokens), retry: s.ts + waitFor(s.tokens, rate, need) - now}
}

// refill is the contents after elapsed microseconds, before the cap. The
// conversions stop the compiler fusing the multiply and add (the Go spec
// allows it; Lua never does), which could round differently from the script.
func refill(tokens float64, elapsed int64, rate float64) float64 {
	return tokens + float64(float64(elapsed)*rate)
}

// waitFor is the fewest whole microseconds after which refill(tokens, e,
// rate) reaches need. The division gives it to within rounding; the two
// loops settle it against refill itself, so that the request is denied one
// microsecond before the answer and allowed at it, however the floating
// point rounds.
func waitFor(tokens, rate, need float64) int64 {
	e := math.Ceil((need - tokens) / rate)
	for refill(tokens, int64(e), rate) < need {
		e++
	}
	for e > 1 && refill(tokens, int64(e-1), rate) >= need {
		e--
	}
	return int64(e)
}

func wholeUnits(tokens float64) int64 {
	return int64(math.Floor(tokens / micro))
}

// fillMicros is how long an empty bucket takes to fill: after that long
// without a charge, a bucket is full and can be forgotten.
func fillMicros(l Limit) int64 {
	return int64(math.Ceil(float64(l.Burst) * micro / l.Rate))
}

// unixMicro is t in whole microseconds, rounded down, so that a request is
// never treated as later than it is.
func unixMicro(t time.Time) int64 {
	return t.UnixMicro()
}

// retryAfter turns a wait counted from now's whole microsecond into a
// duration from now itself. It stays exact for clocks with microsecond
// resolution and errs long by under a microsecond otherwise.
func retryAfter(now time.Time, nowMicro, wait int64) time.Duration {
	return time.UnixMicro(nowMicro + wait).Sub(now)
}

// quotaWindow is the UTC-aligned window that holds now: its start in Unix
// seconds and its end. Unix time counts no leap seconds, so every minute,
// hour and day is a whole number of its seconds from the epoch, which fell on
// a UTC midnight.
func quotaWindow(now time.Time, w Window) (start int64, end time.Time) {
	size := int64(w.Duration() / time.Second)
	sec := now.Unix()
	start = sec - ((sec%size)+size)%size // rounds down before 1970 too
	return start, time.Unix(start+size, 0)
}
