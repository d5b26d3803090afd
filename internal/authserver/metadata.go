package authserver

import (
	"encoding/json"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/idjag"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// Metadata is the authorization server metadata document (RFC 8414 §2).
func (s *Server) Metadata() *oauth.AuthServerMetadata {
	authMethods := []string{authNone, authSecretBasic, authSecretPost, authPrivateKeyJWT}
	if !s.signsIn() {
		authMethods = authMethods[1:] // a machine client authenticates: no public clients
	}
	var algs []string
	for _, a := range assertionAlgs {
		algs = append(algs, string(a))
	}
	m := &oauth.AuthServerMetadata{
		Issuer:                            s.opt.Issuer,
		AuthorizationEndpoint:             s.url(PathAuthorize),
		TokenEndpoint:                     s.url(PathToken),
		JWKSURI:                           s.url(PathJWKS),
		RevocationEndpoint:                s.url(PathRevoke),
		ScopesSupported:                   s.scopes,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               []string{grantAuthorizationCode, grantRefreshToken},
		TokenEndpointAuthMethodsSupported: authMethods,
		TokenEndpointAuthSigningAlgValuesSupported: algs,
		RevocationEndpointAuthMethodsSupported:     authMethods,
		CodeChallengeMethodsSupported:              []string{oauth.PKCEMethodS256},
		// RFC 9207: every authorization response carries iss.
		AuthorizationResponseIssParameterSupported: true,
		DPoPSigningAlgValuesSupported:              dpop.AlgorithmNames(),
	}
	if !s.signsIn() {
		// RFC 8414 §2: authorization_endpoint is left out when no grant
		// type that uses it is supported; response_types_supported is
		// required, and empty. PKCE stays: MCP clients (the Go SDK, for
		// client credentials too) refuse metadata without it.
		m.AuthorizationEndpoint, m.ResponseTypesSupported, m.ResponseModesSupported = "", []string{}, nil
		m.GrantTypesSupported, m.AuthorizationResponseIssParameterSupported = nil, false
	}
	for _, c := range s.clients {
		if c.allowsGrant(grantClientCredentials) {
			m.GrantTypesSupported = append(m.GrantTypesSupported, grantClientCredentials)
			break
		}
	}
	if s.idjag.Trusts() {
		// RFC 8414 §2: the jwt-bearer grant (RFC 7523) redeems ID-JAGs,
		// which MCP clients discover by the grant profile (MCP
		// enterprise-managed authorization §6).
		m.GrantTypesSupported = append(m.GrantTypesSupported, grantJWTBearer)
		m.AuthorizationGrantProfilesSupported = []string{idjag.Profile}
	}
	if len(s.issue) > 0 {
		// Drawbridge as an enterprise IdP: token exchange issues ID-JAGs
		// (draft-ietf-oauth-identity-assertion-authz-grant, IdP metadata).
		m.GrantTypesSupported = append(m.GrantTypesSupported, grantTokenExchange)
		m.IdentityChainingRequestedTokenTypesSupported = []string{tokenTypeIDJAG}
	}
	if s.opt.DynamicRegistration {
		m.RegistrationEndpoint = s.url(PathRegister)
	}
	m.ClientIDMetadataDocumentSupported = s.opt.Metadata != nil
	if len(s.opt.Introspectors) > 0 {
		m.IntrospectionEndpoint = s.url(PathIntrospect)
		m.IntrospectionEndpointAuthMethodsSupported = []string{authSecretBasic}
	}
	return m
}

// metadata serves the document at the RFC 8414 path and the OpenID Connect
// discovery alias, with the same issuer byte for byte.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD, OPTIONS")
		return
	}
	s.debugStep(r, "discovery: authorization server metadata", nil, "user_agent", r.UserAgent())
	writeJSON(w, http.StatusOK, s.Metadata(), "public, max-age=300")
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD, OPTIONS")
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.opt.Keys.JWKS())
}

func writeJSON(w http.ResponseWriter, status int, v any, cacheControl string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", cacheControl)
	if cacheControl == "no-store" {
		w.Header().Set("Pragma", "no-cache")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	oauth.WriteJSON(w, oauth.NewError(oauth.ErrInvalidRequest, "method not allowed").WithStatus(http.StatusMethodNotAllowed))
}
