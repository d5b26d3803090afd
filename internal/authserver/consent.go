package authserver

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// decideConsent issues a code at once when this user already approved this
// client for these scopes on this resource (SEC1: checked server-side, per
// user, client and resource); otherwise it asks. Scopes approved for another
// resource do not count, even under the same name: offline_access for one
// MCP server is not offline_access for the next.
func (s *Server) decideConsent(w http.ResponseWriter, r *http.Request, req *storage.AuthRequest, secret string) {
	c, err := s.lookupClient(r.Context(), req.ClientID)
	if errors.Is(err, errStoreFailed) {
		s.opt.Log.Error("consent: looking up the client", "err", err)
		s.backTo(req).error(w, r, unavailableRedirect())
		return
	}
	if err != nil {
		s.clientGone(w, err)
		return
	}
	if c.skipConsent {
		s.issueCode(w, r, req, "consent_not_required")
		return
	}
	prior, err := s.opt.Store.GetConsent(r.Context(), req.Identity.Subject, c.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.opt.Log.Error("loading consent", "err", err)
		s.backTo(req).error(w, r, unavailableRedirect())
		return
	}
	if approved, ok := prior.ScopesFor(req.Resource); err == nil && ok && oauth.ScopeSubset(req.Scopes, approved) {
		s.issueCode(w, r, req, "consent_remembered")
		return
	}
	http.Redirect(w, r, PathConsent+"?req="+url.QueryEscape(req.ID), http.StatusSeeOther)
}

type consentPage struct {
	clientView
	Title, RequestID, CSRF, User, RedirectHost string
	Scopes                                     []scopeView
	Previously                                 []string
}

type scopeView struct{ Name, Description string }

func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	if s.noSignIn(w, r) {
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.showConsent(w, r)
	case http.MethodPost:
		s.submitConsent(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "This address only accepts GET and POST.", "")
	}
}

func (s *Server) showConsent(w http.ResponseWriter, r *http.Request) {
	req, secret, ok := s.loadRequest(w, r, r.URL.Query().Get("req"))
	if !ok {
		return
	}
	if req.Identity == nil {
		s.errorPage(w, http.StatusBadRequest, "Sign in first.", "Start again from your application.")
		return
	}
	c, err := s.lookupClient(r.Context(), req.ClientID)
	if err != nil {
		s.clientGone(w, err)
		return
	}
	page := consentPage{
		clientView: s.describe(c, req), Title: "Allow access?", RequestID: req.ID,
		CSRF: csrfToken(secret, req.ID), User: userLabel(req.Identity),
		RedirectHost: redirectOrigin(req.RedirectURI),
	}
	// Incremental consent: list what is new, and mention what was approved
	// for this resource (what was approved for another one is new here).
	prior, _ := s.opt.Store.GetConsent(r.Context(), req.Identity.Subject, c.ID)
	approved, _ := prior.ScopesFor(req.Resource)
	for _, sc := range req.Scopes {
		if containsString(approved, sc) {
			page.Previously = append(page.Previously, sc)
			continue
		}
		page.Scopes = append(page.Scopes, scopeView{Name: sc, Description: s.scopeDescription(sc)})
	}
	s.pages.render(w, http.StatusOK, "consent.html", page, redirectOrigin(req.RedirectURI))
}

// clientGone answers a request in progress whose client can no longer be
// used, with a page and never a redirect to the client.
func (s *Server) clientGone(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errStoreFailed):
		s.opt.Log.Error("consent: looking up the client", "err", err)
		s.unavailablePage(w)
	case errors.Is(err, errClientBlocked):
		s.blockedPage(w)
	default:
		s.errorPage(w, http.StatusBadRequest, "The application is no longer registered.", "")
	}
}

func userLabel(id *storage.Identity) string {
	switch {
	case id.Email != "":
		return id.Email
	case id.Name != "":
		return id.Name
	}
	return id.Subject
}

func (s *Server) scopeDescription(sc string) string {
	if d, ok := s.opt.ScopeDescriptions[sc]; ok {
		return d
	}
	if sc == scopeOfflineAccess {
		return "stay connected when you are not using it (refresh tokens)"
	}
	return ""
}

