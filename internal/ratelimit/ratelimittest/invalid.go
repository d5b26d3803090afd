package ratelimittest

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// testInvalid: a bad limit or cost is an error wrapping ErrInvalid, with a
// denial, and charges nothing.
func testInvalid(t *testing.T, e *env) {
	okBucket, okQuota := bucket("ok", 1, 5), quota("ok", ratelimit.Hour, 5)
	with := func(l ratelimit.Limit, change func(*ratelimit.Limit)) ratelimit.Limit {
		change(&l)
		return l
	}
	for _, tc := range []struct {
		what string
		l    ratelimit.Limit
	}{
		{"the zero Limit", ratelimit.Limit{}},
		{"no name", with(okBucket, func(l *ratelimit.Limit) { l.Name = "" })},
		{"a name too long", with(okBucket, func(l *ratelimit.Limit) { l.Name = strings.Repeat("n", ratelimit.MaxNameLen+1) })},
		{"no kind", with(okBucket, func(l *ratelimit.Limit) { l.Kind = 0 })},
		{"an unknown kind", with(okBucket, func(l *ratelimit.Limit) { l.Kind = 9 })},
		{"a bucket with rate 0", with(okBucket, func(l *ratelimit.Limit) { l.Rate = 0 })},
		{"a bucket with a negative rate", with(okBucket, func(l *ratelimit.Limit) { l.Rate = -1 })},
		{"a bucket with rate NaN", with(okBucket, func(l *ratelimit.Limit) { l.Rate = math.NaN() })},
		{"a bucket with rate +Inf", with(okBucket, func(l *ratelimit.Limit) { l.Rate = math.Inf(1) })},
		{"a bucket with rate above MaxRate", with(okBucket, func(l *ratelimit.Limit) { l.Rate = ratelimit.MaxRate * 2 })},
		{"a bucket with burst 0", with(okBucket, func(l *ratelimit.Limit) { l.Burst = 0 })},
		{"a bucket with a negative burst", with(okBucket, func(l *ratelimit.Limit) { l.Burst = -5 })},
		{"a bucket with burst above MaxBurst", with(okBucket, func(l *ratelimit.Limit) { l.Burst = ratelimit.MaxBurst + 1 })},
		{"a bucket slower to fill than MaxFill", with(okBucket, func(l *ratelimit.Limit) { l.Rate = 1e-9 })},
		{"a bucket with a window", with(okBucket, func(l *ratelimit.Limit) { l.Window = ratelimit.Minute })},
		{"a bucket with a max", with(okBucket, func(l *ratelimit.Limit) { l.Max = 5 })},
		{"a quota with no window", with(okQuota, func(l *ratelimit.Limit) { l.Window = 0 })},
		{"a quota with an unknown window", with(okQuota, func(l *ratelimit.Limit) { l.Window = 9 })},
		{"a quota with max 0", with(okQuota, func(l *ratelimit.Limit) { l.Max = 0 })},
		{"a quota with a negative max", with(okQuota, func(l *ratelimit.Limit) { l.Max = -1 })},
		{"a quota with max above MaxQuota", with(okQuota, func(l *ratelimit.Limit) { l.Max = ratelimit.MaxQuota + 1 })},
		{"a quota with a rate", with(okQuota, func(l *ratelimit.Limit) { l.Rate = 1 })},
		{"a quota with a burst", with(okQuota, func(l *ratelimit.Limit) { l.Burst = 1 })},
	} {
		err := tc.l.Validate()
		if !errors.Is(err, ratelimit.ErrInvalid) || !strings.HasPrefix(err.Error(), "ratelimit: ") {
			t.Errorf("Validate of %s: %v, want an error wrapping ErrInvalid", tc.what, err)
		}
		d, err := e.lim.Allow(t.Context(), tc.l, "k", 1)
		wantInvalid(t, "Allow with "+tc.what, d, err, tc.l)
	}

	for _, l := range []ratelimit.Limit{okBucket, okQuota} {
		if err := l.Validate(); err != nil {
			t.Errorf("Validate of a good %v: %v", l.Kind, err)
		}
		for _, cost := range []int64{0, -1, 6, math.MaxInt64, math.MinInt64} {
			d, err := e.lim.Allow(t.Context(), l, "k", cost)
			wantInvalid(t, "Allow with cost "+strconv.FormatInt(cost, 10)+" on a "+l.Kind.String(), d, err, l)
		}
		// Nothing was charged: the whole capacity is there.
		e.expect(t, l, "k", 5, allowed(0))
	}
}
