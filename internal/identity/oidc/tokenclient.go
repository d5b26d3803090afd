package oidc

import (
	"context"
	"errors"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// TokenClient returns a client for the provider's own token endpoint,
// authenticated as Drawbridge is for sign-ins: what refreshes the user's
// upstream tokens and, by default, exchanges them for backends. It fetches
// the discovery document if that has not happened yet.
func (p *Provider) TokenClient(ctx context.Context) (*oauthclient.TokenClient, error) {
	d, err := p.discovered(ctx)
	if err != nil {
		return nil, err
	}
	return d.tokens, nil
}

// Refresh redeems an upstream refresh token (RFC 6749, section 6) at the
// provider. The answer's refresh token, if any, replaces the old one.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, errors.New("oidc: Refresh needs a refresh token")
	}
	tc, err := p.TokenClient(ctx)
	if err != nil {
		return nil, err
	}
	return tc.Token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// IsEntra reports whether the provider follows Entra ID's rules.
func (p *Provider) IsEntra() bool { return p.entra }

// Token makes a token request at the provider's token endpoint as the
// client users sign in with (token exchange, on-behalf-of).
func (p *Provider) Token(ctx context.Context, form url.Values) (*oauth2.Token, error) {
	tc, err := p.TokenClient(ctx)
	if err != nil {
		return nil, err
	}
	return tc.Token(ctx, form)
}
