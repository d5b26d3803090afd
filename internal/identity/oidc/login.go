package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// s256ChallengeLen is the length of BASE64URL(SHA256(verifier)) without
// padding (RFC 7636, section 4.2).
const s256ChallengeLen = 43

// AuthCodeURL returns the authorization request URL (OIDC Core, section
// 3.1.2.1): response_type=code, Drawbridge's client ID, redirect URI and
// scopes, state, nonce, the PKCE S256 challenge, and the configured extra
// parameters. It fails while the provider's discovery document cannot be
// fetched.
func (p *Provider) AuthCodeURL(ctx context.Context, state, nonce, codeChallenge string) (string, error) {
	switch {
	case state == "" || nonce == "":
		return "", errors.New("oidc: AuthCodeURL needs a state and a nonce")
	case len(codeChallenge) != s256ChallengeLen:
		return "", errors.New("oidc: AuthCodeURL needs an S256 code challenge (43 characters), not a verifier")
	}
	d, err := p.discovered(ctx)
	if err != nil {
		return "", err
	}
	opts := make([]oauth2.AuthCodeOption, 0, 3+len(p.extra))
	for k, v := range p.extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	opts = append(opts,
		gooidc.Nonce(nonce),
		oauth2.SetAuthURLParam("code_challenge", codeChallenge),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
	)
	return d.oauth.AuthCodeURL(state, opts...), nil
}

// Exchange redeems code with the PKCE verifier (OIDC Core, section 3.1.3),
// validates the ID token (section 3.1.3.7) and maps its claims.
func (p *Provider) Exchange(ctx context.Context, code, codeVerifier, nonce string) (*identity.Result, error) {
	if code == "" || codeVerifier == "" || nonce == "" {
		return nil, errors.New("oidc: Exchange needs a code, a code verifier and a nonce")
	}
	d, err := p.discovered(ctx)
	if err != nil {
		return nil, err
	}
	opts, err := p.clientAuth(d)
	if err != nil {
		return nil, err
	}
	ctx = gooidc.ClientContext(ctx, p.client)
	tok, err := d.oauth.Exchange(ctx, code, append(opts, oauth2.VerifierOption(codeVerifier))...)
	if err != nil {
		return nil, p.tokenError(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, fmt.Errorf("oidc: provider %q: token response has no id_token (is the openid scope granted?)", p.name)
	}
	claims, err := p.verify(ctx, d, rawID, nonce, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	id, err := p.claims.identity(claims)
	if err != nil {
		return nil, err
	}
	id.Provider = p.name
	id.Upstream = p.upstreamLogin(claims)
	return &identity.Result{
		Identity:     id,
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		IDToken:      rawID,
		Expiry:       tok.Expiry,
	}, nil
}

// clientAuth returns the token request parameters that authenticate
// Drawbridge beyond what d.oauth sends itself (client_id, and the secret if
// one is configured): with a certificate, a fresh client assertion. Every
// token request this package makes goes through here, so that none goes out
// unauthenticated or with a replayed assertion.
func (p *Provider) clientAuth(d *discovered) ([]oauth2.AuthCodeOption, error) {
	if d.assertion == nil {
		return nil, nil
	}
	opts, err := d.assertion.AuthCodeOptions(p.now())
	if err != nil {
		return nil, fmt.Errorf("oidc: provider %q: %w", p.name, err)
	}
	return opts, nil
}

// verify applies OIDC Core, section 3.1.3.7 and returns the token's claims.
// go-oidc checks the signature against the provider's JWKS, iss, aud
// (contains our client ID) and exp; the rest is done here.
func (p *Provider) verify(ctx context.Context, d *discovered, rawID, nonce, accessToken string) (map[string]any, error) {
	idt, err := d.verifier.Verify(ctx, rawID)
	if err != nil {
		return nil, fmt.Errorf("oidc: provider %q: ID token rejected: %w", p.name, err)
	}
	// Step 11. Constant time because the nonce is a secret of this login.
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, ErrNonceMismatch
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("oidc: provider %q: ID token claims: %w", p.name, err)
	}
	// Steps 4 and 5: with several audiences, the token must name us as the
	// authorized party.
	azp, _ := claims["azp"].(string)
	if (len(idt.Audience) > 1 || azp != "") && azp != p.oauth.ClientID {
		return nil, fmt.Errorf("oidc: provider %q: ID token azp is not this client", p.name)
	}
	// Section 3.1.3.8: at_hash is optional in the code flow, but if present
	// it must match the access token issued with it.
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(accessToken); err != nil {
			return nil, fmt.Errorf("oidc: provider %q: %w", p.name, err)
		}
	}
	return claims, nil
}

func (p *Provider) tokenError(err error) error { return oauthclient.RequestError(p.name, err) }
