package ratelimit_test

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

func TestRetryAfterSeconds(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		want int
	}{
		{0, 1}, {-time.Second, 1}, {time.Millisecond, 1}, {time.Second, 1}, {time.Second + time.Nanosecond, 2},
		{1500 * time.Millisecond, 2}, {30 * time.Second, 30}, {59*time.Second + 1, 60}, {time.Hour, 3600},
	} {
		if got := ratelimit.RetryAfterSeconds(tt.wait); got != tt.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}
