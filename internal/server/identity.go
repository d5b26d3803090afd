package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// identityProvider sets the configured identity provider on opt.
func (s *Server) identityProvider(ctx context.Context, opt *authserver.Options) error {
	id := s.cfg.Identity
	callback := s.cfg.URL(authserver.PathCallback)
	switch id.Type {
	case "local":
		var users []local.User
		for _, u := range id.Local.Users {
			users = append(users, local.User{Username: u.Username, PasswordHash: u.PasswordHash, Email: u.Email, Name: u.Name, Groups: u.Groups})
		}
		p, err := local.New("local", users)
		if err != nil {
			return err
		}
		opt.Password = p
	case "oidc":
		c := id.OIDC
		cert, err := s.clientCertificate(ctx, "identity.oidc.client_certificate", c.ClientCertificate)
		if err != nil {
			return err
		}
		p, err := oidc.New(oidc.Options{
			Name: "oidc", Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientCertificate: cert,
			RedirectURL: callback, Scopes: c.Scopes, HTTPClient: s.opt.IdentityHTTPClient,
			Claims: oidc.ClaimMapping{Subject: c.Claims.Subject, Email: c.Claims.Email, Name: c.Claims.Name, Groups: c.Claims.Groups, Roles: c.Claims.Roles},
		})
		if err != nil {
			return err
		}
		opt.Redirect, s.idp = p, p
		s.idpReady = p.Ready
		if *c.BackChannelLogout {
			opt.Logout = p
		}
	case "entra":
		c := id.Entra
		cert, err := s.clientCertificate(ctx, "identity.entra.client_certificate", c.ClientCertificate)
		if err != nil {
			return err
		}
		p, err := oidc.NewEntra(oidc.EntraOptions{
			Name: "entra", TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientCertificate: cert,
			Cloud: c.Cloud, RedirectURL: callback, Scopes: c.Scopes, HTTPClient: s.opt.IdentityHTTPClient,
		})
		if err != nil {
			return err
		}
		opt.Redirect, s.idp = p, p
		s.idpReady = p.Ready
	case config.IdentityNone:
		// Nobody signs in: machine clients only (authserver's nosignin.go).
	default:
		return fmt.Errorf("identity type %q is not supported", id.Type)
	}
	return nil
}

// clientCertificate loads the certificate Drawbridge authenticates with at
// the identity provider, if one is configured. It is read once, here, so
// that a missing or unreadable file stops the server at startup with the
// configuration key in the message, rather than failing the first sign-in;
// a renewed certificate takes a restart. The SHA-1 thumbprint is logged
// because it is what the Entra admin center lists for uploaded certificates.
func (s *Server) clientCertificate(ctx context.Context, field string, c *config.ClientCertificate) (*oauthclient.Certificate, error) {
	if c == nil {
		return nil, nil
	}
	cert, err := oauthclient.LoadCertificate(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	level, now := slog.LevelInfo, s.opt.Now()
	if now.After(cert.Leaf.NotAfter) || now.Before(cert.Leaf.NotBefore) {
		// The provider decides whether it still accepts it; Entra ID
		// does not accept an expired certificate credential.
		level = slog.LevelWarn
	}
	s.opt.Log.Log(ctx, level, "identity provider client certificate",
		"config", field, "thumbprint_sha1", cert.Thumbprint(), "subject", cert.Leaf.Subject.String(),
		"not_before", cert.Leaf.NotBefore, "not_after", cert.Leaf.NotAfter)
	return cert, nil
}
