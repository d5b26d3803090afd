package server

import (
	"net/url"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// backendCredential builds a server's own credential (docs/backends.md).
func (s *Server) backendCredential(sv *config.Server) (backendauth.Credential, error) {
	a := sv.Auth
	switch a.Mode {
	case "identity_assertion":
		return &backendauth.IdentityAssertion{Keys: s.keys, Issuer: s.cfg.Issuer(), Audience: assertionAudience(sv),
			TTL: a.TTL.D(), Header: a.Header, Now: s.opt.Now}, nil
	case "client_credentials":
		return backendauth.NewClientCredentials(backendauth.ClientCredentialsConfig{
			TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret, Scopes: a.Scopes,
			Audience: a.Audience, Resource: a.Resource, HTTPClient: s.opt.IdentityHTTPClient,
		}), nil
	}
	return nil, nil
}

// assertionAudience defaults to the upstream's origin: what the backend
// knows itself as.
func assertionAudience(sv *config.Server) string {
	if sv.Auth.Audience != "" {
		return sv.Auth.Audience
	}
	u, err := url.Parse(sv.Upstream)
	if err != nil {
		return sv.Upstream
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
