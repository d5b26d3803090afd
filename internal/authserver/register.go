package authserver

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// maxRegistrationBody bounds a registration document.
const maxRegistrationBody = 64 << 10

// register is the dynamic client registration endpoint (RFC 7591 §3).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if !s.opt.DynamicRegistration {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST, OPTIONS")
		return
	}
	if s.limited(w, r, LimitRegister, false) {
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		oauth.WriteJSON(w, oauth.NewError(oauth.ErrInvalidClientMetadata, "the registration request must be application/json"))
		return
	}
	var md oauth.ClientMetadata
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRegistrationBody))
	if err != nil {
		oauth.WriteJSON(w, oauth.NewError(oauth.ErrInvalidClientMetadata, "the registration request is too large").WithStatus(http.StatusRequestEntityTooLarge))
		return
	}
	if err := json.Unmarshal(body, &md); err != nil {
		oauth.WriteJSON(w, oauth.NewError(oauth.ErrInvalidClientMetadata, "the registration request is not valid JSON for client metadata"))
		return
	}
	s.debugStep(r, "registration: request", nil, "client_name", md.ClientName, "redirect_uris", md.RedirectURIs,
		"grant_types", md.GrantTypes, "token_endpoint_auth_method", md.TokenEndpointAuthMethod, "application_type", md.ApplicationType, "scope", md.Scope)
	if oerr := s.normalizeClientMetadata(&md); oerr != nil {
		s.debugStep(r, "registration: refused", nil, "error", oerr.Code, "error_description", oerr.Description)
		oauth.WriteJSON(w, oerr)
		return
	}
	info, err := s.storeRegistration(r, md)
	if err != nil {
		s.opt.Log.Error("client registration failed", "err", err)
		oauth.WriteJSON(w, unavailable())
		return
	}
	s.opt.Log.Info("client registered", "client_id", info.ClientID, "client_name", md.ClientName, "remote", clientIP(r))
	s.record(r, audit.Event{Type: audit.ClientRegistered, ClientID: info.ClientID, UserAgent: userAgent(r)})
	writeJSON(w, http.StatusCreated, info, "no-store")
}

func (s *Server) storeRegistration(r *http.Request, md oauth.ClientMetadata) (*oauth.ClientInformation, error) {
	now := s.opt.Now()
	info := &oauth.ClientInformation{ClientID: tokens.NewID(), ClientIDIssuedAt: now.Unix(), ClientMetadata: md}
	c := storage.Client{
		ID:                      info.ClientID,
		Name:                    md.ClientName,
		RedirectURIs:            md.RedirectURIs,
		GrantTypes:              md.GrantTypes,
		ResponseTypes:           md.ResponseTypes,
		TokenEndpointAuthMethod: md.TokenEndpointAuthMethod,
		ApplicationType:         md.ApplicationType,
		Scope:                   md.Scope,
		Kind:                    storage.ClientKindDynamic,
		CreatedAt:               now,
		LastUsedAt:              now,
		ExpiresAt:               now.Add(s.opt.ClientTTL),
	}
	if md.TokenEndpointAuthMethod != authNone {
		secret := tokens.NewOpaque(tokens.PrefixClientSecret)
		c.SecretHash = tokens.Hash(secret)
		info.ClientSecret = secret
		never := int64(0)
		info.ClientSecretExpiresAt = &never
	}
	var err error
	if c.Metadata, err = json.Marshal(md); err != nil {
		return nil, err
	}
	if err := s.opt.Store.CreateClient(r.Context(), c); err != nil {
		return nil, err
	}
	return info, nil
}

