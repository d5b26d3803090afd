package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// credParts are what backend credentials take from earlier stages: the
// signing keys (identity assertions), and the vault and the upstream
// identity provider (modes that act with the user's tokens).
type credParts struct {
	Keys     *tokens.Keys
	Vault    *vault.Vault
	Upstream *oidc.Provider
}

// backendCredentials builds each server's own credential, by server name
// (a server without one has no entry). Every problem is reported, not
// only the first: drawbridge check shows them all.
func backendCredentials(ctx context.Context, cfg *config.Config, opt Options, p credParts) (map[string]backendauth.Credential, error) {
	out := map[string]backendauth.Credential{}
	var errs []error
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		c, err := backendCredential(ctx, cfg, opt, sv, authField(i), p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c != nil {
			out[sv.Name] = c
		}
		errs = append(errs, memberCredentials(ctx, cfg, opt, i, p, out)...)
	}
	return out, errors.Join(errs...)
}

// memberCredentials builds the own credential of each member of server i
// (if it is composed) into out, by memberKey.
func memberCredentials(ctx context.Context, cfg *config.Config, opt Options, i int, p credParts, out map[string]backendauth.Credential) []error {
	sv := &cfg.Backends[i]
	var errs []error
	for j := range sv.Compose {
		mb := sv.MemberServer(&sv.Compose[j])
		c, err := backendCredential(ctx, cfg, opt, &mb, memberField(i, j)+".auth", p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c != nil {
			out[memberKey(sv.Name, mb.Name)] = c
		}
	}
	return errs
}

// authField names a server's auth section in errors, as the configuration's
// own problems do.
func authField(i int) string { return fmt.Sprintf("servers[%d].auth", i) }

// backendCredential builds a server's own credential (docs/backends.md);
// field names its auth section in errors.
func backendCredential(ctx context.Context, cfg *config.Config, opt Options, sv *config.Backend, field string, p credParts) (backendauth.Credential, error) {
	a := sv.Auth
	switch a.Mode {
	case "headers":
		h, err := backendauth.NewStaticHeaders(a.Headers, a.HeaderFiles)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return h, nil
	case "identity_assertion":
		return &backendauth.IdentityAssertion{Keys: p.Keys, Issuer: cfg.Issuer(), Audience: sv.AssertionAudience(),
			TTL: a.TTL.D(), Header: a.Header, Now: opt.Now}, nil
	case "client_credentials":
		cert, err := clientCertificate(ctx, opt, field+".client_certificate", a.ClientCertificate)
		if err != nil {
			return nil, err
		}
		cc, err := backendauth.NewClientCredentials(backendauth.ClientCredentialsConfig{
			TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret, Certificate: cert, Scopes: a.Scopes,
			Audience: a.Audience, Resource: a.Resource, HTTPClient: opt.IdentityHTTPClient, Now: opt.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return cc, nil
	case "token_exchange", "entra_obo", "upstream_token":
		return userCredential(ctx, opt, sv, field, p)
	}
	return nil, nil
}

// userCredential builds the credentials that act with the user's upstream
// tokens, kept in the vault.
func userCredential(ctx context.Context, opt Options, sv *config.Backend, field string, p credParts) (backendauth.Credential, error) {
	a := sv.Auth
	if p.Vault == nil || p.Upstream == nil {
		return nil, fmt.Errorf("%s: mode %s needs sign-in at an identity provider (identity.type oidc or entra)", field, a.Mode)
	}
	if a.Mode == "upstream_token" {
		return &backendauth.UpstreamToken{Vault: p.Vault, Audience: a.Audience}, nil
	}
	var endpoint backendauth.TokenEndpoint = p.Upstream
	if a.TokenURL != "" || a.ClientID != "" {
		ep, err := tokenClient(ctx, opt, sv, field, p.Upstream)
		if err != nil {
			return nil, err
		}
		endpoint = ep
	}
	if a.Mode == "entra_obo" {
		return backendauth.NewEntraOBO(backendauth.OBOConfig{Endpoint: endpoint, Vault: p.Vault, Scopes: a.Scopes, Now: opt.Now}), nil
	}
	return backendauth.NewTokenExchange(backendauth.ExchangeConfig{Endpoint: endpoint, Vault: p.Vault,
		Audience: a.Audience, Resource: a.Resource, Scopes: a.Scopes, Now: opt.Now}), nil
}

// tokenClient is a configured token endpoint and client for token_exchange
// or entra_obo; what is not configured comes from the identity provider.
func tokenClient(ctx context.Context, opt Options, sv *config.Backend, field string, idp *oidc.Provider) (backendauth.TokenEndpoint, error) {
	a := sv.Auth
	o := oauthclient.Options{Name: sv.Name, TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		Entra: a.Mode == "entra_obo", BasicAuth: true, HTTPClient: opt.IdentityHTTPClient}
	cert, err := clientCertificate(ctx, opt, field+".client_certificate", a.ClientCertificate)
	if err != nil {
		return nil, err
	}
	o.Certificate = cert
	if o.TokenURL == "" {
		// Resolved on first use, from the provider's discovery document.
		return &lazyTokenClient{idp: idp, o: o}, nil
	}
	tc, err := oauthclient.New(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return tc, nil
}
