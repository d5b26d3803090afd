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
	writeJSON(w, http.StatusOK, s.describeToken(r, form), "no-store")
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

func (s *Server) describeToken(r *http.Request, form url.Values) introspection {
	token := form.Get("token")
	if form.Get("token_type_hint") != "refresh_token" && s.opt.Tokens != nil {
		if c, err := s.opt.Tokens.Inspect(r.Context(), token); err == nil {
			return introspection{Active: true, Scope: c.Scope, ClientID: c.ClientID, Sub: c.Subject, Aud: c.Audience,
				Iss: c.Issuer, Exp: c.Expiry.Unix(), Iat: c.IssuedAt.Unix(), Jti: c.ID, TokenType: "Bearer",
				Username: c.Email, Email: c.Email, Groups: c.Groups}
		}
	}
	rt, err := s.opt.Store.GetRefreshToken(r.Context(), tokens.Hash(token), s.opt.Now())
	if err != nil || !rt.RotatedAt.IsZero() {
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			s.opt.Log.Error("introspection lookup", "err", err)
		}
		return introspection{}
	}
	g, err := s.liveGrant(r.Context(), rt.GrantID)
	if err != nil {
		return introspection{}
	}
	return introspection{Active: true, Scope: oauth.FormatScope(g.Scopes), ClientID: g.ClientID, Sub: g.Identity.Subject,
		Aud: g.Resource, Iss: s.opt.Issuer, Exp: rt.ExpiresAt.Unix(), Iat: rt.CreatedAt.Unix(), TokenType: "refresh_token",
		Username: g.Identity.Email}
}
