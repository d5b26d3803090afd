package ratelimit_test

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	ratelimittest.RunTests(t, func(t *testing.T, now func() time.Time) ratelimit.Limiter {
		return ratelimit.NewMemory(now)
	})
}
