package ratelimit_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// The benchmarks measure the allowed path, the one every admitted request
// takes: limits so generous that nothing is denied, the real clock.
var (
	benchBucket = ratelimit.Limit{Name: "bench-bucket", Kind: ratelimit.TokenBucket, Rate: ratelimit.MaxRate, Burst: ratelimit.MaxBurst}
	benchQuota  = ratelimit.Limit{Name: "bench-quota", Kind: ratelimit.Quota, Window: ratelimit.Day, Max: ratelimit.MaxQuota}
)

func BenchmarkMemory(b *testing.B) {
	for _, l := range []ratelimit.Limit{benchBucket, benchQuota} {
		b.Run(l.Kind.String(), func(b *testing.B) {
			benchLimiter(b, ratelimit.NewMemory(nil), l)
		})
	}
}

func BenchmarkRedis(b *testing.B) {
	url := testRedisURL(b)
	for _, l := range []ratelimit.Limit{benchBucket, benchQuota} {
		b.Run(l.Kind.String(), func(b *testing.B) {
			c := newClient(b, url)
			benchLimiter(b, newRedis(b, c, ratelimit.RedisOptions{Prefix: newPrefix(b, c)}), l)
		})
	}
}

func benchLimiter(b *testing.B, lim ratelimit.Limiter, l ratelimit.Limit) {
	key := ratelimit.Key("user", "alice@example.com", "tool", "get_snippet")
	b.Run("one-key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d, err := lim.Allow(b.Context(), l, key, 1); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
	// Many clients at once, each with its own key: the gateway under load.
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		keys := make([]string, 1024)
		for i := range keys {
			keys[i] = ratelimit.Key("user", strconv.Itoa(i))
		}
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(97)) // goroutines start apart
			for pb.Next() {
				i = (i + 1) % len(keys)
				if d, err := lim.Allow(b.Context(), l, keys[i], 1); err != nil || !d.Allowed {
					b.Error(d, err)
					return
				}
			}
		})
	})
}
