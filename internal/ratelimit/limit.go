package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Limiter decides whether a request may proceed. Implementations are safe
// for concurrent use, and every decision is atomic: two callers racing for
// the last token of a bucket never both get it.
type Limiter interface {
	// Allow charges cost units to the counter that l.Name and key identify and
	// reports whether the request fits. A denied request is not charged.
	//
	// key is opaque: build it with Key. "" is a valid key (one counter shared
	// by everyone). Keys longer than MaxKeyLen are stored by their SHA-256, so
	// any length is accepted and storage stays bounded.
	//
	// cost is at least 1 and at most the limit's capacity (Burst or Max): a
	// request that could never fit is an error, not a denial.
	//
	// On ErrInvalid (a bad Limit or cost) the Decision denies. On
	// ErrUnavailable (the backend did not answer in time) the Decision is the
	// backend's fail-open or fail-closed answer: act on it and log the error.
	Allow(ctx context.Context, l Limit, key string, cost int64) (Decision, error)
}

// Decision is the answer to one Allow call.
type Decision struct {
	// Allowed reports whether the request fits and has been charged.
	Allowed bool
	// Remaining is what is left after this decision: whole tokens in the
	// bucket, or units of the quota in the current window. Never negative.
	Remaining int64
	// RetryAfter is, when denied, how long until the same request would be
	// allowed if nothing else is charged meanwhile; 0 when allowed. Round it
	// up to whole seconds for a Retry-After header (RFC 9110, section 10.2.3)
	// with RetryAfterSeconds.
	RetryAfter time.Duration
	// Limit is the Name of the limit that decided.
	Limit string
}

// RetryAfterSeconds is a wait as the value of a Retry-After header (RFC
// 9110, section 10.2.3): rounded up to whole seconds, and at least 1, so
// that a client never retries at once.
func RetryAfterSeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// Kind is the algorithm a Limit uses.
type Kind uint8

const (
	// TokenBucket allows bursts of up to Burst units and refills at Rate
	// units per second: smooth, for request rates.
	TokenBucket Kind = iota + 1
	// Quota allows Max units per fixed window of the wall clock (a minute,
	// hour or day in UTC), reset all at once at the window's end: for
	// budgets a person can read ("1000 tool calls a day").
	Quota
)

