package ratelimit

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// randomBucket is a valid token bucket and a state of it: a random limit
// within the bounds Validate allows, contents anywhere from empty to full
// (whole or fractional micro-units), and a request that fits its capacity.
func randomBucket(rng *rand.Rand) (l Limit, s bucketState, cost int64) {
	burst := int64(math.Exp(rng.Float64() * math.Log(MaxBurst)))
	minRate := float64(burst) / MaxFill.Seconds()
	rate := minRate * math.Exp(rng.Float64()*math.Log(MaxRate/minRate))
	l = Limit{Name: "random", Kind: TokenBucket, Rate: rate, Burst: burst}
	s = bucketState{tokens: rng.Float64() * float64(burst) * micro, ts: 1785245841123456}
	if rng.IntN(2) == 0 {
		s.tokens = math.Floor(s.tokens)
	}
	return l, s, 1 + rng.Int64N(burst)
}

// TestWaitFor: over many valid limits, the wait is the exact one: the
// refill reaches the cost after it, and not one microsecond before. (The
// division alone is off by one in about one case in 30,000.)
func TestWaitFor(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		l, s, cost := randomBucket(rng)
		need := float64(cost) * micro
		if s.tokens >= need {
			continue
		}
		e := waitFor(s.tokens, l.Rate, need)
		if e < 1 || refill(s.tokens, e, l.Rate) < need || (e > 1 && refill(s.tokens, e-1, l.Rate) >= need) {
			t.Fatalf("waitFor(%v, %v, %v) = %d: not the first microsecond at which the refill suffices", s.tokens, l.Rate, need, e)
		}
	}
}

// TestBucketScriptMatchesGo: bucket.lua and takeBucket give the same answer
// and the same new state, to the bit, on random states and clocks, whether
// the clock is ahead of the bucket's last charge or behind it.
func TestBucketScriptMatchesGo(t *testing.T) {
	url := os.Getenv("DRAWBRIDGE_TEST_REDIS")
	if url == "" {
		t.Skip("DRAWBRIDGE_TEST_REDIS not set; run scripts/start-redis (scripts/test-all does)")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() }) // after the Del below: clean-ups run last first
	ctx := t.Context()
	key := "drawbridge-test:" + strconv.FormatUint(rand.Uint64(), 36) + ":bucket"
	t.Cleanup(func() {
		if err := c.Del(context.Background(), key).Err(); err != nil {
			t.Errorf("deleting %s: %v", key, err)
		}
	})

	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		l, s, cost := randomBucket(rng)
		now := s.ts + rng.Int64N(2*fillMicros(l)+2) - fillMicros(l)/4
		if err := c.HSet(ctx, key, "t", strconv.FormatFloat(s.tokens, 'g', -1, 64), "ts", s.ts).Err(); err != nil {
			t.Fatal(err)
		}
		reply, err := bucketScript.Run(ctx, c, []string{key}, now, l.Rate, l.Burst*micro, cost*micro, 60_000).Int64Slice()
		if err != nil {
			t.Fatal(err)
		}
		want := takeBucket(s, true, now, l, cost)
		got := bucketResult{allowed: reply[0] == 1, remaining: reply[1], retry: reply[2], next: s}
		if got.allowed {
			stored, err := c.HMGet(ctx, key, "t", "ts").Result()
			if err != nil {
				t.Fatal(err)
			}
			got.next.tokens, _ = strconv.ParseFloat(stored[0].(string), 64)
			got.next.ts, _ = strconv.ParseInt(stored[1].(string), 10, 64)
		} else {
			want.next = s // nothing is written on a denial
		}
		if got != want {
			t.Fatalf("case %d: %+v, state %+v, now %d, cost %d: script %+v, Go %+v", i, l, s, now, cost, got, want)
		}
	}
}
