package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// fakeNow is a settable clock for the package's own tests.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func (m *Memory) len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// TestMemorySweep: counters that have expired (a bucket full again, a
// window over) are dropped by the next call to their shard after the sweep
// interval.
func TestMemorySweep(t *testing.T) {
	clock := &fakeNow{time.Date(2026, 7, 28, 13, 37, 0, 0, time.UTC)}
	m := NewMemory(clock.now, WithSweepInterval(time.Minute))
	// One name, so a key's bucket and quota counters share a shard.
	bucket := Limit{Name: "n", Kind: TokenBucket, Rate: 1, Burst: 10}
	quota := Limit{Name: "n", Kind: Quota, Window: Minute, Max: 10}
	const keys = 500
	allow := func(l Limit, k int) {
		t.Helper()
		if d, err := m.Allow(t.Context(), l, fmt.Sprint(k), 1); err != nil || !d.Allowed {
			t.Fatalf("Allow: %+v, %v", d, err)
		}
	}
	for k := range keys {
		allow(bucket, k)
		allow(quota, k)
	}
	if n := m.len(); n != 2*keys {
		t.Fatalf("%d counters, want %d", n, 2*keys)
	}

	// Ten seconds on, the buckets are full and the window is not over; the
	// sweep interval has not passed either.
	clock.t = clock.t.Add(10 * time.Second)
	allow(bucket, 0)
	if n := m.len(); n != 2*keys {
		t.Fatalf("before the sweep interval: %d counters, want %d", n, 2*keys)
	}

	// Past the interval and the window: touching every shard that holds the
	// keys sweeps them; the buckets have no further charge, so only the new
	// window's counters are left.
	clock.t = clock.t.Add(time.Minute)
	for k := range keys {
		allow(quota, k)
	}
	if n := m.len(); n != keys {
		t.Fatalf("after the sweep: %d counters, want %d (the new window's)", n, keys)
	}
}

// TestMemoryCap: however many keys arrive, the number of counters stays
// under the cap, and a new counter is not itself the one evicted.
func TestMemoryCap(t *testing.T) {
	clock := &fakeNow{time.Date(2026, 7, 28, 13, 37, 0, 0, time.UTC)}
	const maxEntries = 4 * shardCount
	m := NewMemory(clock.now, WithMaxEntries(maxEntries))
	l := Limit{Name: "n", Kind: TokenBucket, Rate: 1, Burst: 10}
	for k := range 10 * maxEntries {
		key := fmt.Sprint(k)
		if d, err := m.Allow(t.Context(), l, key, 1); err != nil || d.Remaining != 9 {
			t.Fatalf("Allow: %+v, %v", d, err)
		}
		if d, err := m.Allow(t.Context(), l, key, 1); err != nil || d.Remaining != 8 {
			t.Fatalf("Allow just after the first: %+v, %v; the new counter was evicted", d, err)
		}
	}
	if n := m.len(); n > maxEntries {
		t.Fatalf("%d counters, want at most %d", n, maxEntries)
	}
}

// TestMemoryNoAllocs: the allowed path allocates nothing.
func TestMemoryNoAllocs(t *testing.T) {
	clock := &fakeNow{time.Date(2026, 7, 28, 13, 37, 0, 0, time.UTC)}
	m := NewMemory(clock.now)
	for _, l := range []Limit{
		{Name: "bucket", Kind: TokenBucket, Rate: 1e9, Burst: 1e9},
		{Name: "quota", Kind: Quota, Window: Day, Max: MaxQuota},
	} {
		key := Key("user", "alice", "tool", "get_snippet")
		allocs := testing.AllocsPerRun(1000, func() {
			if d, _ := m.Allow(t.Context(), l, key, 1); !d.Allowed {
				t.Fatal("denied")
			}
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per Allow, want 0", l.Kind, allocs)
		}
	}
}
