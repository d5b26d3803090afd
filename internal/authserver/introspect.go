package authserver

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// introspection is the response of RFC 7662 §2.2.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Username  string   `json:"username,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       string   `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	Email     string   `json:"email,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	// Cnf is the key a DPoP-bound token is bound to (RFC 9449 §6.2).
	Cnf *tokens.Confirmation `json:"cnf,omitempty"`
}

// introspect is the token introspection endpoint (RFC 7662), for backends
// that prefer asking to verifying JWTs themselves. Only the configured
// backends may call it (§4: the endpoint must be protected, or it becomes a
// token-scanning oracle).
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	if len(s.opt.Introspectors) == 0 {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	if !s.introspectorAuthenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="drawbridge introspection"`)
		oauth.WriteJSON(w, oauth.InvalidClient("introspection needs a backend's credentials"))
		return
	}
	form, oerr := parseTokenForm(w, r)
	if oerr == nil && form.Get("token") == "" {
		oerr = oauth.NewError(oauth.ErrInvalidRequest, "token is required")
	}
	if oerr != nil {
		oauth.WriteJSON(w, oerr)
		return
	}
	desc, err := s.describeToken(r, form)
	if err != nil {
		// "Inactive" would be a lie a backend acts on: it would refuse a
		// good token, or drop a session, for the length of an outage.
		s.opt.Log.Error("introspection lookup", "err", err)
		oauth.WriteJSON(w, unavailable())
		return
	}
	writeJSON(w, http.StatusOK, desc, "no-store")
}

func (s *Server) introspectorAuthenticated(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	user, _ = url.QueryUnescape(user)
	pass, _ = url.QueryUnescape(pass)
	match := 0
	for _, in := range s.opt.Introspectors {
		// Compare every entry in constant time; never stop early.
		idOK := subtle.ConstantTimeCompare([]byte(user), []byte(in.ID))
		secretOK := subtle.ConstantTimeCompare([]byte(tokens.Hash(pass)), []byte(tokens.Hash(in.Secret)))
		match |= idOK & secretOK
	}
	return match == 1
}

// describeToken says what the token is; an error means the store could not
// say.
func (s *Server) describeToken(r *http.Request, form url.Values) (introspection, error) {
	token := form.Get("token")
	if form.Get("token_type_hint") != "refresh_token" && s.opt.Tokens != nil {
		if c, err := s.opt.Tokens.Inspect(r.Context(), token); err == nil {
			return introspection{Active: true, Scope: c.Scope, ClientID: c.ClientID, Sub: c.Subject, Aud: c.Audience,
				Iss: c.Issuer, Exp: c.Expiry.Unix(), Iat: c.IssuedAt.Unix(), Jti: c.ID, TokenType: tokenType(c),
				Username: c.Email, Email: c.Email, Groups: c.Groups, Cnf: c.Confirmation}, nil
		}
	}
	rt, err := s.opt.Store.GetRefreshToken(r.Context(), tokens.Hash(token), s.opt.Now())
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return introspection{}, nil
	case err != nil:
		return introspection{}, err
	case !rt.RotatedAt.IsZero():
		return introspection{}, nil
	}
	g, err := s.liveGrant(r.Context(), rt.GrantID)
	switch {
	case errors.Is(err, errNoSuchToken):
		return introspection{}, nil
	case err != nil:
		return introspection{}, err
	}
	return introspection{Active: true, Scope: oauth.FormatScope(g.Scopes), ClientID: g.ClientID, Sub: g.Identity.Subject,
		Aud: g.Resource, Iss: s.opt.Issuer, Exp: rt.ExpiresAt.Unix(), Iat: rt.CreatedAt.Unix(), TokenType: "refresh_token",
		Username: g.Identity.Email}, nil
}

// tokenType is the token_type of an access token in introspection: DPoP
// for a bound token (RFC 9449 §6.2), else Bearer.
func tokenType(c *tokens.AccessClaims) string {
	if c.BoundKey() != "" {
		return "DPoP"
	}
	return "Bearer"
}
