package ratelimittest

import (
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// both is a token bucket and a quota that each admit one request.
func both(name string) []ratelimit.Limit {
	return []ratelimit.Limit{bucket(name, 0.001, 1), quota(name, ratelimit.Day, 1)}
}

// testIndependentKeys: each key has its own counter, including keys that
// differ only in how Key escaped them, the empty key, and keys of bytes
// that mean something elsewhere (Redis glob patterns, NUL).
func testIndependentKeys(t *testing.T, e *env) {
	keys := []string{
		"a", "b", "",
		ratelimit.Key("a", "b"), ratelimit.Key("a:b"), ratelimit.Key("a", "b", ""),
		"*", "a*", "[ab]", "?", "\x00", "\xff\xfe", "{a}", "caf\u00e9",
	}
	for _, l := range both("keys") {
		for _, k := range keys {
			e.expect(t, l, k, 1, allowed(0))
		}
		for _, k := range keys {
			if d := e.allow(t, l, k, 1); d.Allowed {
				t.Fatalf("%v: key %q admitted twice: its counter is shared with another key", l.Kind, k)
			}
		}
	}
}

// testIndependentLimits: limits with different names, kinds or windows never
// share a counter, even for one key, whatever characters their names hold.
func testIndependentLimits(t *testing.T, e *env) {
	limits := []ratelimit.Limit{
		bucket("x", 0.001, 1), bucket("y", 0.001, 1),
		quota("x", ratelimit.Minute, 1), quota("x", ratelimit.Hour, 1), quota("x", ratelimit.Day, 1),
	}
	for _, l := range limits {
		e.expect(t, l, "k", 1, allowed(0))
	}
	for _, l := range limits {
		if d := e.allow(t, l, "k", 1); d.Allowed {
			t.Fatalf("%v %q per %v admitted twice", l.Kind, l.Name, l.Window)
		}
	}
	// Names and keys that "name:key" would run together.
	for _, nk := range [][2]string{{"a:b", "c"}, {"a", "b:c"}, {"a:b:c", ""}, {"1:a", "b"}, {"1", "a:b"}} {
		for _, l := range both(nk[0]) {
			e.expect(t, l, nk[1], 1, allowed(0))
		}
	}
}

// testLargeKeys: keys of any length work, and keys that differ only past
// MaxKeyLen, or only in their last byte, still have their own counters.
func testLargeKeys(t *testing.T, e *env) {
	long := strings.Repeat("x", 64<<10)
	keys := []string{
		long, long[:len(long)-1] + "y", long + "z",
		strings.Repeat("m", ratelimit.MaxKeyLen), strings.Repeat("m", ratelimit.MaxKeyLen+1),
		ratelimit.Key("user", long), ratelimit.Key("user", long, "tool", "t"),
	}
	for _, l := range both("large") {
		for _, k := range keys {
			e.expect(t, l, k, 1, allowed(0))
		}
		for _, k := range keys {
			if d := e.allow(t, l, k, 1); d.Allowed {
				t.Fatalf("%v: a key of %d bytes admitted twice", l.Kind, len(k))
			}
		}
	}
	// Refill still works on a hashed key.
	e.clock.Advance(1000 * time.Second)
	e.expect(t, both("large")[0], long, 1, allowed(0))
}
