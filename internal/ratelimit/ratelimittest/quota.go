package ratelimittest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// India is five and a half hours from UTC, so its midnights and hours are
// not UTC's: a clock reading in it shows that windows follow UTC, not the
// clock's zone.
var india = time.FixedZone("IST", 5*3600+1800)

// testQuotaWindow: Max per window; windows are aligned to UTC and reset at
// their end exactly; RetryAfter runs to the end, to the nanosecond.
func testQuotaWindow(w ratelimit.Window) func(*testing.T, *env) {
	return func(t *testing.T, e *env) {
		// The window holding Epoch, from an independent computation.
		y, m, d := Epoch.Date()
		var start time.Time
		switch w {
		case ratelimit.Minute:
			start = time.Date(y, m, d, Epoch.Hour(), Epoch.Minute(), 0, 0, time.UTC)
		case ratelimit.Hour:
			start = time.Date(y, m, d, Epoch.Hour(), 0, 0, 0, time.UTC)
		case ratelimit.Day:
			start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		end := start.Add(w.Duration())
		l := quota("quota-"+w.String(), w, 3)

		// The last nanosecond of the window before is not this window.
		e.clock.Set(start.Add(-time.Nanosecond).In(india))
		e.expect(t, l, "k", 3, allowed(0))
		e.expect(t, l, "k", 1, denied(0, time.Nanosecond))

		e.clock.Set(start.In(india))
		e.expect(t, l, "k", 1, allowed(2))
		e.clock.Set(end.Add(-1750 * time.Millisecond).In(india))
		e.expect(t, l, "k", 1, allowed(1))
		e.expect(t, l, "k", 1, allowed(0))
		e.expect(t, l, "k", 1, denied(0, 1750*time.Millisecond))
		e.clock.Advance(1750*time.Millisecond - time.Nanosecond)
		e.expect(t, l, "k", 1, denied(0, time.Nanosecond))

		e.clock.Advance(time.Nanosecond)
		e.expect(t, l, "k", 1, allowed(2))
		e.expect(t, l, "k", 2, allowed(0))
		e.clock.Advance(w.Duration() / 4)
		e.expect(t, l, "k", 1, denied(0, w.Duration()*3/4))
	}
}

// testQuotaCost: a request costing n counts n; a denied one counts nothing.
func testQuotaCost(t *testing.T, e *env) {
	l := quota("quota-cost", ratelimit.Minute, 10)
	e.clock.Set(time.Date(2026, 7, 28, 13, 37, 0, 0, time.UTC))
	e.expect(t, l, "k", 4, allowed(6))
	e.expect(t, l, "k", 4, allowed(2))
	e.expect(t, l, "k", 4, denied(2, time.Minute))
	e.expect(t, l, "k", 2, allowed(0))
	e.expect(t, l, "k", 1, denied(0, time.Minute))
	e.clock.Advance(time.Minute)
	e.expect(t, l, "k", 10, allowed(0))
}
