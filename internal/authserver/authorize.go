package authserver

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// authorize is the authorization endpoint (OAuth 2.1 §4.1.1). Errors about
// the client or its redirect URI are shown to the user, because redirecting
// to an unverified URI is an open redirect (§4.1.2.1); every other error goes
// back to the client with state and iss (RFC 9207).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if s.noSignIn(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "This address only accepts GET and POST.", "")
		return
	}
	if s.limited(w, r, LimitAuthorize, true) {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The authorization request is malformed.", "")
		return
	}
	q := r.Form
	s.debugStep(r, "authorize: request", q, "user_agent", r.UserAgent())
	if d := duplicatedParam(q, "client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method", "scope", "dpop_jkt"); d != "" {
		s.recordRefused(r, q, "duplicate_parameter", "the parameter "+d+" appears more than once")
		s.errorPage(w, http.StatusBadRequest, "The authorization request is malformed.", "The parameter "+d+" appears more than once.")
		return
	}
	c, redirectURI, ok := s.authorizeClient(w, r, q)
	if !ok {
		return
	}
	back := &redirect{uri: redirectURI, state: q.Get("state"), iss: s.opt.Issuer, debug: s.debugStep}
	req, oerr := s.checkAuthorizeRequest(c, q)
	if oerr != nil {
		s.recordRefused(r, q, oerr.Code, oerr.Description)
		back.error(w, r, oerr)
		return
	}
	req.RedirectURI = redirectURI
	secret := s.browserSecret(w, r, true)
	req.BrowserHash = tokens.Hash(secret)
	s.startLogin(w, r, req, secret, back)
}

// authorizeClient finds the client and checks the redirect URI: until both
// are known good, an error is a page for the person and never a redirect
// (RFC 6749 §4.1.2.1). ok is false when the page has been written.
func (s *Server) authorizeClient(w http.ResponseWriter, r *http.Request, q url.Values) (_ *client, redirectURI string, ok bool) {
	c, err := s.lookupClient(r.Context(), q.Get("client_id"))
	if errors.Is(err, errStoreFailed) {
		s.opt.Log.Error("authorize: looking up the client", "err", err)
		s.unavailablePage(w)
		return nil, "", false
	}
	if errors.Is(err, errClientBlocked) {
		s.recordRefused(r, q, "client_blocked", "an administrator blocked this client")
		s.blockedPage(w)
		return nil, "", false
	}
	if err != nil {
		reason, detail := clientRefusal(err)
		s.recordRefused(r, q, reason, detail)
		s.errorPage(w, http.StatusBadRequest, "The application that sent you here is not registered with this server.", clientError(err))
		return nil, "", false
	}
	redirectURI = q.Get("redirect_uri")
	if redirectURI == "" || !oauth.MatchRedirectURI(c.RedirectURIs, redirectURI) {
		s.opt.Log.Warn("authorize: unregistered redirect_uri", "client_id", c.ID)
		s.recordRefused(r, q, "redirect_uri_mismatch", redirectMismatch(redirectURI))
		s.errorPage(w, http.StatusBadRequest, "The application asked to send you to an address it has not registered.",
			"For your safety you were not redirected. The redirect_uri is missing or does not match a registered one.")
		return nil, "", false
	}
	if err := oauth.CheckHost(redirectURI); err != nil {
		// Registration refuses such hosts; a client registered before it
		// did may still hold one, which must reach no page policy or header.
		s.opt.Log.Warn("authorize: registered redirect_uri with a host no longer accepted", "client_id", c.ID)
		s.recordRefused(r, q, "redirect_host_refused", "the redirect_uri's host is no longer accepted; the client must register again")
		s.errorPage(w, http.StatusBadRequest, "The application's redirect address is not allowed.",
			"For your safety you were not redirected. The application must register again with a plain host name.")
		return nil, "", false
	}
	return c, redirectURI, true
}

// checkAuthorizeRequest validates everything but the client and redirect URI
// and returns the request to store.
func (s *Server) checkAuthorizeRequest(c *client, q url.Values) (*storage.AuthRequest, *oauth.Error) {
	if rt := q.Get("response_type"); rt != "code" {
		return nil, oauth.NewError(oauth.ErrUnsupportedResponseType, "response_type must be code")
	}
	if !c.allowsGrant(grantAuthorizationCode) {
		return nil, oauth.NewError(oauth.ErrUnauthorizedClient, "this client is not registered for the authorization_code grant")
	}
	if err := oauth.ValidateCodeChallenge(q.Get("code_challenge"), q.Get("code_challenge_method")); err != nil {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, err.Error())
	}
	if len(q.Get("state")) > 2048 {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "state is longer than 2048 bytes")
	}
	if !storage.Storable(q.Get("state")) {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "state must be UTF-8 text without NUL")
	}
	res, oerr := s.resource(q["resource"])
	if oerr != nil {
		return nil, oerr
	}
	requested, err := oauth.ParseScope(q.Get("scope"))
	if err != nil {
		return nil, oauth.NewError(oauth.ErrInvalidScope, err.Error())
	}
	jkt := q.Get("dpop_jkt")
	if jkt != "" && !dpop.ValidThumbprint(jkt) {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "dpop_jkt must be a base64url SHA-256 JWK thumbprint")
	}
	now := s.opt.Now()
	return &storage.AuthRequest{
		ID:            tokens.NewID(),
		ClientID:      c.ID,
		State:         q.Get("state"),
		Scopes:        s.grantableScopes(res, requested),
		Resource:      res.URL,
		CodeChallenge: q.Get("code_challenge"),
		DPoPJKT:       jkt,
		CreatedAt:     now,
		ExpiresAt:     now.Add(s.opt.LoginTTL),
	}, nil
}

