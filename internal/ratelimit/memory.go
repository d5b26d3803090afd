package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Memory is a Limiter that keeps its counters in this process: exact and
// fast, but each replica counts alone. Use Redis when replicas must share
// limits.
//
// Memory stays bounded: a bucket is forgotten once it would have refilled,
// and a quota's counter once its window ends (both are then the same as new),
// swept lazily by the calls themselves, so there is no goroutine to stop. A
// cap on the number of counters (WithMaxEntries) holds even against a client
// that invents a new key per request: past it, new counters evict others,
// the soonest to expire of a small random sample. An evicted counter starts
// afresh, so under such pressure a limit can admit more than it should;
// size the cap above the number of keys really active.
type Memory struct {
	now        func() time.Time
	seed       maphash.Seed
	perShard   int
	sweepEvery int64 // microseconds
	shards     [shardCount]shard
}

var _ Limiter = (*Memory)(nil)

const (
	// shardCount spreads the lock: 64 locks make contention between a few
	// dozen cores rare. A power of two, so a mask picks the shard.
	shardCount = 64
	// evictSample is how many counters are compared to pick one to evict.
	evictSample = 8
)

type shard struct {
	mu        sync.Mutex
	m         map[entryKey]entry
	nextSweep int64    // Unix microseconds
	_         [40]byte // 64 bytes a shard: no two shards' locks share a cache line
}

// entryKey names a counter. A struct of the caller's own strings, not a
// concatenation, so that looking one up allocates nothing.
type entryKey struct {
	kind   Kind
	window Window
	name   string
	key    string
}

// entry is a bucket's state, or a quota's window start (ts, Unix seconds)
// and count in it.
type entry struct {
	tokens  float64
	ts      int64
	count   int64
	expires int64 // Unix microseconds: from then on the entry is as good as new
}

// MemoryOption configures NewMemory.
type MemoryOption func(*Memory)

// WithMaxEntries caps the number of counters kept (default 1<<20, about
// 150 MB at worst with 64-byte keys). The cap is kept per shard, so it is
// rounded down to a multiple of 64, and is at least 64. See Memory for what
// happens past it.
func WithMaxEntries(n int) MemoryOption {
	return func(m *Memory) { m.perShard = max(1, n/shardCount) }
}

// WithSweepInterval sets how often, by the injected clock, each shard drops
// its expired counters (default one minute). A sweep walks the whole shard,
// so a short interval trades CPU for memory. d <= 0 keeps the default.
func WithSweepInterval(d time.Duration) MemoryOption {
	return func(m *Memory) {
		if d > 0 {
			m.sweepEvery = max(1, d.Microseconds())
		}
	}
}

// NewMemory returns an in-memory Limiter that reads the time from now
// (time.Now when nil). Tests pass a fake clock and move it on instead of
// sleeping.
func NewMemory(now func() time.Time, opts ...MemoryOption) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, seed: maphash.MakeSeed(), perShard: (1 << 20) / shardCount, sweepEvery: time.Minute.Microseconds()}
	for _, o := range opts {
		o(m)
	}
	for i := range m.shards {
		m.shards[i].m = make(map[entryKey]entry)
	}
	return m
}

// Allow implements Limiter. It never returns ErrUnavailable.
func (m *Memory) Allow(_ context.Context, l Limit, key string, cost int64) (Decision, error) {
	if err := l.check(cost); err != nil {
		return Decision{Limit: l.Name}, err
	}
	now := m.now()
	k := entryKey{kind: l.Kind, name: l.Name, key: storedKey(key)}
	if l.Kind == Quota {
		k.window = l.Window
	}
	s := &m.shards[(maphash.String(m.seed, k.key)^maphash.String(m.seed, k.name))%shardCount]
	s.mu.Lock()
	defer s.mu.Unlock()
	nowMicro := unixMicro(now)
	s.maybeSweep(nowMicro, m.sweepEvery)
	e, present := s.m[k]
	ok := present && e.expires > nowMicro
	var d Decision
	if l.Kind == Quota {
		d, e = takeQuota(e, ok, now, l, cost)
	} else {
		d, e = m.bucket(e, ok, now, nowMicro, l, cost)
	}
	if d.Allowed {
		if !present {
			s.makeRoom(m.perShard)
		}
		s.m[k] = e
	}
	return d, nil
}

func (m *Memory) bucket(e entry, ok bool, now time.Time, nowMicro int64, l Limit, cost int64) (Decision, entry) {
	r := takeBucket(bucketState{e.tokens, e.ts}, ok, nowMicro, l, cost)
	d := Decision{Allowed: r.allowed, Remaining: r.remaining, Limit: l.Name}
	if !r.allowed {
		d.RetryAfter = retryAfter(now, nowMicro, r.retry)
		return d, e
	}
	return d, entry{tokens: r.next.tokens, ts: r.next.ts, expires: r.next.ts + fillMicros(l)}
}

// takeQuota decides against the counter e, which belongs to the window
// starting at e.ts. A clock that steps back into an earlier window keeps
// counting in the later one (Memory keeps only the latest): that errs toward
// denying, never toward admitting twice.
func takeQuota(e entry, ok bool, now time.Time, l Limit, cost int64) (Decision, entry) {
	start, end := quotaWindow(now, l.Window)
	if !ok || e.ts < start {
		e = entry{ts: start, expires: unixMicro(end)}
	} else if e.ts > start {
		end = time.Unix(e.ts, 0).Add(l.Window.Duration())
	}
	if e.count+cost > l.Max {
		return Decision{Remaining: max(0, l.Max-e.count), RetryAfter: end.Sub(now), Limit: l.Name}, e
	}
	e.count += cost
	return Decision{Allowed: true, Remaining: l.Max - e.count, Limit: l.Name}, e
}

// maybeSweep drops the shard's expired counters, at most once per interval
// of the injected clock; the cost is spread over the shards' callers.
func (s *shard) maybeSweep(now, every int64) {
	if now < s.nextSweep {
		return
	}
	s.nextSweep = now + every
	for k, e := range s.m {
		if e.expires <= now {
			delete(s.m, k)
		}
	}
}

// makeRoom evicts one counter when adding one would pass the cap: of a few
// picked at random (map iteration starts at a random place), the one that
// expires first, since it has the least state worth keeping.
func (s *shard) makeRoom(limit int) {
	if len(s.m) < limit {
		return
	}
	var victim entryKey
	first, n := int64(0), 0
	for ek, e := range s.m {
		if n == 0 || e.expires < first {
			victim, first = ek, e.expires
		}
		if n++; n == evictSample {
			break
		}
	}
	delete(s.m, victim)
}
