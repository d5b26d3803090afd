package ratelimit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose counters live in Redis, so that every replica of
// the gateway shares them. Each decision is one Lua script run atomically by
// the server: one round trip (EVALSHA; after the server has lost its script
// cache, to a restart or SCRIPT FLUSH, one EVAL reloads it), and one key per
// script, so it works on Redis Cluster too.
//
// # Time
//
// The caller's clock, not Redis TIME, decides: Allow passes its injected
// clock's reading to the script. Tests then control time exactly, and a
// decision does not depend on which Redis node ran it. The price is that
// replicas' clocks must agree (run NTP). What skew does:
//
//   - A token bucket follows the latest clock that charged it: a replica
//     whose clock is behind refills nothing until its clock catches up (it
//     denies a little too long, never admits more); one ahead by d refills
//     d*Rate units early, once.
//   - A quota's windows start and end by each replica's clock, so for d
//     around a boundary replicas count into different windows.
//   - Keys expire by Redis's clock, 5 s after they could (expirySlack), so
//     skew under that cannot make a key vanish while a replica still counts
//     on it.
//
// # Failure
//
// When Redis does not answer within Timeout, or answers with an error,
// Allow returns an error wrapping ErrUnavailable and the Decision FailOpen
// asks for: admit (and log), or deny with RetryAfter UnavailableRetryAfter.
// Failing closed is the default, since a limit that disappears when Redis
// does is no protection against the load that took Redis down.
type Redis struct {
	client redis.UniversalClient
	opts   RedisOptions
}

var _ Limiter = (*Redis)(nil)

// The defaults of RedisOptions, which are also the configuration's
// (rate_limits.redis).
const (
	DefaultRedisPrefix  = "drawbridge:rl:"
	DefaultRedisTimeout = 100 * time.Millisecond
)

// RedisOptions configures NewRedis. The zero value is usable.
type RedisOptions struct {
	// Prefix starts every key, to keep them apart from other data and other
	// deployments in one Redis. Default DefaultRedisPrefix.
	Prefix string
	// Now is the clock (default time.Now); see Redis for why it is ours.
	Now func() time.Time
	// FailOpen admits requests when Redis is unavailable. The default denies.
	FailOpen bool
	// Timeout bounds each decision, the round trip and any reconnection
	// included (default DefaultRedisTimeout). It needs a client built with
	// ContextTimeoutEnabled, which NewRedis checks.
	Timeout time.Duration
	// UnavailableRetryAfter is the RetryAfter of a request denied because
	// Redis is unavailable (default 1 s).
	UnavailableRetryAfter time.Duration
}

// expirySlack is added to every key's expiry; see Redis on clock skew.
const expirySlack = 5 * time.Second

var (
	//go:embed bucket.lua
	bucketLua    string
	bucketScript = redis.NewScript(bucketLua)

	//go:embed quota.lua
	quotaLua    string
	quotaScript = redis.NewScript(quotaLua)
)

// NewRedis returns a Limiter backed by client. The client is the caller's:
// share it with other users, and close it after the limiter's last use.
//
// The client must have ContextTimeoutEnabled set: otherwise go-redis ignores
// context deadlines on the socket, and a stalled Redis would hold every
// request for the client's ReadTimeout times its retries instead of Timeout.
// NewRedis returns an error for a *redis.Client, *redis.ClusterClient or
// *redis.Ring without it (other implementations cannot be checked).
func NewRedis(client redis.UniversalClient, opts RedisOptions) (*Redis, error) {
	if client == nil {
		return nil, errors.New("ratelimit: NewRedis: nil client")
	}
	if !contextTimeoutEnabled(client) {
		return nil, errors.New("ratelimit: NewRedis: the client must be created with ContextTimeoutEnabled: true, or Timeout cannot bound a call")
	}
	if opts.Timeout < 0 || opts.UnavailableRetryAfter < 0 {
		return nil, errors.New("ratelimit: NewRedis: Timeout and UnavailableRetryAfter cannot be negative")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultRedisPrefix
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultRedisTimeout
	}
	if opts.UnavailableRetryAfter == 0 {
		opts.UnavailableRetryAfter = time.Second
	}
	return &Redis{client: client, opts: opts}, nil
}

