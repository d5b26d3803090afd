package backendauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// ErrSignInAgain means the user's upstream session has ended: the gateway
// answers 401 with a challenge so that the MCP client signs in again.
var ErrSignInAgain = vault.ErrSignInAgain

// TokenEndpoint makes an authenticated token request: *oauthclient.TokenClient
// for a configured endpoint, *oidc.Provider for the identity provider's own
// (as the client users sign in with).
type TokenEndpoint interface {
	Token(ctx context.Context, form url.Values) (*oauth2.Token, error)
}

// Vault is where the user's upstream tokens come from; *vault.Vault is one.
type Vault interface {
	Token(ctx context.Context, grantID string) (vault.Tokens, error)
	Refresh(ctx context.Context, grantID, stale string) (vault.Tokens, error)
	End(ctx context.Context, grantID, reason string) error
}

// RFC 8693 names.
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
	// grantJWTBearer is RFC 7523's grant, which Entra ID's on-behalf-of
	// flow uses with requested_token_use=on_behalf_of.
	grantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// Delegated gets the backend a token for the calling user from the user's
// own upstream token, which never leaves Drawbridge itself: RFC 8693 token
// exchange (NewTokenExchange) or Entra ID's on-behalf-of flow
// (NewEntraOBO). Tokens are cached per grant until shortly before they
// expire, one request per grant at a time.
type Delegated struct {
	endpoint TokenEndpoint
	vault    Vault
	form     func(subjectToken string) url.Values
	cache    tokenCache
}

var _ Credential = (*Delegated)(nil)

// ExchangeConfig configures NewTokenExchange.
type ExchangeConfig struct {
	Endpoint TokenEndpoint
	Vault    Vault
	// Audience, Resource and Scopes describe the token wanted for the
	// backend (RFC 8693 §2.1); each is sent when set.
	Audience string
	Resource string
	Scopes   []string
	Now      func() time.Time
}

// NewTokenExchange exchanges the user's upstream access token for one
// scoped to the backend (RFC 8693).
func NewTokenExchange(c ExchangeConfig) *Delegated {
	return &Delegated{endpoint: c.Endpoint, vault: c.Vault, cache: tokenCache{now: c.Now},
		form: func(subject string) url.Values {
			f := url.Values{"grant_type": {grantTokenExchange}, "subject_token": {subject},
				"subject_token_type": {tokenTypeAccess}, "requested_token_type": {tokenTypeAccess}}
			setIf(f, "audience", c.Audience)
			setIf(f, "resource", c.Resource)
			setIf(f, "scope", strings.Join(c.Scopes, " "))
			return f
		}}
}

// OBOConfig configures NewEntraOBO.
type OBOConfig struct {
	Endpoint TokenEndpoint
	Vault    Vault
	// Scopes are the backend API's, such as api://snippets/.default.
	Scopes []string
	Now    func() time.Time
}

// NewEntraOBO gets a token for the backend with Microsoft Entra ID's
// on-behalf-of flow: the user's access token (issued to Drawbridge's app)
// is the assertion. Entra ID v2 takes the target from the scopes; no
// resource parameter is ever sent.
func NewEntraOBO(c OBOConfig) *Delegated {
	return &Delegated{endpoint: c.Endpoint, vault: c.Vault, cache: tokenCache{now: c.Now},
		form: func(subject string) url.Values {
			return url.Values{"grant_type": {grantJWTBearer}, "assertion": {subject},
				"requested_token_use": {"on_behalf_of"}, "scope": {strings.Join(c.Scopes, " ")}}
		}}
}

// Headers returns the backend token for the caller's grant.
func (d *Delegated) Headers(ctx context.Context, c *tokens.AccessClaims) (http.Header, error) {
	if c == nil || c.GrantID == "" {
		return nil, ErrSignInAgain
	}
	tok, err := d.cache.get(ctx, c.GrantID, func(ctx context.Context) (*oauth2.Token, error) {
		return d.fetch(ctx, c.GrantID)
	})
	if err != nil {
		return nil, err
	}
	return bearer(tok), nil
}

// fetch exchanges the user's upstream token. A refusal that a new sign-in
// could fix is retried once with a freshly refreshed upstream token (the
// old one may have been revoked before its expiry); if the provider then
// says the user must interact (MFA, consent), the grant ends and the user
// signs in again. Any other refusal is the backend's configuration, not the
// user's: the caller gets an error, not a sign-in loop.
func (d *Delegated) fetch(ctx context.Context, grantID string) (*oauth2.Token, error) {
	up, err := d.vault.Token(ctx, grantID)
	if err != nil {
		return nil, err
	}
	tok, err := d.endpoint.Token(ctx, d.form(up.AccessToken))
	if !oauthclient.NeedsSignIn(err) {
		return tok, redact(err)
	}
	if up, err = d.vault.Refresh(ctx, grantID, up.AccessToken); err != nil {
		return nil, err
	}
	tok, err = d.endpoint.Token(ctx, d.form(up.AccessToken))
	var te *oauthclient.TokenError
	if errors.As(err, &te) && te.Code != "invalid_grant" && oauthclient.NeedsSignIn(err) {
		_ = d.vault.End(ctx, grantID, "upstream_"+te.Code)
		return nil, ErrSignInAgain
	}
	return tok, redact(err)
}

// redact keeps the status and OAuth error code of a refusal and drops the
// description, which a token endpoint may fill with what it was sent.
func redact(err error) error {
	var te *oauthclient.TokenError
	if errors.As(err, &te) {
		return fmt.Errorf("backend token endpoint answered %d %s", te.StatusCode, te.Code)
	}
	if err != nil {
		return fmt.Errorf("backend token: %w", err)
	}
	return nil
}
