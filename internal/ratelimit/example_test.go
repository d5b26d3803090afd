package ratelimit_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit/ratelimittest"
)

// A limit per user and tool, and the Retry-After header of a denial.
func Example() {
	clock := ratelimittest.NewClock(time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC))
	lim := ratelimit.NewMemory(clock.Now)
	perTool := ratelimit.Limit{Name: "tool-calls", Kind: ratelimit.TokenBucket, Rate: 0.4, Burst: 2}
	key := ratelimit.Key("user", "alice@example.com", "tool", "save_snippet")

	for range 3 {
		d, err := lim.Allow(context.Background(), perTool, key, 1)
		if err != nil {
			fmt.Println("error:", err) // ErrUnavailable: act on d anyway; ErrInvalid: a bug
		}
		if d.Allowed {
			fmt.Println("allowed, remaining", d.Remaining)
			continue
		}
		// Retry-After takes whole seconds: round up, never down.
		fmt.Printf("429 Too Many Requests, Retry-After: %.0f (%v)\n", math.Ceil(d.RetryAfter.Seconds()), d.RetryAfter)
	}
	// Output:
	// allowed, remaining 1
	// allowed, remaining 0
	// 429 Too Many Requests, Retry-After: 3 (2.5s)
}
