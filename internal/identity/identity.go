package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// ErrBadCredentials is returned for an unknown user or a wrong password. The
// two are deliberately not told apart.
var ErrBadCredentials = errors.New("identity: invalid username or password")

// ErrBusy is returned when a sign-in could not be checked in time because
// too many were being checked at once (password hashing is rationed so
// that sign-ins cannot take the whole machine). Nothing was decided about
// the credentials: the user may try again.
var ErrBusy = errors.New("identity: too many sign-ins at once")

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

// LogoutVerifier validates the logout tokens an upstream OpenID provider
// sends to Drawbridge's back-channel logout endpoint (OIDC Back-Channel
// Logout 1.0, section 2.6).
type LogoutVerifier interface {
	Provider
	// VerifyLogoutToken checks the token and returns what it names. A token
	// that is not valid gives an *InvalidLogoutToken; any other error means
	// it could not be checked (the provider's discovery document is
	// unavailable).
	VerifyLogoutToken(ctx context.Context, raw string) (*Logout, error)
}

// Logout is a validated logout token: the provider's sign-in session (SID)
// or user (Subject) to sign out, at least one of the two.
type Logout struct {
	Issuer  string
	Subject string
	SID     string
	// JTI is the token's ID. The token would be accepted again for
	// ReplayWindow from now, so its JTI must be refused that long.
	JTI          string
	ReplayWindow time.Duration
}

// InvalidLogoutToken is a refused logout token. Reason is in words fit to
// send back to the provider: it never quotes the token.
type InvalidLogoutToken struct {
	Reason string
	Err    error // the underlying failure, for the log; may be nil
}

func (e *InvalidLogoutToken) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("invalid logout token: %s: %v", e.Reason, e.Err)
	}
	return "invalid logout token: " + e.Reason
}

func (e *InvalidLogoutToken) Unwrap() error { return e.Err }
