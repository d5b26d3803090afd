package server

import (
	"context"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
)

// identityProvider sets the configured identity provider on opt.
func (s *Server) identityProvider(_ context.Context, opt *authserver.Options) error {
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
		p, err := oidc.New(oidc.Options{
			Name: "oidc", Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			RedirectURL: callback, Scopes: c.Scopes, HTTPClient: s.opt.IdentityHTTPClient,
			Claims: oidc.ClaimMapping{Subject: c.Claims.Subject, Email: c.Claims.Email, Name: c.Claims.Name, Groups: c.Claims.Groups, Roles: c.Claims.Roles},
		})
		if err != nil {
			return err
		}
		opt.Redirect = p
		s.idpReady = p.Ready
	case "entra":
		c := id.Entra
		p, err := oidc.NewEntra(oidc.EntraOptions{
			Name: "entra", TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Cloud: c.Cloud, RedirectURL: callback, HTTPClient: s.opt.IdentityHTTPClient,
		})
		if err != nil {
			return err
		}
		opt.Redirect = p
		s.idpReady = p.Ready
	default:
		return fmt.Errorf("identity type %q is not supported", id.Type)
	}
	return nil
}
