package oidctest

import (
	"crypto/x509"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client is a registered relying party. It implements op.Client.
type client struct {
	id           string
	secret       string            // empty: a public client, which must use PKCE
	cert         *x509.Certificate // set: the client authenticates with private_key_jwt
	redirectURIs []string
	loginURL     string
	idTokenTTL   time.Duration
	jwtAccess    bool // access tokens are JWTs (RFC 9068) rather than opaque
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.id }
func (c *client) RedirectURIs() []string           { return slices.Clone(c.redirectURIs) }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.cert != nil {
		return oidc.AuthMethodPrivateKeyJWT
	}
	if c.secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic // client_secret_post is accepted too (Config.AuthMethodPost)
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials, oidc.GrantTypeTokenExchange}
}
func (c *client) LoginURL(id string) string { return c.loginURL + "?id=" + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType {
	if c.jwtAccess {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return c.idTokenTTL }
func (c *client) ClockSkew() time.Duration       { return 0 }
func (c *client) IsScopeAllowed(string) bool     { return true }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// DevMode lets redirect URIs use http, so that a relying party on loopback
// can be registered as it is.
func (c *client) DevMode() bool { return true }

// IDTokenUserinfoClaimsAssertion puts profile and email claims in the ID
// token even when an access token is issued too (OIDC Core, section 5.4
// allows either), as Entra ID and most providers do: Drawbridge maps claims
// from the ID token only.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
