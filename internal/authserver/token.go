package authserver

import (
	"mime"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// tokenRequest is a parsed token request after client authentication.
type tokenRequest struct {
	form   url.Values
	client *client
}

// token is the token endpoint (OAuth 2.1 §3.2). It runs fixed phases: parse
// once, authenticate the client, then the grant's own part, so no grant can
// skip a shared step.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST, OPTIONS")
		return
	}
	form, oerr := parseTokenForm(w, r)
	if oerr == nil {
		var c *client
		if c, oerr = s.authenticateClient(r, form); oerr == nil {
			oerr = s.runGrant(w, r, &tokenRequest{form: form, client: c})
		}
	}
	if oerr != nil {
		if oerr.Code == oauth.ErrInvalidClient && r.Header.Get("Authorization") != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="drawbridge"`)
		}
		oauth.WriteJSON(w, oerr)
	}
}

func (s *Server) runGrant(w http.ResponseWriter, r *http.Request, tr *tokenRequest) *oauth.Error {
	grant := tr.form.Get("grant_type")
	switch grant {
	case grantAuthorizationCode, grantRefreshToken:
	case "":
		return oauth.NewError(oauth.ErrInvalidRequest, "grant_type is required")
	default:
		return oauth.NewError(oauth.ErrUnsupportedGrantType, "grant_type must be authorization_code or refresh_token")
	}
	if !tr.client.allowsGrant(grant) {
		return oauth.NewError(oauth.ErrUnauthorizedClient, "this client is not registered for the "+grant+" grant")
	}
	var resp *oauth.TokenResponse
	var oerr *oauth.Error
	if grant == grantAuthorizationCode {
		resp, oerr = s.codeGrant(r, tr)
	} else {
		resp, oerr = s.refreshGrant(r, tr)
	}
	if oerr != nil {
		return oerr
	}
	s.touchClient(r.Context(), tr.client)
	writeJSON(w, http.StatusOK, resp, "no-store")
	return nil
}

// parseTokenForm reads the form body; parameters may not repeat (OAuth 2.1
// §3.2.2) and may not come in the query string.
func parseTokenForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauth.Error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "the token request must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "the token request body could not be parsed")
	}
	if r.URL.RawQuery != "" {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "token request parameters must be sent in the body, not the URL")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, oauth.NewError(oauth.ErrInvalidRequest, "the parameter "+k+" appears more than once")
		}
	}
	return r.PostForm, nil
}

// authenticateClient identifies the client (RFC 6749 §2.3): HTTP Basic,
// client_secret in the body, or a public client by client_id alone. A client
// must use exactly one method, and the one it registered.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (*client, *oauth.Error) {
	id, secret, method, oerr := clientCredentials(r, form)
	if oerr != nil {
		return nil, oerr
	}
	c, err := s.lookupClient(r.Context(), id)
	if err != nil {
		return nil, oauth.InvalidClient("client authentication failed")
	}
	if c.SecretHash == "" {
		if method != authNone {
			return nil, oauth.InvalidClient("this client is public and must not send a secret")
		}
		return c, nil
	}
	if method == authNone || !c.checkSecret(secret) {
		s.opt.Log.Info("client authentication failed", "client_id", c.ID, "remote", clientIP(r))
		return nil, oauth.InvalidClient("client authentication failed")
	}
	// A config client may use either secret method; a registered client the
	// one it asked for.
	if c.Kind != storage.ClientKindConfig && method != c.TokenEndpointAuthMethod {
		return nil, oauth.InvalidClient("use the token_endpoint_auth_method the client registered")
	}
	return c, nil
}

func clientCredentials(r *http.Request, form url.Values) (id, secret, method string, oerr *oauth.Error) {
	if user, pass, ok := r.BasicAuth(); ok {
		if form.Get("client_secret") != "" {
			return "", "", "", oauth.NewError(oauth.ErrInvalidRequest, "use one client authentication method, not two")
		}
		// RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || id == "" {
			return "", "", "", oauth.InvalidClient("malformed client credentials")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return "", "", "", oauth.NewError(oauth.ErrInvalidRequest, "client_id does not match the authenticated client")
		}
		return id, secret, authSecretBasic, nil
	}
	id = form.Get("client_id")
	if id == "" {
		return "", "", "", oauth.InvalidClient("client_id is required")
	}
	if secret = form.Get("client_secret"); secret != "" {
		return id, secret, authSecretPost, nil
	}
	return id, "", authNone, nil
}

// issueTokens mints an access token for a grant and, when given, returns
// the refresh token with it.
func (s *Server) issueTokens(g *storage.Grant, scopes []string, refresh string) (*oauth.TokenResponse, *oauth.Error) {
	now := s.opt.Now()
	at, err := s.opt.Keys.Mint(tokens.AccessClaims{
		Issuer: s.opt.Issuer, Subject: g.Identity.Subject, Audience: g.Resource,
		ClientID: g.ClientID, Scope: oauth.FormatScope(scopes), GrantID: g.ID,
		IssuedAt: now, Expiry: now.Add(s.opt.AccessTokenTTL), AuthTime: g.AuthTime,
		Email: g.Identity.Email, Name: g.Identity.Name, Groups: g.Identity.Groups, IdP: g.Identity.Provider,
	})
	if err != nil {
		s.opt.Log.Error("minting access token", "err", err)
		return nil, oauth.ServerError()
	}
	return &oauth.TokenResponse{
		AccessToken:  at,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.opt.AccessTokenTTL.Seconds()),
		RefreshToken: refresh,
		Scope:        oauth.FormatScope(scopes),
	}, nil
}

// wantsRefreshToken: refresh tokens go to clients that registered the
// refresh_token grant or asked for offline_access (MCP 2026-07-28 leaves the
// decision to the authorization server).
func wantsRefreshToken(c *client, scopes []string) bool {
	return c.allowsGrant(grantRefreshToken) || containsString(scopes, scopeOfflineAccess)
}

// newRefreshToken returns a refresh token and its record, expiring with
// the grant at the latest.
func (s *Server) newRefreshToken(g *storage.Grant) (string, storage.RefreshToken) {
	now := s.opt.Now()
	exp := now.Add(s.opt.RefreshTokenTTL)
	if exp.After(g.ExpiresAt) {
		exp = g.ExpiresAt
	}
	rt := tokens.NewOpaque(tokens.PrefixRefreshToken)
	return rt, storage.RefreshToken{Hash: tokens.Hash(rt), GrantID: g.ID, CreatedAt: now, ExpiresAt: exp}
}
