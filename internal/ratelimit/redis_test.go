package ratelimit_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit/ratelimittest"
)

// The Redis tests share one server (scripts/start-redis) and stay out of
// each other's way by key prefix: every limiter gets a random one, and its
// keys are deleted when its test ends. Tests of failures make their own
// servers, or need none.

// testTimeout is the limiters' Timeout in tests: generous, because a loaded
// CI machine running the race detector must not turn slowness into failures.
const testTimeout = 10 * time.Second

func testRedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DRAWBRIDGE_TEST_REDIS")
	if u == "" {
		t.Skip("DRAWBRIDGE_TEST_REDIS not set; run scripts/start-redis (scripts/test-all does)")
	}
	return u
}

// newClient is a client for addr (a redis:// URL) as the gateway should
// make one: with ContextTimeoutEnabled, so that Timeout holds.
func newClient(t testing.TB, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// newPrefix is a key prefix of this test's own; its keys are deleted when
// the test ends.
func newPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	prefix := "drawbridge-test:" + rand.Text() + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		keys, err := scanPrefix(ctx, c, prefix)
		if err == nil && len(keys) > 0 {
			err = c.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("deleting the test's keys: %v", err)
		}
	})
	return prefix
}

// scanPrefix lists the keys under prefix (which holds no glob characters).
func scanPrefix(ctx context.Context, c *redis.Client, prefix string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

func newRedis(t testing.TB, c redis.UniversalClient, opts ratelimit.RedisOptions) *ratelimit.Redis {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	r, err := ratelimit.NewRedis(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRedisConformance(t *testing.T) {
	c := newClient(t, testRedisURL(t))
	ratelimittest.RunTests(t, func(t *testing.T, now func() time.Time) ratelimit.Limiter {
		return newRedis(t, c, ratelimit.RedisOptions{Prefix: newPrefix(t, c), Now: now})
	})
}

var (
	testBucket = ratelimit.Limit{Name: "bucket", Kind: ratelimit.TokenBucket, Rate: 1, Burst: 10}
	testQuota  = ratelimit.Limit{Name: "quota", Kind: ratelimit.Quota, Window: ratelimit.Minute, Max: 10}
)

// TestRedisShared: two gateway processes (two clients, two limiters) on one
// Redis share each limit: between them, racing, they admit exactly its
// capacity.
func TestRedisShared(t *testing.T) {
	url := testRedisURL(t)
	c1, c2 := newClient(t, url), newClient(t, url)
	prefix := newPrefix(t, c1)
	clock := ratelimittest.NewClock(ratelimittest.Epoch)
	limiters := []ratelimit.Limiter{
		newRedis(t, c1, ratelimit.RedisOptions{Prefix: prefix, Now: clock.Now}),
		newRedis(t, c2, ratelimit.RedisOptions{Prefix: prefix, Now: clock.Now}),
	}
	for _, l := range []ratelimit.Limit{testBucket, testQuota} {
		var mu sync.Mutex
		admitted := []int{0, 0}
		var wg sync.WaitGroup
		for g := range 20 {
			wg.Go(func() {
				d, err := limiters[g%2].Allow(t.Context(), l, "shared", 1)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if d.Allowed {
					admitted[g%2]++
				}
			})
		}
		wg.Wait()
		if admitted[0]+admitted[1] != 10 {
			t.Errorf("%v: the two limiters admitted %d and %d of 20, want 10 in all", l.Kind, admitted[0], admitted[1])
		}
		// Whoever admitted what, both now see an exhausted limit.
		for i, lim := range limiters {
			if d, err := lim.Allow(t.Context(), l, "shared", 1); err != nil || d.Allowed {
				t.Errorf("%v: limiter %d after the race: %+v, %v; want a denial", l.Kind, i, d, err)
			}
		}
	}
}

// TestRedisExpiry: keys expire once they hold nothing worth keeping, by
// Redis's clock: a bucket after the time to fill, a quota's counter at the
// end of its window, both plus the slack for clock skew.
func TestRedisExpiry(t *testing.T) {
	c := newClient(t, testRedisURL(t))
	clock := ratelimittest.NewClock(time.Date(2026, 7, 28, 13, 37, 20, 0, time.UTC))
	const slack = 5 * time.Second
	for _, tc := range []struct {
		l    ratelimit.Limit
		want time.Duration // the most PTTL can be
	}{
		{testBucket, 10*time.Second + slack},
		{testQuota, 40*time.Second + slack},
	} {
		p := newPrefix(t, c)
		r := newRedis(t, c, ratelimit.RedisOptions{Prefix: p, Now: clock.Now})
		if _, err := r.Allow(t.Context(), tc.l, "k", 1); err != nil {
			t.Fatal(err)
		}
		keys, err := scanPrefix(t.Context(), c, p)
		if err != nil || len(keys) != 1 {
			t.Fatalf("%v: keys %q, %v; want one", tc.l.Kind, keys, err)
		}
		ttl, err := c.PTTL(t.Context(), keys[0]).Result()
		if err != nil || ttl <= tc.want-time.Second || ttl > tc.want {
			t.Errorf("%v: PTTL %v, %v; want about %v", tc.l.Kind, ttl, err, tc.want)
		}
	}
}

// TestRedisScriptFlush: after the server loses its scripts (SCRIPT FLUSH, a
// restart, a failover) the next call loads them again, and the counters are
// untouched.
func TestRedisScriptFlush(t *testing.T) {
	c := newClient(t, testRedisURL(t))
	clock := ratelimittest.NewClock(ratelimittest.Epoch)
	r := newRedis(t, c, ratelimit.RedisOptions{Prefix: newPrefix(t, c), Now: clock.Now})
	for _, l := range []ratelimit.Limit{testBucket, testQuota} {
		for want := int64(9); want >= 7; want-- {
			d, err := r.Allow(t.Context(), l, "k", 1)
			if err != nil || !d.Allowed || d.Remaining != want {
				t.Fatalf("%v: %+v, %v; want allowed with %d remaining", l.Kind, d, err, want)
			}
			if err := c.ScriptFlush(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRedisLeavesNothing: the tests' clean-up removes every key they made,
// so that they can share a server with each other and with a developer.
func TestRedisLeavesNothing(t *testing.T) {
	c := newClient(t, testRedisURL(t))
	var prefix string
	t.Run("make keys", func(t *testing.T) {
		prefix = newPrefix(t, c)
		r := newRedis(t, c, ratelimit.RedisOptions{Prefix: prefix})
		for _, l := range []ratelimit.Limit{testBucket, testQuota} {
			if _, err := r.Allow(t.Context(), l, "k", 1); err != nil {
				t.Fatal(err)
			}
		}
		if keys, err := scanPrefix(t.Context(), c, prefix); err != nil || len(keys) != 2 {
			t.Fatalf("keys %q, %v; want two", keys, err)
		}
	})
	if keys, err := scanPrefix(t.Context(), c, prefix); err != nil || len(keys) != 0 {
		t.Errorf("after the test: keys %q, %v; want none", keys, err)
	}
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// wantFailMode checks a Decision made without Redis.
func wantFailMode(t *testing.T, what string, d ratelimit.Decision, err error, l ratelimit.Limit, failOpen bool, retry time.Duration) {
	t.Helper()
	if !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Errorf("%s: error %v, want one wrapping ErrUnavailable", what, err)
	}
	want := ratelimit.Decision{Allowed: true, Limit: l.Name}
	if !failOpen {
		want = ratelimit.Decision{RetryAfter: retry, Limit: l.Name}
	}
	if d != want {
		t.Errorf("%s: %+v, want %+v", what, d, want)
	}
}

// TestRedisUnreachable: with nothing listening, Allow answers at once with
// ErrUnavailable and the configured fail mode.
func TestRedisUnreachable(t *testing.T) {
	c := newClient(t, "redis://"+closedPort(t))
	for _, tc := range []struct {
		opts  ratelimit.RedisOptions
		retry time.Duration
	}{
		{ratelimit.RedisOptions{FailOpen: true}, 0},
		{ratelimit.RedisOptions{}, time.Second},
		{ratelimit.RedisOptions{UnavailableRetryAfter: 3 * time.Second}, 3 * time.Second},
	} {
		// With no server the dials fail, or the Timeout runs out first.
		tc.opts.Timeout = 100 * time.Millisecond
		r := newRedis(t, c, tc.opts)
		for _, l := range []ratelimit.Limit{testBucket, testQuota} {
			d, err := r.Allow(t.Context(), l, "k", 1)
			wantFailMode(t, fmt.Sprintf("FailOpen %v, %v", tc.opts.FailOpen, l.Kind), d, err, l, tc.opts.FailOpen, tc.retry)
		}
	}
}

// TestRedisStalled: a server that accepts connections and never answers is
// cut off by Timeout, not by the client's much longer read timeout.
func TestRedisStalled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	opt := &redis.Options{Addr: ln.Addr().String(), ReadTimeout: time.Hour, WriteTimeout: time.Hour, ContextTimeoutEnabled: true}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	for _, failOpen := range []bool{true, false} {
		r := newRedis(t, c, ratelimit.RedisOptions{FailOpen: failOpen, Timeout: 100 * time.Millisecond})
		d, err := r.Allow(t.Context(), testBucket, "k", 1)
		wantFailMode(t, fmt.Sprintf("FailOpen %v", failOpen), d, err, testBucket, failOpen, time.Second)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("FailOpen %v: error %v, want one wrapping context.DeadlineExceeded", failOpen, err)
		}
	}
}

// TestRedisCallerCanceled: when the caller's own context ends, that is what
// the error says; it is not Redis's fault, so not ErrUnavailable.
func TestRedisCallerCanceled(t *testing.T) {
	c := newClient(t, "redis://"+closedPort(t))
	r := newRedis(t, c, ratelimit.RedisOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d, err := r.Allow(ctx, testBucket, "k", 1)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ratelimit.ErrUnavailable) {
		t.Errorf("error %v, want context.Canceled and not ErrUnavailable", err)
	}
	if d.Allowed {
		t.Errorf("decision %+v, want the fail-closed denial", d)
	}
}

// TestRedisServerStops: a Redis that goes away mid-run gives the fail mode's
// answers; once it is back (empty, without the scripts) limiting resumes.
func TestRedisServerStops(t *testing.T) {
	addr := closedPort(t)
	stop := startRedisServer(t, addr)
	c := newClient(t, "redis://"+addr)
	clock := ratelimittest.NewClock(ratelimittest.Epoch)
	r := newRedis(t, c, ratelimit.RedisOptions{Now: clock.Now})
	if d, err := r.Allow(t.Context(), testBucket, "k", 1); err != nil || !d.Allowed {
		t.Fatalf("with the server up: %+v, %v", d, err)
	}

	stop()
	// The default Timeout: with no server it runs out, or the dials fail first.
	for _, failOpen := range []bool{true, false} {
		r := newRedis(t, c, ratelimit.RedisOptions{Now: clock.Now, FailOpen: failOpen, Timeout: 100 * time.Millisecond})
		d, err := r.Allow(t.Context(), testBucket, "k", 1)
		wantFailMode(t, fmt.Sprintf("server stopped, FailOpen %v", failOpen), d, err, testBucket, failOpen, time.Second)
	}

	startRedisServer(t, addr)
	d, err := r.Allow(t.Context(), testBucket, "k", 1)
	if err != nil || !d.Allowed || d.Remaining != 9 {
		t.Errorf("with a new, empty server: %+v, %v; want allowed with 9 remaining", d, err)
	}
}

// startRedisServer runs a throwaway redis-server on addr, without
// persistence, until the test ends or stop (which shuts it down) is called.
func startRedisServer(t *testing.T, addr string) (stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed; run scripts/start-redis (it installs it)")
	}
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--bind", host, "--port", port, "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--daemonize", "no", "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	ready := make(chan bool, 1)
	go func() {
		// The server's log says when it listens: read it instead of polling.
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				select {
				case ready <- true:
				default:
				}
			}
		}
		select {
		case ready <- false:
		default:
		}
		cmd.Wait()
		close(done)
	}()
	stop = func() {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		c.ShutdownNoSave(context.Background()) // the connection drops: no reply to check
		<-done
	}
	t.Cleanup(func() {
		cmd.Process.Kill() // only this test's own server, by its pid
		<-done
	})
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("redis-server on %s exited before it was ready", addr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("redis-server on %s not ready after 30 s", addr)
	}
	return stop
}

func TestNewRedisRejects(t *testing.T) {
	addr := closedPort(t)
	good := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { good.Close() })
	noTimeouts := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { noTimeouts.Close() })
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	t.Cleanup(func() { cluster.Close() })
	for _, tc := range []struct {
		what   string
		client redis.UniversalClient
		opts   ratelimit.RedisOptions
	}{
		{"a nil client", nil, ratelimit.RedisOptions{}},
		{"a client without ContextTimeoutEnabled", noTimeouts, ratelimit.RedisOptions{}},
		{"a cluster client without ContextTimeoutEnabled", cluster, ratelimit.RedisOptions{}},
		{"a negative Timeout", good, ratelimit.RedisOptions{Timeout: -time.Second}},
		{"a negative UnavailableRetryAfter", good, ratelimit.RedisOptions{UnavailableRetryAfter: -time.Second}},
	} {
		if _, err := ratelimit.NewRedis(tc.client, tc.opts); err == nil {
			t.Errorf("NewRedis with %s: no error", tc.what)
		}
	}
	if _, err := ratelimit.NewRedis(good, ratelimit.RedisOptions{}); err != nil {
		t.Errorf("NewRedis with good options: %v", err)
	}
}
