package backendauth

import (
	"context"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

const (
	// earlyRefresh renews a cached token this long before it expires, so
	// that it never expires on its way to the backend; tokens shorter lived
	// than twice this are renewed after half their life.
	earlyRefresh = time.Minute
	// noExpiryTTL is how long a token whose response had no expires_in is
	// used before a new one is fetched.
	noExpiryTTL = 5 * time.Minute
	// fetchTimeout bounds one token request, whoever waits for it.
	fetchTimeout = 30 * time.Second
	// maxCached bounds a cache; a full cache starts over.
	maxCached = 10000
)

// tokenCache keeps tokens by key until shortly before they expire and
// fetches each missing one once, however many requests want it at the same
// time (singleflight): the others wait for that fetch, and share its error.
type tokenCache struct {
	now   func() time.Time
	group singleflight.Group
	mu    sync.Mutex
	m     map[string]cachedToken
}

type cachedToken struct {
	token   string
	renewAt time.Time
}

func (c *tokenCache) get(ctx context.Context, key string, fetch func(context.Context) (*oauth2.Token, error)) (string, error) {
	if t, ok := c.lookup(key); ok {
		return t, nil
	}
	ch := c.group.DoChan(key, func() (any, error) {
		if t, ok := c.lookup(key); ok { // fetched while this caller queued
			return t, nil
		}
		// Not the first caller's context: its cancellation must not fail
		// the others.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		tok, err := fetch(fctx)
		if err != nil {
			return "", err
		}
		c.store(key, tok)
		return tok.AccessToken, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *tokenCache) lookup(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	if !ok || !c.clock().Before(t.renewAt) {
		return "", false
	}
	return t.token, true
}

func (c *tokenCache) store(key string, tok *oauth2.Token) {
	now := c.clock()
	renew := now.Add(noExpiryTTL)
	if !tok.Expiry.IsZero() {
		life := tok.Expiry.Sub(now)
		early := earlyRefresh
		if life < 2*early {
			early = life / 2
		}
		renew = tok.Expiry.Add(-early)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[string]cachedToken{}
	}
	c.m[key] = cachedToken{token: tok.AccessToken, renewAt: renew}
}

func (c *tokenCache) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}
