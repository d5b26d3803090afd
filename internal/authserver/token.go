package authserver

import (
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// tokenRequest is a parsed token request after client authentication.
type tokenRequest struct {
	form   url.Values
	client *client
	// grantID is the grant an authorization code names, once the code is
	// found, for the audit trail.
	grantID string
	// jkt is the thumbprint of the key of the request's DPoP proof; the
	// tokens issued are bound to it (RFC 9449 §5). Empty: no proof.
	jkt string
}

// token is the token endpoint (OAuth 2.1 §3.2). It runs fixed phases: parse
// once, authenticate the client, then the grant's own part, so no grant can
// skip a shared step.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST, OPTIONS")
		return
	}
	if s.limited(w, r, LimitToken, false) {
		return
	}
	form, oerr := parseTokenRequest(w, r)
	s.debugStep(r, "token: request", form, "basic_auth", r.Header.Get("Authorization") != "")
	var tr *tokenRequest
	if oerr == nil {
		var c *client
		if c, oerr = s.authenticateClient(r, form); oerr == nil {
			tr = &tokenRequest{form: form, client: c}
			if tr.jkt, oerr = s.checkTokenProof(w, r); oerr == nil {
				oerr = s.runGrant(w, r, tr)
			}
		}
	}
	if oerr != nil {
		s.debugStep(r, "token: error", nil, "error", oerr.Code, "error_description", oerr.Description)
		s.recordTokenFailure(r, form, tr, oerr)
		if oerr.Code == oauth.ErrInvalidClient && r.Header.Get("Authorization") != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="drawbridge"`)
		}
		oauth.WriteJSON(w, oerr)
	}
}

func (s *Server) runGrant(w http.ResponseWriter, r *http.Request, tr *tokenRequest) *oauth.Error {
	grant := tr.form.Get("grant_type")
	run, ok := map[string]func(*http.Request, *tokenRequest) (*oauth.TokenResponse, *oauth.Error){
		grantAuthorizationCode: s.codeGrant,
		grantRefreshToken:      s.refreshGrant,
		grantClientCredentials: s.clientCredentialsGrant,
		grantJWTBearer:         s.jwtBearerGrant,
		grantTokenExchange:     s.tokenExchangeGrant,
	}[grant]
	switch {
	case grant == "":
		return oauth.NewError(oauth.ErrInvalidRequest, "grant_type is required")
	case !ok, grant == grantJWTBearer && !s.idjag.Trusts(), grant == grantTokenExchange && len(s.issue) == 0:
		return oauth.NewError(oauth.ErrUnsupportedGrantType, "grant_type must be authorization_code, refresh_token or client_credentials")
	case grant == grantTokenExchange && tr.client.TokenEndpointAuthMethod == authNone:
		// The draft (§7.1) supports identity assertion grants for
		// confidential clients only: the grant names the client at the
		// other server, which must be able to hold it to its credentials.
		return oauth.InvalidClient("only confidential clients may request identity assertion grants")
	case grant == grantJWTBearer && (!tr.client.allowsGrant(grant) || tr.client.TokenEndpointAuthMethod == authNone):
		// Each IdP lists, besides, which of these may redeem its grants
		// (checked with the assertion).
		return oauth.NewError(oauth.ErrUnauthorizedClient, "only confidential clients configured by the operator for the jwt-bearer grant may redeem an identity assertion grant")
	case grant == grantClientCredentials && !tr.client.allowsGrant(grant):
		return oauth.NewError(oauth.ErrUnauthorizedClient, "only clients configured by the operator may use the client_credentials grant")
	case grant != grantRefreshToken && !tr.client.allowsGrant(grant):
		// Whether a client may refresh depends on the grant whose token
		// it presents (checkRefresh).
		return notRegisteredFor(grant)
	}
	resp, oerr := run(r, tr)
	if oerr != nil {
		return oerr
	}
	s.touchClient(r.Context(), tr.client)
	s.debugStep(r, "token: issued", nil, "client_id", tr.client.ID, "grant_type", grant, "scope", resp.Scope,
		"expires_in", resp.ExpiresIn, "refresh_token_issued", resp.RefreshToken != "")
	writeJSON(w, http.StatusOK, resp, "no-store")
	return nil
}

// parseTokenRequest reads a token request. Only resource may repeat (RFC
// 8707 §2), so more than one is not a malformed request: it asks for more
// than this server issues a token for, which is invalid_target, as at
// /authorize.
func parseTokenRequest(w http.ResponseWriter, r *http.Request) (url.Values, *oauth.Error) {
	form, oerr := parseTokenForm(w, r, "resource")
	if oerr == nil && len(form["resource"]) > 1 {
		return nil, oauth.NewError(oauth.ErrInvalidTarget, "only one resource may be requested at a time")
	}
	return form, oerr
}

// parseTokenForm reads the form body; parameters other than those named
// repeatable may not repeat (OAuth 2.1 §3.2.2), and none may come in the
// query string.
func parseTokenForm(w http.ResponseWriter, r *http.Request, repeatable ...string) (url.Values, *oauth.Error) {
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
		if len(v) > 1 && !containsString(repeatable, k) {
			return nil, oauth.NewError(oauth.ErrInvalidRequest, "the parameter "+k+" appears more than once")
		}
	}
	return r.PostForm, nil
}

// authenticateClient identifies the client (RFC 6749 §2.3): HTTP Basic,
// client_secret in the body, a signed assertion (RFC 7523), or a public
// client by client_id alone. A client must use exactly one method, and the
// one it registered.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (*client, *oauth.Error) {
	id, secret, method, oerr := clientCredentials(r, form)
	if oerr != nil {
		return nil, oerr
	}
	c, err := s.lookupClient(r.Context(), id)
	var ce *cimd.Error
	if errors.As(err, &ce) {
		return nil, oauth.InvalidClient(ce.Description)
	}
	if errors.Is(err, errStoreFailed) {
		s.opt.Log.Error("token: looking up the client", "err", err)
		return nil, unavailable()
	}
	if err != nil {
		return nil, oauth.InvalidClient("client authentication failed")
	}
	if oerr := s.checkClientAuth(r, c, method, secret); oerr != nil {
		s.opt.Log.Info("client authentication failed", "client_id", c.ID, "method", method, "remote", clientIP(r))
		return nil, oerr
	}
	return c, nil
}

func (s *Server) checkClientAuth(r *http.Request, c *client, method, credential string) *oauth.Error {
	registered := c.TokenEndpointAuthMethod
	switch {
	case registered == authNone:
		if method != authNone {
			return oauth.InvalidClient("this client is public and must not send credentials")
		}
		return nil
	case registered == authPrivateKeyJWT:
		if method != authPrivateKeyJWT {
			return oauth.InvalidClient("this client must authenticate with private_key_jwt")
		}
		return s.verifyAssertion(r.Context(), c, credential)
	case method != authSecretBasic && method != authSecretPost:
		return oauth.InvalidClient("client authentication failed")
	case !c.checkSecret(credential):
		return oauth.InvalidClient("client authentication failed")
	case c.Kind != storage.ClientKindConfig && method != registered:
		// A config client may use either secret method; a registered client
		// the one it asked for.
		return oauth.InvalidClient("use the token_endpoint_auth_method the client registered")
	}
	return nil
}

// clientCredentials extracts who the client claims to be and its
// credential (secret or assertion), and the method it used.
func clientCredentials(r *http.Request, form url.Values) (id, credential, method string, oerr *oauth.Error) {
	if at := form.Get("client_assertion_type"); at != "" || form.Get("client_assertion") != "" {
		return assertionCredentials(r, form)
	}
	if user, pass, ok := r.BasicAuth(); ok {
		if form.Get("client_secret") != "" {
			return "", "", "", oauth.NewError(oauth.ErrInvalidRequest, "use one client authentication method, not two")
		}
		// RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		credential, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || id == "" {
			return "", "", "", oauth.InvalidClient("malformed client credentials")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return "", "", "", oauth.NewError(oauth.ErrInvalidRequest, "client_id does not match the authenticated client")
		}
		return id, credential, authSecretBasic, nil
	}
	id = form.Get("client_id")
	if id == "" {
		return "", "", "", oauth.InvalidClient("client_id is required")
	}
	if credential = form.Get("client_secret"); credential != "" {
		return id, credential, authSecretPost, nil
	}
	return id, "", authNone, nil
}

// issueTokens mints an access token for a grant and, when given, returns
// the refresh token with it.
func (s *Server) issueTokens(tr *tokenRequest, g *storage.Grant, scopes []string, refresh string) (*oauth.TokenResponse, *oauth.Error) {
	now := s.opt.Now()
	claims := tokens.AccessClaims{
		Issuer: s.opt.Issuer, Subject: g.Identity.Subject, Audience: g.Resource,
		ClientID: g.ClientID, Scope: oauth.FormatScope(scopes), GrantID: g.ID,
		IssuedAt: now, Expiry: now.Add(s.opt.AccessTokenTTL), AuthTime: g.AuthTime,
		Email: g.Identity.Email, Name: g.Identity.Name, Groups: g.Identity.Groups, IdP: g.Identity.Provider,
	}
	tokenType := "Bearer"
	if tr.jkt != "" {
		// RFC 9449 §6.1: the token names its key; §5: token_type DPoP.
		claims.Confirmation, tokenType = &tokens.Confirmation{JKT: tr.jkt}, "DPoP"
	}
	at, err := s.opt.Keys.Mint(claims)
	if err != nil {
		s.opt.Log.Error("minting access token", "err", err)
		return nil, oauth.ServerError()
	}
	return &oauth.TokenResponse{
		AccessToken:  at,
		TokenType:    tokenType,
		ExpiresIn:    int64(s.opt.AccessTokenTTL.Seconds()),
		RefreshToken: refresh,
		Scope:        oauth.FormatScope(scopes),
	}, nil
}

func notRegisteredFor(grant string) *oauth.Error {
	return oauth.NewError(oauth.ErrUnauthorizedClient, "this client is not registered for the "+grant+" grant")
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

func assertionCredentials(r *http.Request, form url.Values) (id, credential, method string, oerr *oauth.Error) {
	if _, _, ok := r.BasicAuth(); ok || form.Get("client_secret") != "" {
		return "", "", "", oauth.NewError(oauth.ErrInvalidRequest, "use one client authentication method, not two")
	}
	if form.Get("client_assertion_type") != assertionTypeJWTBearer {
		return "", "", "", oauth.InvalidClient("client_assertion_type must be " + assertionTypeJWTBearer)
	}
	assertion := form.Get("client_assertion")
	sub, err := assertionSubject(assertion)
	if err != nil || sub == "" {
		return "", "", "", oauth.InvalidClient("the client assertion is malformed")
	}
	if fid := form.Get("client_id"); fid != "" && fid != sub {
		return "", "", "", oauth.InvalidClient("client_id does not match the client assertion")
	}
	return sub, assertion, authPrivateKeyJWT, nil
}