// normalizeClientMetadata validates a registration request and fills in the
// defaults of RFC 7591 §2, returning the error to send if it is not acceptable.
func (s *Server) normalizeClientMetadata(md *oauth.ClientMetadata) *oauth.Error {
	if len(md.RedirectURIs) == 0 {
		return oauth.NewError(oauth.ErrInvalidRedirectURI, "at least one redirect_uri is required")
	}
	if len(md.RedirectURIs) > 20 {
		return oauth.NewError(oauth.ErrInvalidRedirectURI, "at most 20 redirect_uris may be registered")
	}
	if md.ApplicationType == "" {
		md.ApplicationType = oauth.InferApplicationType(md.RedirectURIs)
	}
	if md.ApplicationType != oauth.AppTypeWeb && md.ApplicationType != oauth.AppTypeNative {
		return oauth.NewError(oauth.ErrInvalidClientMetadata, "application_type must be web or native")
	}
	for _, u := range md.RedirectURIs {
		if err := oauth.ValidateRedirectURI(u, md.ApplicationType, s.opt.RedirectPolicy); err != nil {
			return oauth.NewError(oauth.ErrInvalidRedirectURI, err.Error())
		}
	}
	if md.TokenEndpointAuthMethod == "" {
		md.TokenEndpointAuthMethod = authSecretBasic // RFC 7591 §2 default
	}
	if !slices.Contains([]string{authNone, authSecretBasic, authSecretPost}, md.TokenEndpointAuthMethod) {
		return oauth.NewError(oauth.ErrInvalidClientMetadata, "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post")
	}
	if len(md.GrantTypes) == 0 {
		md.GrantTypes = []string{grantAuthorizationCode}
	}
	for _, g := range md.GrantTypes {
		switch g {
		case grantAuthorizationCode, grantRefreshToken:
		case grantClientCredentials:
			// Refused, not dropped (RFC 7591 §2 allows either): a client
			// that asked for a machine grant and silently got a registration
			// without it would fail later, at the token endpoint, far from
			// the cause. Only the operator configures machine clients
			// (client.allowsGrant).
			return oauth.NewError(oauth.ErrInvalidClientMetadata, "the client_credentials grant is only for clients configured by the operator")
		default:
			return oauth.NewError(oauth.ErrInvalidClientMetadata, fmt.Sprintf("grant type %q is not supported", g))
		}
	}
	if len(md.ResponseTypes) == 0 {
		md.ResponseTypes = []string{"code"}
	}
	if !slices.Equal(md.ResponseTypes, []string{"code"}) || !slices.Contains(md.GrantTypes, grantAuthorizationCode) {
		return oauth.NewError(oauth.ErrInvalidClientMetadata, "only response_types [\"code\"] with the authorization_code grant is supported")
	}
	if _, err := oauth.ParseScope(md.Scope); err != nil {
		return oauth.NewError(oauth.ErrInvalidClientMetadata, err.Error())
	}
	return checkClientStrings(md)
}

// checkClientStrings bounds the free-text fields and requires the URL
// fields to be web URLs, since they may be shown or linked on pages.
func checkClientStrings(md *oauth.ClientMetadata) *oauth.Error {
	all := append([]string{md.ClientName, md.ClientURI, md.LogoURI, md.TOSURI, md.PolicyURI, md.SoftwareID,
		md.SoftwareVersion, md.Scope, md.TokenEndpointAuthMethod, md.ApplicationType}, md.Contacts...)
	all = append(append(append(all, md.RedirectURIs...), md.GrantTypes...), md.ResponseTypes...)
	for _, v := range all {
		if !storage.Storable(v) {
			return oauth.NewError(oauth.ErrInvalidClientMetadata, "client metadata must be UTF-8 text without NUL")
		}
	}
	for name, v := range map[string]string{"client_name": md.ClientName, "software_id": md.SoftwareID, "software_version": md.SoftwareVersion} {
		if len(v) > 200 {
			return oauth.NewError(oauth.ErrInvalidClientMetadata, name+" is longer than 200 characters")
		}
	}
	for name, v := range map[string]string{"client_uri": md.ClientURI, "logo_uri": md.LogoURI, "tos_uri": md.TOSURI, "policy_uri": md.PolicyURI} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || len(v) > 2048 || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return oauth.NewError(oauth.ErrInvalidClientMetadata, name+" must be an http or https URL")
		}
	}
	if len(md.Contacts) > 10 {
		return oauth.NewError(oauth.ErrInvalidClientMetadata, "at most 10 contacts")
	}
	return nil
}
