package cimd

import (
	"strconv"
	"testing"
	"time"
)

func TestLRU(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newLRU[int](3)
	for i := range 3 {
		c.put(strconv.Itoa(i), i, now.Add(time.Hour))
	}
	if _, ok := c.get("0", now); !ok { // 0 becomes the most recently used
		t.Fatal("0 missing")
	}
	c.put("3", 3, now.Add(time.Hour)) // evicts 1, the least recently used
	if _, ok := c.get("1", now); ok {
		t.Error("1 survived eviction")
	}
	for _, k := range []string{"0", "2", "3"} {
		if _, ok := c.get(k, now); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if c.len() != 3 {
		t.Errorf("len = %d, want 3", c.len())
	}
	c.put("2", 20, now.Add(time.Minute)) // replace in place
	if v, ok := c.get("2", now); !ok || v != 20 {
		t.Errorf("get(2) = %d, %v", v, ok)
	}
	if _, ok := c.get("2", now.Add(time.Minute)); ok {
		t.Error("an entry is returned at its expiry time")
	}
	if c.len() != 2 {
		t.Errorf("an expired entry was not dropped: len = %d", c.len())
	}
	c.remove("0")
	if _, ok := c.get("0", now); ok {
		t.Error("removed entry returned")
	}
}
