package authserver

import (
	"errors"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/aadsts"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

var errStateUsed = errors.New("upstream state already used")

// callback is where the upstream identity provider sends the browser back.
// The state is checked exactly and consumed once (SEC2): it names the
// request, must hash to what was stored, and must come back to the browser
// that left.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	if s.opt.Redirect == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		s.errorPage(w, http.StatusMethodNotAllowed, "This address only accepts GET.", "")
		return
	}
	q := r.URL.Query()
	s.debugStep(r, "callback: from the identity provider", q)
	req, secret, ok := s.takeState(w, r, q.Get("state"))
	if !ok {
		return
	}
	if e := q.Get("error"); e != "" {
		// The user declined, or the provider refused; tell the client, but
		// only in our own words.
		detail := upstreamRefusal(e, q.Get("error_description"))
		s.opt.Log.Info("upstream sign-in did not complete", "error", oauth.ErrAccessDenied, "upstream_error", truncateForLog(e),
			"upstream_error_description", detail, "fix", aadsts.Fix(detail))
		s.record(r, audit.Event{Type: audit.SignInFailed, Attempt: attemptOf(req), ClientID: req.ClientID, Reason: "upstream_refused", Detail: detail})
		s.backTo(req).error(w, r, oauth.NewError(oauth.ErrAccessDenied, "the user did not complete sign-in at the identity provider"))
		return
	}
	res, err := s.opt.Redirect.Exchange(r.Context(), q.Get("code"), pkceVerifier(secret, req.ID), req.UpstreamNonce)
	if err != nil {
		detail := upstreamFailure(err)
		s.opt.Log.Warn("upstream sign-in failed", "provider", s.opt.Redirect.Name(), "err", err, "fix", aadsts.Fix(detail))
		s.record(r, audit.Event{Type: audit.SignInFailed, Attempt: attemptOf(req), ClientID: req.ClientID, Reason: "upstream_error", Detail: detail})
		s.errorPage(w, http.StatusBadGateway, "Signing in with your identity provider failed.", "Start again from your application. If it keeps happening, tell your administrator.")
		return
	}
	var session string
	if s.opt.Vault != nil && res.AccessToken != "" {
		session, err = s.opt.Vault.Save(r.Context(), res.Identity.Subject, vault.Tokens{AccessToken: res.AccessToken,
			RefreshToken: res.RefreshToken, IDToken: res.IDToken, Expiry: res.Expiry})
		if err != nil {
			s.opt.Log.Error("keeping the upstream tokens", "err", err)
			s.errorPage(w, http.StatusInternalServerError, "Signing in failed on the server.", "Please try again.")
			return
		}
	}
	s.signedIn(w, r, req, secret, res.Identity, session)
}

// takeState finds the sign-in request the identity provider's state
// names, in the browser that started it, and uses the state up: it is good
// once (SEC2; RFC 9700 §4.7). ok is false when the page has been written.
func (s *Server) takeState(w http.ResponseWriter, r *http.Request, state string) (*storage.AuthRequest, string, bool) {
	reqID, _, found := strings.Cut(state, ".")
	if !found {
		s.errorPage(w, http.StatusBadRequest, "The identity provider sent you back without a valid state.", "Start again from your application.")
		return nil, "", false
	}
	req, secret, ok := s.loadRequest(w, r, reqID)
	if !ok {
		return nil, "", false
	}
	err := s.opt.Store.UpdateAuthRequest(r.Context(), req.ID, s.opt.Now(), func(ar storage.AuthRequest) (storage.AuthRequest, error) {
		if ar.UpstreamState == "" || !equalSecret(tokens.Hash(state), ar.UpstreamState) {
			return ar, errStateUsed
		}
		ar.UpstreamState = ""
		return ar, nil
	})
	if err != nil && !errors.Is(err, errStateUsed) && !errors.Is(err, storage.ErrNotFound) {
		s.opt.Log.Error("callback: checking state", "request", req.ID, "err", err)
		s.unavailablePage(w)
		return nil, "", false
	}
	if err != nil {
		s.opt.Log.Warn("callback: state rejected", "request", req.ID, "err", err)
		s.requestGone(w)
		return nil, "", false
	}
	return req, secret, true
}

// upstreamRefusal is what an identity provider said when it sent the
// browser back with an error (OIDC Core §3.1.2.6), cleaned for the audit
// trail: the provider's own words, which are no secret and often the only
// clue (Entra's AADSTS codes).
func upstreamRefusal(code, description string) string {
	if description == "" {
		return audit.Detail(code)
	}
	return audit.Detail(code + ": " + description)
}

// upstreamFailure describes a failed code exchange or ID token check for
// the audit trail: the token endpoint's error code and description, never
// the response body or anything sent. Other failures (an ID token that
// does not verify) are only in the log: their errors are not written to
// be shown.
func upstreamFailure(err error) string {
	var te *oauthclient.TokenError
	if errors.As(err, &te) {
		return upstreamRefusal(te.Code, te.Description)
	}
	return "the identity provider's answer could not be verified (the server log has the cause)"
}

func truncateForLog(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
