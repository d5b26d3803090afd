package config

import (
	"time"
)

var backendAuthModes = []string{"none", "headers", "identity_assertion", "client_credentials", "token_exchange", "entra_obo", "upstream_token"}

// backendAuth checks a server's credential section (docs/backends.md).
func (v *validator) backendAuth(field string, s *Backend) {
	a := s.Auth
	if !contains(backendAuthModes, a.Mode) {
		v.add("%s.mode: %q is not one of none, headers, identity_assertion, client_credentials, token_exchange, entra_obo, upstream_token", field, a.Mode)
		return
	}
	if a.Mode != "none" && len(s.Command) > 0 {
		v.add("%s.mode: a stdio server gets no HTTP headers, so no credential (%s)", field, a.Mode)
	}
	if a.UsesUpstreamTokens() && v.identityType != "oidc" && v.identityType != "entra" {
		v.add("%s.mode: %s acts with the user's tokens from the identity provider: it needs identity.type oidc or entra", field, a.Mode)
	}
	switch a.Mode {
	case "headers":
		v.staticHeaders(field, a)
	case "identity_assertion":
		if a.TTL.D() < 0 || a.TTL.D() > time.Hour {
			v.add("%s.ttl: %s is outside 0s..1h", field, a.TTL.D())
		}
		if a.Header != "" && !validHeaderName(a.Header) {
			v.add("%s.header: %q is not a valid header name", field, a.Header)
		}
	case "client_credentials":
		v.idpURL(field+".token_url", a.TokenURL)
		v.required(field+".client_id", a.ClientID)
		v.clientCredential(field, a.ClientSecret, a.ClientCertificate, true)
	case "token_exchange":
		v.tokenClient(field, a)
		if a.Audience == "" && a.Resource == "" && len(a.Scopes) == 0 {
			v.add("%s: token_exchange needs audience, resource or scopes: what the backend's token is for", field)
		}
	case "entra_obo":
		if v.identityType == "oidc" {
			v.add("%s.mode: entra_obo exchanges Entra ID tokens: it needs identity.type entra", field)
		}
		v.tokenClient(field, a)
		if len(a.Scopes) == 0 {
			v.add("%s.scopes: required for entra_obo, such as api://<backend app>/.default", field)
		}
		if a.Resource != "" || a.Audience != "" {
			v.add("%s: entra_obo takes the backend from scopes; Entra ID v2 refuses resource, and audience is not sent", field)
		}
	case "upstream_token":
		if a.Audience == "" {
			v.add("%s.audience: required for upstream_token: the audience the user's upstream access token is issued for (see the risks in docs/backends.md)", field)
		}
	}
}

// tokenClient checks the optional endpoint and client of token_exchange
// and entra_obo; without them the identity provider's are used.
func (v *validator) tokenClient(field string, a BackendAuth) {
	if a.TokenURL != "" {
		v.idpURL(field+".token_url", a.TokenURL)
	}
	if a.ClientID == "" {
		if a.TokenURL != "" || a.ClientSecret != "" || a.ClientCertificate != nil {
			v.add("%s.client_id: required with token_url, client_secret or client_certificate", field)
		}
		return
	}
	v.clientCredential(field, a.ClientSecret, a.ClientCertificate, true)
}

func (v *validator) staticHeaders(field string, a BackendAuth) {
	if len(a.Headers)+len(a.HeaderFiles) == 0 {
		v.add("%s: mode headers needs headers or header_files", field)
	}
	for name, val := range a.Headers {
		if !validHeaderName(name) {
			v.add("%s.headers: %q is not a valid header name", field, name)
		} else if val == "" {
			v.add("%s.headers.%s: empty (is its environment variable set?)", field, name)
		}
	}
	for name, path := range a.HeaderFiles {
		if !validHeaderName(name) {
			v.add("%s.header_files: %q is not a valid header name", field, name)
		} else if path == "" {
			v.add("%s.header_files.%s: a file path is required", field, name)
		}
		if _, dup := a.Headers[name]; dup {
			v.add("%s.header_files.%s: also set in headers; use one", field, name)
		}
	}
}
