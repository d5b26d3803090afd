package oidctest

import (
	"log/slog"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequest is an authorization request between /authorize and the code
// exchange. It implements op.AuthRequest.
type authRequest struct {
	id            string
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge

	// Set by the login page.
	username string
	subject  string
	sid      string // the provider's session of this login
	authTime time.Time
	done     bool
}

var (
	_ op.AuthRequest         = (*authRequest)(nil)
	_ op.LogAuthRequest      = (*authRequest)(nil)
	_ op.IDTokenRequest      = (*refreshRequest)(nil)
	_ op.RefreshTokenRequest = (*refreshRequest)(nil)
)

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }
func (a *authRequest) user() string                          { return a.username }
func (a *authRequest) session() string                       { return a.sid }

// GetAudience is the ID token's aud (the library adds the client ID anyway).
func (a *authRequest) GetAudience() []string { return []string{a.clientID} }

// LogValue keeps the library's logs free of state, nonce and PKCE values.
func (a *authRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", a.id), slog.String("client_id", a.clientID))
}

// refreshRequest is what a refresh token stands for: the original sign-in.
// It implements op.RefreshTokenRequest.
type refreshRequest struct {
	token    string
	clientID string
	username string
	subject  string
	sid      string
	scopes   []string
	audience []string
	authTime time.Time
	expires  time.Time
}

func (r *refreshRequest) GetAMR() []string            { return []string{"pwd"} }
func (r *refreshRequest) GetAudience() []string       { return r.audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.authTime }
func (r *refreshRequest) GetClientID() string         { return r.clientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = slices.Clone(s) }
func (r *refreshRequest) user() string                { return r.username }
func (r *refreshRequest) session() string             { return r.sid }

// accessToken is an issued (opaque) access token, for the userinfo endpoint.
type accessToken struct {
	username string
	clientID string
	scopes   []string
	audience []string
	expires  time.Time
}

// userRequest is implemented by every request that carries a signed-in user.
type userRequest interface{ user() string }

// sessionRequest is implemented by requests that belong to a login
// session, whose ID tokens carry its sid.
type sessionRequest interface{ session() string }
