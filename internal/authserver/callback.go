package authserver

import (
	"errors"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
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
	state := q.Get("state")
	reqID, _, found := strings.Cut(state, ".")
	if !found {
		s.errorPage(w, http.StatusBadRequest, "The identity provider sent you back without a valid state.", "Start again from your application.")
		return
	}
	req, secret, ok := s.loadRequest(w, r, reqID)
	if !ok {
		return
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
		return
	}
	if err != nil {
		s.opt.Log.Warn("callback: state rejected", "request", req.ID, "err", err)
		s.requestGone(w)
		return
	}
	if e := q.Get("error"); e != "" {
		// The user declined, or the provider refused; tell the client, but
		// only in our own words.
		s.opt.Log.Info("upstream sign-in did not complete", "error", oauth.ErrAccessDenied, "upstream_error", truncateForLog(e))
		s.record(r, audit.Event{Type: audit.SignInFailed, ClientID: req.ClientID, Reason: "upstream_refused"})
		s.backTo(req).error(w, r, oauth.NewError(oauth.ErrAccessDenied, "the user did not complete sign-in at the identity provider"))
		return
	}
	res, err := s.opt.Redirect.Exchange(r.Context(), q.Get("code"), pkceVerifier(secret, req.ID), req.UpstreamNonce)
	if err != nil {
		s.opt.Log.Warn("upstream sign-in failed", "provider", s.opt.Redirect.Name(), "err", err)
		s.record(r, audit.Event{Type: audit.SignInFailed, ClientID: req.ClientID, Reason: "upstream_error"})
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

func truncateForLog(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