func contextTimeoutEnabled(c redis.UniversalClient) bool {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, l Limit, key string, cost int64) (Decision, error) {
	if err := l.check(cost); err != nil {
		return Decision{Limit: l.Name}, err
	}
	now := r.opts.Now()
	callCtx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	var d Decision
	var err error
	if l.Kind == Quota {
		d, err = r.quota(callCtx, now, l, storedKey(key), cost)
	} else {
		d, err = r.bucket(callCtx, now, l, storedKey(key), cost)
	}
	if err != nil {
		return r.unavailable(ctx, l, err)
	}
	return d, nil
}

func (r *Redis) bucket(ctx context.Context, now time.Time, l Limit, key string, cost int64) (Decision, error) {
	nowMicro := unixMicro(now)
	ttl := time.Duration(fillMicros(l))*time.Microsecond + expirySlack
	reply, err := bucketScript.Run(ctx, r.client, []string{r.bucketKey(l, key)},
		nowMicro, l.Rate, l.Burst*micro, cost*micro, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(reply) != 3 {
		return Decision{}, fmt.Errorf("bucket script returned %v", reply)
	}
	d := Decision{Allowed: reply[0] == 1, Remaining: max(0, reply[1]), Limit: l.Name}
	if !d.Allowed {
		d.RetryAfter = retryAfter(now, nowMicro, reply[2])
	}
	return d, nil
}

func (r *Redis) quota(ctx context.Context, now time.Time, l Limit, key string, cost int64) (Decision, error) {
	start, end := quotaWindow(now, l.Window)
	ttl := end.Sub(now) + expirySlack
	reply, err := quotaScript.Run(ctx, r.client, []string{r.quotaKey(l, start, key)},
		l.Max, cost, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(reply) != 2 {
		return Decision{}, fmt.Errorf("quota script returned %v", reply)
	}
	d := Decision{Allowed: reply[0] == 1, Remaining: max(0, reply[1]), Limit: l.Name}
	if !d.Allowed {
		d.RetryAfter = end.Sub(now)
	}
	return d, nil
}

// Keys: the limit's name goes in with its length in front, so no name or
// key, whatever its characters, can make one counter's key equal another's.
//
//	<prefix>b:<len(name)>:<name>:<key>                  token bucket
//	<prefix>q:<window>:<len(name)>:<name>:<start>:<key>  quota; start in Unix seconds

func (r *Redis) bucketKey(l Limit, key string) string {
	return r.opts.Prefix + "b:" + strconv.Itoa(len(l.Name)) + ":" + l.Name + ":" + key
}

func (r *Redis) quotaKey(l Limit, start int64, key string) string {
	return r.opts.Prefix + "q:" + l.Window.String()[:1] + ":" + strconv.Itoa(len(l.Name)) + ":" + l.Name + ":" +
		strconv.FormatInt(start, 10) + ":" + key
}

// unavailable is the answer when Redis could not decide. When the caller's
// own context ended first, the fault is not Redis's, and the error says so
// instead of wrapping ErrUnavailable.
func (r *Redis) unavailable(ctx context.Context, l Limit, err error) (Decision, error) {
	d := Decision{Allowed: r.opts.FailOpen, Limit: l.Name}
	if !d.Allowed {
		d.RetryAfter = r.opts.UnavailableRetryAfter
	}
	if ctx.Err() != nil {
		return d, fmt.Errorf("ratelimit: limit %q: %w", l.Name, context.Cause(ctx))
	}
	return d, fmt.Errorf("%w: limit %q: %w", ErrUnavailable, l.Name, err)
}