func (s *Server) submitConsent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The consent form could not be read.", "")
		return
	}
	req, secret, ok := s.loadRequest(w, r, r.PostForm.Get("req"))
	if !ok {
		return
	}
	if !equalSecret(r.PostForm.Get("csrf"), csrfToken(secret, req.ID)) {
		s.opt.Log.Warn("consent: CSRF token missing or wrong", "request", req.ID, "remote", clientIP(r))
		s.errorPage(w, http.StatusForbidden, "This consent form has expired or did not come from this site.", "Nothing was approved. Start again from your application.")
		return
	}
	if req.Identity == nil {
		s.errorPage(w, http.StatusBadRequest, "Sign in first.", "Start again from your application.")
		return
	}
	// The client may have been blocked (or deleted) since the page was
	// shown: then neither a code nor an error goes to its redirect URI.
	if _, err := s.lookupClient(r.Context(), req.ClientID); err != nil {
		s.clientGone(w, err)
		return
	}
	s.debugStep(r, "consent: answered", nil, "client_id", req.ClientID, "action", r.PostForm.Get("action"))
	switch r.PostForm.Get("action") {
	case "approve":
		now := s.opt.Now()
		_, err := s.opt.Store.UpsertConsent(r.Context(), storage.Consent{
			Subject: req.Identity.Subject, ClientID: req.ClientID,
			Approved: map[string][]string{req.Resource: req.Scopes}, CreatedAt: now, UpdatedAt: now,
		})
		if err != nil {
			s.opt.Log.Error("storing consent", "err", err)
			s.unavailablePage(w)
			return
		}
		s.opt.Log.Info("consent given", "sub", req.Identity.Subject, "client_id", req.ClientID, "scope", oauth.FormatScope(req.Scopes))
		s.record(r, audit.Event{Type: audit.ConsentGiven, Attempt: attemptOf(req), Subject: req.Identity.Subject, ClientID: req.ClientID,
			Scope: oauth.FormatScope(req.Scopes), Resource: req.Resource})
		s.issueCode(w, r, req, "consent_given")
	case "deny":
		s.opt.Log.Info("consent denied", "sub", req.Identity.Subject, "client_id", req.ClientID)
		s.record(r, audit.Event{Type: audit.ConsentDenied, Attempt: attemptOf(req), Subject: req.Identity.Subject, ClientID: req.ClientID,
			Scope: oauth.FormatScope(req.Scopes), Resource: req.Resource})
		_ = s.opt.Store.DeleteAuthRequest(r.Context(), req.ID)
		s.backTo(req).error(w, r, oauth.NewError(oauth.ErrAccessDenied, "the user denied the request"))
	default:
		s.errorPage(w, http.StatusBadRequest, "Choose Allow or Deny.", "")
	}
}

// issueCode ends the authorization request with a code (OAuth 2.1 §4.1.2):
// 256 random bits, stored as a hash with everything it is bound to. how
// says why no consent page stood in the way, for the audit trail.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, req *storage.AuthRequest, how string) {
	if s.signInGone(w, r, req) {
		return
	}
	// Deleting first makes the request single-use: a second submit finds nothing.
	if err := s.opt.Store.DeleteAuthRequest(r.Context(), req.ID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			s.requestGone(w)
			return
		}
		s.opt.Log.Error("ending authorization request", "err", err)
		s.backTo(req).error(w, r, unavailableRedirect())
		return
	}
	code := tokens.NewOpaque(tokens.PrefixCode)
	now := s.opt.Now()
	grantID := tokens.NewID()
	err := s.opt.Store.CreateAuthCode(r.Context(), storage.AuthCode{
		Hash: tokens.Hash(code), ClientID: req.ClientID, RedirectURI: req.RedirectURI,
		CodeChallenge: req.CodeChallenge, Resource: req.Resource, Scopes: req.Scopes,
		Identity: *req.Identity, AuthTime: req.AuthTime, GrantID: grantID, UpstreamSessionID: req.UpstreamSessionID,
		DPoPJKT: req.DPoPJKT, CreatedAt: now, ExpiresAt: now.Add(s.opt.CodeTTL),
	})
	if err != nil {
		s.opt.Log.Error("storing authorization code", "err", err)
		s.backTo(req).error(w, r, unavailableRedirect())
		return
	}
	s.debugStep(r, "authorize: code sent to the client", nil, "client_id", req.ClientID, "redirect_uri", req.RedirectURI)
	s.record(r, audit.Event{Type: audit.AuthorizeCompleted, Attempt: attemptOf(req), Subject: req.Identity.Subject,
		ClientID: req.ClientID, GrantID: grantID, Resource: req.Resource, Scope: oauth.FormatScope(req.Scopes), Rule: how})
	s.backTo(req).code(w, r, code)
}

// signInGone answers an authorization whose sign-in has ended since it
// was made (the user's grants revoked, an upstream logout: see
// recheckGrant) with a page, and ends the request: the user must sign in
// again. It spares the user a code that the token endpoint would refuse;
// that refusal, not this, is what holds when an end comes in between.
func (s *Server) signInGone(w http.ResponseWriter, r *http.Request, req *storage.AuthRequest) bool {
	ended, err := revoke.SignInEnded(r.Context(), s.opt.Store, *req.Identity, req.ClientID, req.AuthTime)
	switch {
	case err != nil:
		s.opt.Log.Error("authorize: looking up ended sign-ins", "err", err)
		s.backTo(req).error(w, r, unavailableRedirect())
		return true
	case !ended:
		return false
	}
	_ = s.opt.Store.DeleteAuthRequest(r.Context(), req.ID)
	s.opt.Log.Warn("authorization refused: the sign-in has ended", "sub", req.Identity.Subject, "client_id", req.ClientID)
	s.record(r, audit.Event{Type: audit.AuthorizeRefused, Attempt: attemptOf(req), Subject: req.Identity.Subject,
		ClientID: req.ClientID, Reason: reasonSignInEnded})
	s.errorPage(w, http.StatusForbidden, "Your sign-in has ended.",
		"You were signed out after you signed in here. Nothing was approved. Start again from your application.")
	return true
}
