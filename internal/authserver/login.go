package authserver

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

type loginPage struct {
	clientView
	Title, RequestID, CSRF, Username, Error string
}

// login serves the sign-in form for local users.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.opt.Password == nil {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		req, secret, ok := s.loadRequest(w, r, r.URL.Query().Get("req"))
		if ok {
			s.showLogin(w, r, req, secret, http.StatusOK, "", "")
		}
	case http.MethodPost:
		s.submitLogin(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "This address only accepts GET and POST.", "")
	}
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, req *storage.AuthRequest, secret string, status int, username, msg string) {
	c, err := s.lookupClient(r.Context(), req.ClientID)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "The application is no longer registered.", "")
		return
	}
	s.pages.render(w, status, "login.html", loginPage{
		clientView: s.describe(c, req), Title: "Sign in", RequestID: req.ID,
		CSRF: csrfToken(secret, req.ID), Username: username, Error: msg,
	}, redirectOrigin(req.RedirectURI))
}

func (s *Server) submitLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The sign-in form could not be read.", "")
		return
	}
	req, secret, ok := s.loadRequest(w, r, r.PostForm.Get("req"))
	if !ok {
		return
	}
	if !equalSecret(r.PostForm.Get("csrf"), csrfToken(secret, req.ID)) {
		s.errorPage(w, http.StatusForbidden, "The sign-in form has expired or did not come from this site.", "Go back and try again.")
		return
	}
	s.debugStep(r, "sign-in: form submitted", nil, "client_id", req.ClientID)
	if s.limited(w, r, LimitLogin, true) {
		return
	}
	username := r.PostForm.Get("username")
	try := attempt{user: username, addr: clientaddr.LimitKey(r), device: s.device(r, username)}
	wait, err := s.lockout.begin(r.Context(), try, s.opt.Now)
	switch {
	case err != nil && r.Context().Err() != nil:
		return // the browser left while waiting for a place
	case err != nil:
		s.busySignIn(w, r, req, secret, username)
		return
	case wait > 0:
		s.record(r, audit.Event{Type: audit.SignInFailed, Attempt: attemptOf(req), ClientID: req.ClientID, Reason: "locked_out"})
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.showLogin(w, r, req, secret, http.StatusTooManyRequests, username,
			"Too many failed attempts from your network or this browser. Try again in "+wait.Round(time.Second).String()+".")
		return
	}
	id, err := s.opt.Password.Authenticate(r.Context(), username, r.PostForm.Get("password"))
	// The result is counted before the attempt's place is given up.
	switch now := s.opt.Now(); {
	case errors.Is(err, identity.ErrBadCredentials):
		s.lockout.failed(try, now)
	case err == nil:
		s.lockout.succeeded(try, now)
	}
	s.lockout.release(try, s.opt.Now())
	if errors.Is(err, identity.ErrBadCredentials) {
		s.opt.Log.Info("sign-in failed", "provider", s.opt.Password.Name(), "remote", clientIP(r), "remembered_device", try.device != "")
		s.record(r, audit.Event{Type: audit.SignInFailed, Attempt: attemptOf(req), ClientID: req.ClientID, Reason: "bad_credentials"})
		s.showLogin(w, r, req, secret, http.StatusUnauthorized, username, "The username or password is not right.")
		return
	}
	if err != nil && r.Context().Err() != nil {
		return // the browser left while its password waited for a hashing slot
	}
	if errors.Is(err, identity.ErrBusy) {
		s.busySignIn(w, r, req, secret, username)
		return
	}
	if err != nil {
		s.opt.Log.Error("sign-in error", "err", err)
		s.errorPage(w, http.StatusInternalServerError, "Signing in failed on the server.", "Please try again.")
		return
	}
	s.rememberDevice(w, username)
	s.signedIn(w, r, req, secret, id, "")
}

// busySignIn answers a sign-in whose password was never checked, for want
// of a hashing slot or of a place among the attempts in flight (lockout.go):
// not a failed attempt, the form again.
func (s *Server) busySignIn(w http.ResponseWriter, r *http.Request, req *storage.AuthRequest, secret, username string) {
	s.opt.Log.Warn("sign-in refused: too many sign-ins at once", "provider", s.opt.Password.Name(), "remote", clientIP(r))
	w.Header().Set("Retry-After", "5")
	s.showLogin(w, r, req, secret, http.StatusServiceUnavailable, username,
		"Many sign-ins are being checked right now. Please try again in a few seconds.")
}

// signedIn records who signed in (once: a second sign-in for the same
// request is refused) and moves on to consent.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, req *storage.AuthRequest, secret string, id storage.Identity, upstreamSession string) {
	id = cleanIdentity(id)
	now := s.opt.Now()
	err := s.opt.Store.UpdateAuthRequest(r.Context(), req.ID, now, func(ar storage.AuthRequest) (storage.AuthRequest, error) {
		if ar.Identity != nil {
			return ar, errAlreadySignedIn
		}
		ar.Identity, ar.AuthTime, ar.UpstreamSessionID = &id, now, upstreamSession
		return ar, nil
	})
	switch {
	case errors.Is(err, errAlreadySignedIn), errors.Is(err, storage.ErrNotFound):
		s.requestGone(w)
		return
	case err != nil:
		s.opt.Log.Error("recording sign-in", "err", err)
		s.unavailablePage(w)
		return
	}
	req.Identity, req.AuthTime, req.UpstreamSessionID = &id, now, upstreamSession
	s.opt.Log.Info("signed in", "sub", id.Subject, "provider", id.Provider, "client_id", req.ClientID)
	s.record(r, audit.Event{Type: audit.SignInSucceeded, Attempt: attemptOf(req), Subject: id.Subject, ClientID: req.ClientID})
	s.decideConsent(w, r, req, secret)
}

var errAlreadySignedIn = errors.New("already signed in")

// cleanIdentity makes claims from an identity provider storable by every
// backend (no NUL, valid UTF-8).
func cleanIdentity(id storage.Identity) storage.Identity {
	id.Subject, id.Email, id.Name = storage.CleanText(id.Subject), storage.CleanText(id.Email), storage.CleanText(id.Name)
	up := &id.Upstream
	up.Issuer, up.Subject, up.SID = storage.CleanText(up.Issuer), storage.CleanText(up.Subject), storage.CleanText(up.SID)
	groups := make([]string, 0, len(id.Groups))
	for _, g := range id.Groups {
		groups = append(groups, storage.CleanText(g))
	}
	if len(groups) > 0 {
		id.Groups = groups
	}
	return id
}
