package tokens

import (
	"crypto/sha256"
	"sync"
)

// verifiedCache remembers tokens whose signature has been checked, so that a
// client sending the same token on every MCP request pays for one ECDSA
// verification, not one per request. It is keyed by the SHA-256 of the
// exact token bytes: identical bytes carry an identical, already-verified
// signature. Expiry, audience and revocation are still checked on every hit.
//
// Two generations approximate LRU without per-hit bookkeeping: when the
// current generation is full it becomes the previous one, and a hit in the
// previous generation is promoted.
type verifiedCache struct {
	mu        sync.Mutex
	max       int
	cur, prev map[[32]byte]*AccessClaims
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, cur: map[[32]byte]*AccessClaims{}}
}

func (c *verifiedCache) get(raw string) (*AccessClaims, [32]byte) {
	// Hashed from a copy on the stack: converting the string would
	// allocate a copy for every request. (Longer tokens are rare; append
	// allocates for them.)
	var buf [2048]byte
	key := sha256.Sum256(append(buf[:0], raw...))
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[key]; ok {
		return v, key
	}
	if v, ok := c.prev[key]; ok {
		c.putLocked(key, v)
		return v, key
	}
	return nil, key
}

func (c *verifiedCache) put(key [32]byte, v *AccessClaims) {
	c.mu.Lock()
	c.putLocked(key, v)
	c.mu.Unlock()
}

func (c *verifiedCache) putLocked(key [32]byte, v *AccessClaims) {
	if len(c.cur) >= c.max {
		c.prev, c.cur = c.cur, make(map[[32]byte]*AccessClaims, c.max)
	}
	c.cur[key] = v
}