// startLogin stores the request and sends the browser to sign in.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, req *storage.AuthRequest, secret string, back *redirect) {
	var upstreamURL string
	if s.opt.Redirect != nil {
		state := req.ID + "." + tokens.NewOpaque("")
		req.UpstreamState = tokens.Hash(state)
		req.UpstreamNonce = tokens.NewID()
		challenge := oauth.S256Challenge(pkceVerifier(secret, req.ID))
		var err error
		upstreamURL, err = s.opt.Redirect.AuthCodeURL(r.Context(), state, req.UpstreamNonce, challenge)
		if err != nil {
			s.opt.Log.Error("authorize: identity provider unavailable", "provider", s.opt.Redirect.Name(), "err", err)
			s.recordRefused(r, r.Form, oauth.ErrTemporarilyUnavailable, "the identity provider could not be reached")
			back.error(w, r, oauth.NewError(oauth.ErrTemporarilyUnavailable, "the identity provider cannot be reached; try again shortly"))
			return
		}
	}
	if err := s.opt.Store.CreateAuthRequest(r.Context(), *req); err != nil {
		s.opt.Log.Error("authorize: storing request", "err", err)
		back.error(w, r, unavailableRedirect())
		return
	}
	s.opt.Log.Debug("authorize: login started", "client_id", req.ClientID, "request", req.ID, "resource", req.Resource)
	s.record(r, audit.Event{Type: audit.AuthorizeStarted, Attempt: attemptOf(req), ClientID: req.ClientID,
		Resource: req.Resource, Scope: oauth.FormatScope(req.Scopes)})
	if upstreamURL != "" {
		http.Redirect(w, r, upstreamURL, http.StatusFound)
		return
	}
	http.Redirect(w, r, PathLogin+"?req="+url.QueryEscape(req.ID), http.StatusSeeOther)
}

// redirectMismatch says, for the audit trail, which redirect_uri was
// refused: the client's own value, which an administrator compares with
// its registration.
func redirectMismatch(uri string) string {
	if uri == "" {
		return "no redirect_uri was sent"
	}
	return "the redirect_uri " + strconv.Quote(uri) + " is not one the client registered"
}

// duplicatedParam returns the first name that appears more than once;
// OAuth 2.1 §3.1 forbids repeating request parameters.
func duplicatedParam(q url.Values, names ...string) string {
	for _, n := range names {
		if len(q[n]) > 1 {
			return n
		}
	}
	return ""
}

// redirect is where an authorization response goes.
type redirect struct {
	uri, state, iss string
	// debug, when set, traces what is sent back (Server.debugStep).
	debug func(r *http.Request, step string, params url.Values, attrs ...any)
}

// error sends an error response to the client (RFC 6749 §4.1.2.1, RFC 9207).
func (b *redirect) error(w http.ResponseWriter, r *http.Request, e *oauth.Error) {
	if b.debug != nil {
		b.debug(r, "authorize: error sent to the client", nil, "error", e.Code, "error_description", e.Description)
	}
	b.send(w, r, url.Values{"error": {e.Code}, "error_description": {e.Description}})
}

// code sends the authorization code.
func (b *redirect) code(w http.ResponseWriter, r *http.Request, code string) {
	b.send(w, r, url.Values{"code": {code}})
}

func (b *redirect) send(w http.ResponseWriter, r *http.Request, params url.Values) {
	u, err := url.Parse(b.uri)
	if err != nil { // registered URIs were validated; this cannot happen
		http.Error(w, "bad redirect URI", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, v := range params {
		if v[0] != "" {
			q[k] = v
		}
	}
	if b.state != "" {
		q.Set("state", b.state)
	}
	q.Set("iss", b.iss)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// requestExpired is shown when a login or consent took too long.
func (s *Server) requestGone(w http.ResponseWriter) {
	s.errorPage(w, http.StatusBadRequest, "This sign-in request has expired or was already completed.",
		"Sign-in requests are valid for "+s.opt.LoginTTL.Round(time.Minute).String()+". Start again from your application.")
}
