package tokens

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Errors from Verify. They are safe to show a client; none carries the token.
var (
	ErrMalformed    = errors.New("the access token is malformed")
	ErrBadSignature = errors.New("the access token signature is invalid")
	ErrExpired      = errors.New("the access token has expired")
	ErrWrongIssuer  = errors.New("the access token was not issued by this server")
	ErrWrongAud     = errors.New("the access token is for another resource")
	ErrRevoked      = errors.New("the access token has been revoked")
)

// AccessVerifier checks an access token for an audience. It is what every
// part that accepts Drawbridge's access tokens needs (the gateway, the
// admin API, the console); *Verifier is one, and package lastuse wraps one
// to note each grant's use.
type AccessVerifier interface {
	Verify(ctx context.Context, raw, audience string) (*AccessClaims, error)
}

var _ AccessVerifier = (*Verifier)(nil)

// Verifier checks access tokens entirely in memory: signature against the
// published keys, issuer, audience, lifetime, and the revocation list.
type Verifier struct {
	Keys    *Keys
	Issuer  string
	Revoked *RevocationList
	Now     func() time.Time
	// Leeway tolerates clock skew between replicas. Default 30s.
	Leeway time.Duration

	reloadMu   sync.Mutex
	lastReload time.Time

	cacheOnce sync.Once
	cache     *verifiedCache
}

// cacheSize bounds the verified-token cache (two generations of this many).
const cacheSize = 10000

// Verify returns the token's claims if it is a valid, unrevoked token of
// this issuer for the given audience (RFC 9068 §4, RFC 8707). The claims are
// shared between calls with the same token and must not be modified.
func (v *Verifier) Verify(ctx context.Context, raw, audience string) (*AccessClaims, error) {
	if len(raw) > 8192 || strings.Count(raw, ".") != 2 {
		return nil, ErrMalformed
	}
	c, err := v.signed(ctx, raw)
	if err != nil {
		return nil, err
	}
	return c, v.checkClaims(c, audience)
}

// signed returns the claims of a token whose signature and fixed claims
// have been checked, from the cache when possible.
func (v *Verifier) signed(ctx context.Context, raw string) (*AccessClaims, error) {
	v.cacheOnce.Do(func() { v.cache = newVerifiedCache(cacheSize) })
	c, key := v.cache.get(raw)
	if c != nil {
		return c, nil
	}
	c, err := v.verifySignedClaims(ctx, raw)
	if err != nil {
		return nil, err
	}
	v.cache.put(key, c)
	return c, nil
}

// Inspect verifies a token like Verify but for any audience: the
// authorization server's revocation and introspection endpoints accept
// tokens of every resource. The audience is in the returned claims.
func (v *Verifier) Inspect(ctx context.Context, raw string) (*AccessClaims, error) {
	if len(raw) > 8192 || strings.Count(raw, ".") != 2 {
		return nil, ErrMalformed
	}
	c, err := v.signed(ctx, raw)
	if err != nil {
		return nil, err
	}
	return c, v.checkClaims(c, c.Audience)
}

// checkClaims are the checks that depend on the request or the time, run on
// every call, cached or not.
func (v *Verifier) checkClaims(c *AccessClaims, audience string) error {
	now := v.Now()
	leeway := v.leeway()
	switch {
	case !now.Before(c.Expiry.Add(leeway)):
		return ErrExpired
	case now.Add(leeway).Before(c.IssuedAt):
		return ErrExpired
	case c.Audience != audience:
		return ErrWrongAud
	case v.Revoked != nil && v.Revoked.IsRevoked(c.GrantID):
		return ErrRevoked
	}
	return nil
}

func (v *Verifier) leeway() time.Duration {
	if v.Leeway == 0 {
		return 30 * time.Second
	}
	return v.Leeway
}

// verifySignedClaims checks the signature, the header and the claims that do
// not change with time or request, and returns the claims.
func (v *Verifier) verifySignedClaims(ctx context.Context, raw string) (*AccessClaims, error) {
	// Only ES256 is accepted; "none", HMAC and everything else fail here.
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{Algorithm})
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrMalformed
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return nil, ErrMalformed
	}
	pub, ok := v.Keys.PublicKey(h.KeyID)
	if !ok {
		// Another replica may have rotated keys since our last load.
		pub, ok = v.reloadFor(ctx, h.KeyID)
		if !ok {
			return nil, ErrBadSignature
		}
	}
	var w wireClaims
	var std jwt.Claims
	if err := tok.Claims(pub, &w, &std); err != nil {
		return nil, ErrBadSignature
	}
	if err := v.validate(&std); err != nil {
		return nil, err
	}
	c := w.AccessClaims
	c.Audience, c.IssuedAt, c.Expiry = std.Audience[0], w.Iat.Time(), w.Exp.Time()
	if w.AuthTime != nil {
		c.AuthTime = w.AuthTime.Time()
	}
	if c.GrantID == "" || c.Subject == "" || c.ClientID == "" {
		return nil, ErrMalformed
	}
	return &c, nil
}

func (v *Verifier) validate(std *jwt.Claims) error {
	if std.Expiry == nil || std.IssuedAt == nil {
		return ErrMalformed
	}
	err := std.ValidateWithLeeway(jwt.Expected{Issuer: v.Issuer, Time: v.Now()}, v.leeway())
	switch {
	case errors.Is(err, jwt.ErrExpired), errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return ErrExpired
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return ErrWrongIssuer
	case err != nil:
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// Exactly one audience: a token for several resources is refused.
	if len(std.Audience) != 1 {
		return ErrWrongAud
	}
	return nil
}

// reloadInterval is the least time between two reloads for unknown key
// ids: short, so that a key another replica made a moment ago is found on
// its first token, yet tokens with made-up key ids cost at most one storage
// read a second. (Server also reloads on a timer, so a replica that missed
// a key finds it soon in any case.)
const reloadInterval = time.Second

// reloadFor reloads the keys when the last reload is at least
// reloadInterval old, and looks kid up again.
func (v *Verifier) reloadFor(ctx context.Context, kid string) (*ecdsa.PublicKey, bool) {
	v.reloadMu.Lock()
	defer v.reloadMu.Unlock()
	// Another request may have reloaded while this one waited for the lock.
	if pub, ok := v.Keys.PublicKey(kid); ok {
		return pub, true
	}
	if now := v.Now(); now.Sub(v.lastReload) >= reloadInterval {
		v.lastReload = now
		_ = v.Keys.Reload(ctx)
	}
	return v.Keys.PublicKey(kid)
}
