package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// store is the in-memory op.Storage behind a Provider. One mutex guards
// everything: a test provider never sees enough traffic for it to matter.
type store struct {
	mu sync.Mutex

	clients map[string]*client
	// idjagClients maps "<client> <audience>" to the client_id of the
	// ID-JAGs issued (SetIDJAGClient).
	idjagClients map[string]string
	users        map[string]User
	requests     map[string]*authRequest // by request ID
	codes        map[string]string       // code -> request ID
	access       map[string]*accessToken // by token ID
	refresh      map[string]*refreshRequest
	jtis         map[string]time.Time // client assertion IDs seen, until they expire
	sessions     []session            // every login, in order

	key       signingKey
	rogue     signingKey // signs when signRogue is set; never published
	signRogue bool
	autoLogin string
	entra     bool
	tenantID  string
	// exchangeAudiences, if set, are the only audiences token exchange and
	// on-behalf-of requests may ask for.
	exchangeAudiences []string
	// interaction lists users whose on-behalf-of requests need MFA.
	interaction map[string]bool
	accessTTL   time.Duration
	refreshTTL  time.Duration
}

var (
	_ op.Storage                   = (*store)(nil)
	_ op.CanSetUserinfoFromRequest = (*store)(nil)
)

var errNotFound = errors.New("oidctest: not found")

// session is one login at the provider: a session ID (the sid claim) and
// who signed in.
type session struct{ sid, username string }

func newID() string { return rand.Text() }

// CreateAuthRequest stores a validated authorization request.
func (s *store) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &authRequest{
		id:           newID(),
		clientID:     r.ClientID,
		redirectURI:  r.RedirectURI,
		state:        r.State,
		nonce:        r.Nonce,
		scopes:       slices.Clone([]string(r.Scopes)),
		responseType: r.ResponseType,
		responseMode: r.ResponseMode,
	}
	if r.CodeChallenge != "" {
		a.codeChallenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.requests[a.id] = a
	return a, nil
}

func (s *store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return nil, errNotFound
	}
	return a, nil
}

func (s *store) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[s.codes[code]]
	if !ok {
		return nil, errNotFound
	}
	return a, nil
}

func (s *store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs when a code is redeemed; deleting the code with it
// makes codes single-use (RFC 6749, section 4.1.2).
func (s *store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// completeLogin marks the request as signed in by user.
func (s *store) completeLogin(id string, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	u, ok := s.users[username]
	if !ok {
		return fmt.Errorf("oidctest: unknown user %q", username)
	}
	a.username, a.subject = username, u.subject()
	a.sid = newID()
	s.sessions = append(s.sessions, session{sid: a.sid, username: username})
	a.authTime = time.Now()
	a.done = true
	return nil
}

func (s *store) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newAccessToken(r)
}

func (s *store) newAccessToken(r op.TokenRequest) (string, time.Time, error) {
	var username string
	switch r := r.(type) {
	case userRequest:
		username = r.user()
	case op.TokenExchangeRequest:
		username = s.exchangedUser(r)
	case *machineRequest:
		username = "" // no user: the client itself
	default:
		return "", time.Time{}, fmt.Errorf("oidctest: unsupported token request %T", r)
	}
	var clientID string
	if c, ok := r.(interface{ GetClientID() string }); ok {
		clientID = c.GetClientID()
	}
	id := newID()
	exp := time.Now().Add(s.accessTTL)
	s.access[id] = &accessToken{username: username, clientID: clientID, scopes: slices.Clone(r.GetScopes()),
		audience: slices.Clone(r.GetAudience()), expires: exp}
	return id, exp, nil
}

// CreateAccessAndRefreshTokens issues a refresh token on the first code
// exchange with offline_access, and rotates it on every refresh.
func (s *store) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, exp, err := s.newAccessToken(r)
	if err != nil {
		return "", "", time.Time{}, err
	}
	rt := &refreshRequest{token: rand.Text() + rand.Text(), expires: time.Now().Add(s.refreshTTL)}
	switch r := r.(type) {
	case *authRequest:
		rt.clientID, rt.username, rt.subject, rt.sid = r.clientID, r.username, r.subject, r.sid
		rt.scopes, rt.audience, rt.authTime = slices.Clone(r.scopes), r.GetAudience(), r.authTime
	case *refreshRequest:
		if _, ok := s.refresh[current]; !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refresh, current)
		rt.clientID, rt.username, rt.subject, rt.sid = r.clientID, r.username, r.subject, r.sid
		rt.scopes, rt.audience, rt.authTime = slices.Clone(r.scopes), r.audience, r.authTime
	default:
		return "", "", time.Time{}, fmt.Errorf("oidctest: unsupported token request %T", r)
	}
	s.refresh[rt.token] = rt
	return id, rt.token, exp, nil
}

// TokenRequestByRefreshToken returns a copy, so that a narrowed scope on one
// refresh does not change the stored grant.
func (s *store) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok || time.Now().After(rt.expires) {
		return nil, op.ErrInvalidRefreshToken
	}
	c := *rt
	c.scopes = slices.Clone(rt.scopes)
	return &c, nil
}

func (s *store) TerminateSession(context.Context, string, string) error { return nil }

func (s *store) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refresh[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.refresh, tokenOrID)
		return nil
	}
	delete(s.access, tokenOrID)
	return nil
}

func (s *store) GetRefreshTokenInfo(_ context.Context, _, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.subject, rt.token, nil
}

func (s *store) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signRogue {
		return s.rogue, nil
	}
	return s.key, nil
}

func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *store) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("oidctest: unknown client %q", id)
	}
	return c, nil
}

func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.secret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return errors.New("oidctest: invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *store) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	ur, ok := r.(userRequest)
	if !ok {
		return fmt.Errorf("oidctest: unsupported ID token request %T", r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fillUserinfo(ui, ur.user(), scopes); err != nil {
		return err
	}
	// The session ID, as providers that support back-channel logout send
	// it (OIDC Back-Channel Logout 1.0, section 2.1). Userinfo has none.
	if sr, ok := r.(sessionRequest); ok && sr.session() != "" {
		ui.AppendClaims("sid", sr.session())
	}
	return nil
}

// SetUserinfoFromToken serves the userinfo endpoint.
func (s *store) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[tokenID]
	if !ok || time.Now().After(t.expires) {
		return errNotFound
	}
	return s.fillUserinfo(ui, t.username, t.scopes)
}

func (s *store) fillUserinfo(ui *oidc.UserInfo, username string, scopes []string) error {
	u, ok := s.users[username]
	if !ok {
		return fmt.Errorf("oidctest: unknown user %q", username)
	}
	u.claims(ui, scopes, s.entra, s.tenantID)
	return nil
}

func (s *store) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("oidctest: introspection is not supported")
}

// GetPrivateClaimsFromScopes adds nothing: access tokens are opaque.
func (s *store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID is the op library's default way to find a client's
// key; this provider checks client assertions with certKeySet instead, which
// also knows certificate thumbprints, so nothing calls it.
func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("oidctest: client keys are looked up by certKeySet")
}

func (s *store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oidctest: the JWT profile grant is not supported")
}

func (s *store) Health(context.Context) error { return nil }