func (k Kind) String() string {
	switch k {
	case TokenBucket:
		return "token bucket"
	case Quota:
		return "quota"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Window is the length of a Quota's fixed window. Windows are aligned to UTC
// (a Day runs from 00:00 UTC to 00:00 UTC), so every replica, whatever its
// time zone, counts into the same window.
type Window uint8

const (
	Minute Window = iota + 1
	Hour
	Day
)

// Duration is the window's length, or 0 for an invalid Window.
func (w Window) Duration() time.Duration {
	switch w {
	case Minute:
		return time.Minute
	case Hour:
		return time.Hour
	case Day:
		return 24 * time.Hour
	}
	return 0
}

func (w Window) String() string {
	switch w {
	case Minute:
		return "minute"
	case Hour:
		return "hour"
	case Day:
		return "day"
	}
	return fmt.Sprintf("Window(%d)", uint8(w))
}

// Limit describes one rate limit or quota. It is a plain value: the caller
// keeps it (usually from configuration) and passes it on every call, so the
// limiter stores only counters, and a changed limit takes effect at once.
//
// Counters belong to (Kind, Name, key), and for a Quota also its Window:
// two limits with different names never share a counter, even for one key.
type Limit struct {
	// Name identifies the limit: it names its counters, and Decision.Limit
	// reports it. 1 to MaxNameLen bytes, any characters.
	Name string
	// Kind is TokenBucket or Quota.
	Kind Kind

	// Rate is the token bucket's refill, in units per second (fractions are
	// fine: 0.5 is one unit every two seconds). Token bucket only.
	Rate float64
	// Burst is the token bucket's capacity, 1 to MaxBurst: what a client that
	// has been idle may spend at once. Token bucket only.
	Burst int64

	// Window is the quota's window: Minute, Hour or Day. Quota only.
	Window Window
	// Max is the quota per window, 1 to MaxQuota. Quota only.
	Max int64
}

// Bounds of a Limit. The Redis scripts do their arithmetic in Lua numbers
// (IEEE doubles), so every count must stay an exact integer below 2^53:
// bucket contents are kept in millionths of a unit (see bucket.go), which
// bounds Burst; MaxFill keeps a bucket's expiry a sane number.
const (
	MaxNameLen = 64
	MaxBurst   = 1_000_000_000
	MaxQuota   = 1 << 53
	MaxRate    = 1e9
	// MaxFill is the longest a bucket may take to fill from empty
	// (Burst / Rate): a limit slower than that is a configuration mistake.
	MaxFill = 366 * 24 * time.Hour
)

var (
	// ErrInvalid: the Limit or the cost is not valid. A programming or
	// configuration error; validate limits at start-up with Limit.Validate.
	ErrInvalid = errors.New("ratelimit: invalid limit")
	// ErrUnavailable: the limiter's backend could not decide (unreachable,
	// timed out, or answered with an error). The Decision returned with it
	// follows the limiter's fail-open or fail-closed setting.
	ErrUnavailable = errors.New("ratelimit: backend unavailable")
)

// Validate reports whether l is a usable limit, with an error that says
// what is wrong and wraps ErrInvalid. Allow validates too; call Validate when
// loading configuration, to report mistakes before the first request.
func (l Limit) Validate() error {
	if l.Name == "" || len(l.Name) > MaxNameLen {
		return fmt.Errorf("%w: name %q: must be 1 to %d bytes", ErrInvalid, l.Name, MaxNameLen)
	}
	switch l.Kind {
	case TokenBucket:
		return l.validateBucket()
	case Quota:
		return l.validateQuota()
	}
	return l.invalid("kind must be TokenBucket or Quota, not %v", l.Kind)
}

func (l Limit) validateBucket() error {
	switch {
	case l.Window != 0 || l.Max != 0:
		return l.invalid("a token bucket has no Window or Max (did you mean a Quota?)")
	case math.IsNaN(l.Rate) || l.Rate <= 0 || l.Rate > MaxRate:
		return l.invalid("rate %v per second: must be above 0 and at most %v", l.Rate, MaxRate)
	case l.Burst < 1 || l.Burst > MaxBurst:
		return l.invalid("burst %d: must be 1 to %d", l.Burst, MaxBurst)
	case float64(l.Burst)/l.Rate > MaxFill.Seconds():
		return l.invalid("burst %d at rate %v per second takes longer than %v to refill", l.Burst, l.Rate, MaxFill)
	}
	return nil
}

func (l Limit) validateQuota() error {
	switch {
	case l.Rate != 0 || l.Burst != 0:
		return l.invalid("a quota has no Rate or Burst (did you mean a TokenBucket?)")
	case l.Window.Duration() == 0:
		return l.invalid("window must be Minute, Hour or Day, not %v", l.Window)
	case l.Max < 1 || l.Max > MaxQuota:
		return l.invalid("max %d per %v: must be 1 to %d", l.Max, l.Window, int64(MaxQuota))
	}
	return nil
}

// capacity is the most one request may cost.
func (l Limit) capacity() int64 {
	if l.Kind == Quota {
		return l.Max
	}
	return l.Burst
}

// check validates l and cost together, as Allow needs.
func (l Limit) check(cost int64) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if cost < 1 || cost > l.capacity() {
		return l.invalid("cost %d: must be 1 to %d, the %v's capacity", cost, l.capacity(), l.Kind)
	}
	return nil
}

func (l Limit) invalid(format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalid, l.Name, fmt.Sprintf(format, args...))
}
