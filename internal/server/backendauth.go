package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// backendCredential builds a server's own credential (docs/backends.md).
func (s *Server) backendCredential(sv *config.Backend) (backendauth.Credential, error) {
	a := sv.Auth
	field := "servers." + sv.Name + ".auth"
	switch a.Mode {
	case "headers":
		return backendauth.NewStaticHeaders(a.Headers, a.HeaderFiles)
	case "identity_assertion":
		return &backendauth.IdentityAssertion{Keys: s.keys, Issuer: s.cfg.Issuer(), Audience: assertionAudience(sv),
			TTL: a.TTL.D(), Header: a.Header, Now: s.opt.Now}, nil
	case "client_credentials":
		cert, err := s.clientCertificate(context.Background(), field+".client_certificate", a.ClientCertificate)
		if err != nil {
			return nil, err
		}
		return backendauth.NewClientCredentials(backendauth.ClientCredentialsConfig{
			TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret, Certificate: cert, Scopes: a.Scopes,
			Audience: a.Audience, Resource: a.Resource, HTTPClient: s.opt.IdentityHTTPClient, Now: s.opt.Now,
		})
	case "token_exchange", "entra_obo", "upstream_token":
		return s.userCredential(sv, field)
	}
	return nil, nil
}

// userCredential builds the credentials that act with the user's upstream
// tokens, kept in the vault.
func (s *Server) userCredential(sv *config.Backend, field string) (backendauth.Credential, error) {
	a := sv.Auth
	if s.vault == nil || s.idp == nil {
		return nil, fmt.Errorf("%s: mode %s needs sign-in at an identity provider (identity.type oidc or entra)", field, a.Mode)
	}
	if a.Mode == "upstream_token" {
		return &backendauth.UpstreamToken{Vault: s.vault, Audience: a.Audience}, nil
	}
	var endpoint backendauth.TokenEndpoint = s.idp
	if a.TokenURL != "" || a.ClientID != "" {
		ep, err := s.tokenClient(sv, field)
		if err != nil {
			return nil, err
		}
		endpoint = ep
	}
	if a.Mode == "entra_obo" {
		return backendauth.NewEntraOBO(backendauth.OBOConfig{Endpoint: endpoint, Vault: s.vault, Scopes: a.Scopes, Now: s.opt.Now}), nil
	}
	return backendauth.NewTokenExchange(backendauth.ExchangeConfig{Endpoint: endpoint, Vault: s.vault,
		Audience: a.Audience, Resource: a.Resource, Scopes: a.Scopes, Now: s.opt.Now}), nil
}

// tokenClient is a configured token endpoint and client for token_exchange
// or entra_obo; what is not configured comes from the identity provider.
func (s *Server) tokenClient(sv *config.Backend, field string) (backendauth.TokenEndpoint, error) {
	a := sv.Auth
	o := oauthclient.Options{Name: sv.Name, TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		Entra: a.Mode == "entra_obo", BasicAuth: true, HTTPClient: s.opt.IdentityHTTPClient}
	cert, err := s.clientCertificate(context.Background(), field+".client_certificate", a.ClientCertificate)
	if err != nil {
		return nil, err
	}
	o.Certificate = cert
	if o.TokenURL == "" {
		// Resolved on first use, from the provider's discovery document.
		return &lazyTokenClient{s: s, o: o}, nil
	}
	return oauthclient.New(o)
}

// assertionAudience defaults to the upstream's origin: what the backend
// knows itself as.
func assertionAudience(sv *config.Backend) string {
	if sv.Auth.Audience != "" {
		return sv.Auth.Audience
	}
	u, err := url.Parse(sv.Upstream)
	if err != nil {
		return sv.Upstream
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
