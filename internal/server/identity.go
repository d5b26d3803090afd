package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// signIn is how users sign in: as local users, at an upstream OpenID
// Connect provider (identity.type oidc or entra), or not at all (none).
type signIn struct {
	password identity.PasswordProvider // local users; nil otherwise
	upstream *oidc.Provider            // oidc and entra; nil otherwise
}

// setOn gives the authorization server the provider (and, for a generic
// OIDC provider, its back-channel logout).
func (in signIn) setOn(cfg *config.Config, o *authserver.Options) {
	if in.password != nil {
		o.Password = in.password
	}
	if in.upstream != nil {
		o.Redirect = in.upstream
		if cfg.Identity.Type == "oidc" && *cfg.Identity.OIDC.BackChannelLogout {
			o.Logout = in.upstream
		}
	}
}

// ready checks the upstream identity provider (readyz); nil for local
// users and nobody.
func (in signIn) ready() func(context.Context) error {
	if in.upstream == nil {
		return nil
	}
	return in.upstream.Ready
}

// newSignIn builds the configured identity provider. Nothing is contacted:
// an upstream provider's discovery happens on first use.
func newSignIn(ctx context.Context, cfg *config.Config, opt Options) (signIn, error) {
	switch id := cfg.Identity; id.Type {
	case "local":
		p, err := local.New("local", localUsers(cfg))
		if err != nil {
			return signIn{}, err
		}
		return signIn{password: p}, nil
	case "oidc":
		cert, err := clientCertificate(ctx, opt, "identity.oidc.client_certificate", id.OIDC.ClientCertificate)
		if err != nil {
			return signIn{}, err
		}
		p, err := oidc.New(oidcOptions(cfg, opt, cert))
		if err != nil {
			return signIn{}, err
		}
		return signIn{upstream: p}, nil
	case "entra":
		cert, err := clientCertificate(ctx, opt, "identity.entra.client_certificate", id.Entra.ClientCertificate)
		if err != nil {
			return signIn{}, err
		}
		p, err := oidc.NewEntra(entraOptions(cfg, opt, cert))
		if err != nil {
			return signIn{}, err
		}
		return signIn{upstream: p}, nil
	case config.IdentityNone:
		// Nobody signs in: machine clients only (authserver's nosignin.go).
		return signIn{}, nil
	default:
		return signIn{}, fmt.Errorf("identity type %q is not supported", id.Type)
	}
}

func localUsers(cfg *config.Config) []local.User {
	var users []local.User
	for _, u := range cfg.Identity.Local.Users {
		users = append(users, local.User{Username: u.Username, PasswordHash: u.PasswordHash, Email: u.Email, Name: u.Name, Groups: u.Groups})
	}
	return users
}

func oidcOptions(cfg *config.Config, opt Options, cert *oauthclient.Certificate) oidc.Options {
	c := cfg.Identity.OIDC
	return oidc.Options{
		Name: "oidc", Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientCertificate: cert,
		RedirectURL: cfg.URL(authserver.PathCallback), Scopes: c.Scopes, HTTPClient: opt.IdentityHTTPClient,
		Claims: oidc.ClaimMapping{Subject: c.Claims.Subject, Email: c.Claims.Email, Name: c.Claims.Name, Groups: c.Claims.Groups, Roles: c.Claims.Roles},
	}
}

func entraOptions(cfg *config.Config, opt Options, cert *oauthclient.Certificate) oidc.EntraOptions {
	c := cfg.Identity.Entra
	return oidc.EntraOptions{
		Name: "entra", TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientCertificate: cert,
		Cloud: c.Cloud, RedirectURL: cfg.URL(authserver.PathCallback), Scopes: c.Scopes, HTTPClient: opt.IdentityHTTPClient,
	}
}

// clientCertificate loads the certificate Drawbridge authenticates with at
// the identity provider, if one is configured. It is read once, here, so
// that a missing or unreadable file stops the server at startup with the
// configuration key in the message, rather than failing the first sign-in;
// a renewed certificate takes a restart. The SHA-1 thumbprint is logged
// because it is what the Entra admin center lists for uploaded certificates.
func clientCertificate(ctx context.Context, opt Options, field string, c *config.ClientCertificate) (*oauthclient.Certificate, error) {
	if c == nil {
		return nil, nil
	}
	cert, err := oauthclient.LoadCertificate(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	level, now := slog.LevelInfo, opt.Now()
	if now.After(cert.Leaf.NotAfter) || now.Before(cert.Leaf.NotBefore) {
		// The provider decides whether it still accepts it; Entra ID
		// does not accept an expired certificate credential.
		level = slog.LevelWarn
	}
	opt.Log.Log(ctx, level, "identity provider client certificate",
		"config", field, "thumbprint_sha1", cert.Thumbprint(), "subject", cert.Leaf.Subject.String(),
		"not_before", cert.Leaf.NotBefore, "not_after", cert.Leaf.NotAfter)
	return cert, nil
}
