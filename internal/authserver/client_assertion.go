package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/lru"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Client authentication with a signed JWT (private_key_jwt, RFC 7523 §2.2,
// OpenID Connect Core §9): the client signs an assertion with a private key
// whose public half it registered, so no shared secret exists to leak.
const assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

const authPrivateKeyJWT = "private_key_jwt"

// assertionAlgs are the signature algorithms accepted in client assertions.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// maxAssertionLifetime bounds how far ahead an assertion's exp may be, so
// that the single-use record of its jti need not be kept for long.
const maxAssertionLifetime = 10 * time.Minute

// assertionSubject reads the client id from an assertion before it is
// verified: only to find the client whose keys will verify it.
func assertionSubject(raw string) (string, error) {
	tok, err := jwt.ParseSigned(raw, assertionAlgs)
	if err != nil {
		return "", err
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return "", err
	}
	return c.Subject, nil
}

// verifyAssertion checks a client assertion (RFC 7523 §3): signed by one of
// the client's keys, iss and sub the client id, aud this server (its issuer
// or token endpoint), unexpired, short-lived, and its jti used only once.
func (s *Server) verifyAssertion(ctx context.Context, c *client, raw string) *oauth.Error {
	bad := oauth.InvalidClient("the client assertion is not valid")
	tok, err := jwt.ParseSigned(raw, assertionAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return bad
	}
	keys, err := s.clientKeys(ctx, c)
	if err != nil {
		s.opt.Log.Warn("client keys unavailable", "client_id", c.ID, "err", err)
		return oauth.InvalidClient("the client's keys could not be loaded")
	}
	var claims jwt.Claims
	if !verifyWithAny(tok, keys, tok.Headers[0].KeyID, &claims) {
		return bad
	}
	now := s.opt.Now()
	err = claims.ValidateWithLeeway(jwt.Expected{Issuer: c.ID, Subject: c.ID, Time: now}, 30*time.Second)
	switch {
	case err != nil, claims.Expiry == nil, claims.ID == "":
		return bad
	case !claims.Audience.Contains(s.opt.Issuer) && !claims.Audience.Contains(s.url(PathToken)):
		return bad
	case claims.Expiry.Time().Sub(now) > maxAssertionLifetime:
		return oauth.InvalidClient("the client assertion must expire within 10 minutes")
	}
	err = s.opt.Store.UseOnce(ctx, "client-assertion "+c.ID+" "+claims.ID, claims.Expiry.Time().Add(time.Minute), now)
	if errors.Is(err, storage.ErrAlreadyUsed) {
		return oauth.InvalidClient("the client assertion was already used")
	}
	if err != nil {
		s.opt.Log.Error("recording client assertion", "err", err)
		return unavailable()
	}
	return nil
}

func verifyWithAny(tok *jwt.JSONWebToken, set *jose.JSONWebKeySet, kid string, out *jwt.Claims) bool {
	candidates := set.Keys
	if kid != "" {
		candidates = set.Key(kid)
	}
	for _, k := range candidates {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if err := tok.Claims(k.Key, out); err == nil {
			return true
		}
	}
	return false
}

// clientKeys returns the client's registered public keys: inline, or
// fetched from its jwks_uri and cached for jwksTTL.
func (s *Server) clientKeys(ctx context.Context, c *client) (*jose.JSONWebKeySet, error) {
	if c.jwks != nil {
		return c.jwks, nil
	}
	if c.jwksURI == "" {
		return nil, errors.New("the client has no keys")
	}
	hc := s.jwksCache.client
	if c.Kind == storage.ClientKindCIMD {
		// The client chose this URL: fetch it with the SSRF defences.
		hc = s.opt.Metadata.Client()
	}
	return s.jwksCache.get(ctx, hc, c.jwksURI, s.opt.Now())
}

// jwksTTL is how long a fetched key set is used before it is fetched again.
const jwksTTL = 5 * time.Minute

// jwksEntries bounds the key sets kept: metadata document clients choose
// their jwks_uri freely, so without a bound a flood of them would fill
// memory. When full, the least recently used goes.
const jwksEntries = 1000

// jwksCache fetches and keeps client key sets.
type jwksCache struct {
	client *http.Client
	sets   *lru.Cache[*jose.JSONWebKeySet]
}

func newJWKSCache(hc *http.Client, capacity int) *jwksCache {
	return &jwksCache{client: hc, sets: lru.New[*jose.JSONWebKeySet](capacity)}
}

func (j *jwksCache) get(ctx context.Context, hc *http.Client, uri string, now time.Time) (*jose.JSONWebKeySet, error) {
	if set, ok := j.sets.Get(uri, now); ok {
		return set, nil
	}
	set, err := j.fetch(ctx, hc, uri)
	if err != nil {
		return nil, err
	}
	j.sets.Put(uri, set, now.Add(jwksTTL))
	return set, nil
}

func (j *jwksCache) fetch(ctx context.Context, hc *http.Client, uri string) (*jose.JSONWebKeySet, error) {
	return oauthclient.FetchKeySet(ctx, hc, uri, 256<<10)
}

// parseJWKS reads an inline key set from configuration; only public keys.
func parseJWKS(raw string) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("jwks: no keys")
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			return nil, errors.New("jwks: contains a private key; configure only public keys")
		}
	}
	return &set, nil
}
