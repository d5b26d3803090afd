// Package lru is a size-bounded map with expiry, for caches whose keys
// strangers choose (client_id URLs, jwks_uri URLs, usernames at the sign-in
// form): an unbounded map would be a way to exhaust memory. When the cache
// is full, the least recently used entry goes; an entry is never returned
// at or after its expiry. Time is passed in, never read, so callers use
// their injected clock.
package lru
