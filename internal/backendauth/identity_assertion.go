package backendauth

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// IdentityAssertion tells the backend who is calling with a short-lived
// JWT signed by Drawbridge (typ JWT, ES256, aud = the backend), which the
// backend verifies against Drawbridge's JWKS (package assertion). Unlike
// plain identity headers it needs no trust in the network path.
type IdentityAssertion struct {
	Keys     *tokens.Keys
	Issuer   string
	Audience string
	// TTL is the assertion's lifetime; default config.DefaultAssertionTTL.
	TTL time.Duration
	// Header carries it: Authorization (as "Bearer <jwt>", the default) or
	// another header with the bare JWT.
	Header string
	Now    func() time.Time

	mu    sync.Mutex
	cache map[string]cachedIdentityAssertion
}

type cachedIdentityAssertion struct {
	jwt     string
	expires time.Time
}

type identityClaims struct {
	jwt.Claims
	Email    string   `json:"email,omitempty"`
	Name     string   `json:"name,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope,omitempty"`
}

var _ Credential = (*IdentityAssertion)(nil)

// Headers signs (or reuses, while it has most of its life left) an
// assertion for the caller.
func (a *IdentityAssertion) Headers(_ context.Context, c *tokens.AccessClaims) (http.Header, error) {
	raw, err := a.sign(c)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if a.Header == "" || http.CanonicalHeaderKey(a.Header) == "Authorization" {
		h.Set("Authorization", "Bearer "+raw)
	} else {
		h.Set(a.Header, raw)
	}
	return h, nil
}

func (a *IdentityAssertion) sign(c *tokens.AccessClaims) (string, error) {
	now := a.now()
	ttl := a.TTL
	if ttl == 0 {
		ttl = config.DefaultAssertionTTL
	}
	// One assertion per access token, reused while more than half its life
	// remains: signing on every MCP request would cost an ECDSA signature.
	key := c.ID
	a.mu.Lock()
	if ca, ok := a.cache[key]; ok && ca.expires.Sub(now) > ttl/2 {
		a.mu.Unlock()
		return ca.jwt, nil
	}
	a.mu.Unlock()
	exp := now.Add(ttl)
	if exp.After(c.Expiry) {
		exp = c.Expiry // never outlive the access token it stands for
	}
	raw, err := a.Keys.Sign(identityClaims{
		Claims: jwt.Claims{Issuer: a.Issuer, Subject: c.Subject, Audience: jwt.Audience{a.Audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp),
			ID: tokens.NewID()},
		Email: c.Email, Name: c.Name, Groups: c.Groups, ClientID: c.ClientID, Scope: c.Scope,
	})
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil || len(a.cache) > 10000 {
		a.cache = map[string]cachedIdentityAssertion{} // bounded: a full cache starts over
	}
	a.cache[key] = cachedIdentityAssertion{jwt: raw, expires: exp}
	return raw, nil
}

func (a *IdentityAssertion) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
