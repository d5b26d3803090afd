package backendauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// UpstreamToken passes the user's own upstream access token (from the
// identity provider, never the MCP client's token) to the backend. The
// backend can then replay it anywhere that accepts that token's audience:
// configuration must name that audience, and a JWT access token whose aud
// does not include it is never sent.
type UpstreamToken struct {
	Vault Vault
	// Audience is what the token was issued for.
	Audience string
}

var _ Credential = (*UpstreamToken)(nil)

// errWrongAudience: the token would go to a backend it was not issued for.
var errWrongAudience = errors.New("the user's upstream access token was not issued for the configured audience")

// Headers returns the user's upstream access token.
func (u *UpstreamToken) Headers(ctx context.Context, c *tokens.AccessClaims) (http.Header, error) {
	if c == nil || c.GrantID == "" {
		return nil, ErrSignInAgain
	}
	t, err := u.Vault.Token(ctx, c.GrantID)
	if err != nil {
		return nil, err
	}
	if err := checkAudience(t.AccessToken, u.Audience); err != nil {
		return nil, err
	}
	return bearer(t.AccessToken), nil
}

// checkAudience reads the aud of a JWT access token; the signature is not
// checked because the token came straight from the provider over TLS, and
// the check only keeps it from a backend it was not meant for. Opaque
// tokens carry no audience to read: the configuration is trusted.
func checkAudience(raw, audience string) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512,
		jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA})
	if err != nil {
		return nil // not a JWS: opaque
	}
	var claims struct {
		Audience jwt.Audience `json:"aud"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return fmt.Errorf("%w: its claims are unreadable", errWrongAudience)
	}
	if !slices.Contains(claims.Audience, audience) {
		return errWrongAudience
	}
	return nil
}
