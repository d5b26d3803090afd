package lru

import (
	"strconv"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New[int](3)
	for i := range 3 {
		c.Put(strconv.Itoa(i), i, now.Add(time.Hour))
	}
	if _, ok := c.Get("0", now); !ok { // 0 becomes the most recently used
		t.Fatal("0 missing")
	}
	c.Put("3", 3, now.Add(time.Hour)) // evicts 1, the least recently used
	if _, ok := c.Get("1", now); ok {
		t.Error("1 survived eviction")
	}
	for _, k := range []string{"0", "2", "3"} {
		if _, ok := c.Get(k, now); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3", c.Len())
	}
	c.Put("2", 20, now.Add(time.Minute)) // replace in place
	if v, ok := c.Get("2", now); !ok || v != 20 {
		t.Errorf("Get(2) = %d, %v", v, ok)
	}
	if _, ok := c.Get("2", now.Add(time.Minute)); ok {
		t.Error("an entry is returned at its expiry time")
	}
	if c.Len() != 2 {
		t.Errorf("an expired entry was not dropped: Len = %d", c.Len())
	}
	c.Remove("0")
	if _, ok := c.Get("0", now); ok {
		t.Error("removed entry returned")
	}
}

// TestCacheNeverExceedsCapacity: a flood of distinct keys keeps the cache
// at its capacity, holding the most recently used.
func TestCacheNeverExceedsCapacity(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New[int](10)
	for i := range 10000 {
		c.Put(strconv.Itoa(i), i, now.Add(time.Hour))
		if c.Len() > 10 {
			t.Fatalf("after %d puts: Len %d", i+1, c.Len())
		}
	}
	for i := 9990; i < 10000; i++ {
		if v, ok := c.Get(strconv.Itoa(i), now); !ok || v != i {
			t.Errorf("recent key %d: %d %v", i, v, ok)
		}
	}
	if _, ok := c.Get("9989", now); ok {
		t.Error("an older key survived")
	}
	if New[int](0).max != 1 {
		t.Error("a zero capacity is not raised to one")
	}
}
