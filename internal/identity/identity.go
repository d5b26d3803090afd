// Package identity authenticates the person behind an authorization request.
//
// Drawbridge never asks a user for a password on behalf of another system. It
// either checks a password against local users from the configuration
// (PasswordProvider), or sends the browser to an upstream OpenID Connect
// provider and validates what comes back (RedirectProvider). The
// authorization server does not care which: both end with a storage.Identity.
package identity

import (
	"context"
	"errors"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// ErrBadCredentials is returned for an unknown user or a wrong password. The
// two are deliberately not told apart.
var ErrBadCredentials = errors.New("identity: invalid username or password")

// Provider is implemented by every identity provider.
type Provider interface {
	// Name is the provider's name in configuration, recorded in Identity.Provider.
	Name() string
}

// PasswordProvider checks a username and password (the "local" provider).
type PasswordProvider interface {
	Provider
	Authenticate(ctx context.Context, username, password string) (storage.Identity, error)
}

// RedirectProvider signs the user in at an upstream OpenID Connect provider.
type RedirectProvider interface {
	Provider
	// AuthCodeURL is where the browser is sent. state and nonce are fresh
	// random values owned by Drawbridge; codeChallenge is the S256 PKCE
	// challenge of a verifier that only Drawbridge knows.
	//
	// It takes a context and can fail because the authorization endpoint
	// comes from the provider's discovery document, which is fetched on first
	// use: a provider that was unreachable at startup must not stop the
	// gateway from starting, so the first login may be the first fetch.
	AuthCodeURL(ctx context.Context, state, nonce, codeChallenge string) (string, error)
	// Exchange redeems the code at the provider's token endpoint, validates
	// the ID token (signature, iss, aud, exp, nonce) and maps its claims.
	Exchange(ctx context.Context, code, codeVerifier, nonce string) (*Result, error)
}

// Result is the outcome of an upstream sign-in.
type Result struct {
	Identity storage.Identity
	// Tokens the provider issued, kept (sealed) for backends that act for the
	// user later. Never logged.
	AccessToken  string
	RefreshToken string
	IDToken      string
	Expiry       time.Time
}
