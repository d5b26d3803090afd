package authserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// The browser cookie holds a random secret. Storage keeps only its hash
// (AuthRequest.BrowserHash); the secret itself derives the per-request CSRF
// tokens and the upstream PKCE verifier, so a database reader can forge
// neither.
const browserCookie = "drawbridge-browser"

func (s *Server) cookieName() string {
	if s.opt.SecureCookies {
		// __Host-: Secure, Path=/ and no Domain, so no sibling host can set
		// or overwrite it (RFC 6265bis §4.1.3.2).
		return "__Host-" + browserCookie
	}
	return browserCookie
}

// browserSecret returns the browser's secret, setting a new cookie when the
// browser has none (or it looks wrong) and create is true.
func (s *Server) browserSecret(w http.ResponseWriter, r *http.Request, create bool) string {
	if c, err := r.Cookie(s.cookieName()); err == nil && len(c.Value) == 47 {
		if create {
			s.setBrowserCookie(w, c.Value) // extend its life for this flow
		}
		return c.Value
	}
	if !create {
		return ""
	}
	secret := tokens.NewOpaque("dbb_")
	s.setBrowserCookie(w, secret)
	return secret
}

func (s *Server) setBrowserCookie(w http.ResponseWriter, v string) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(),
		Value:    v,
		Path:     "/",
		MaxAge:   int(s.opt.LoginTTL.Seconds()),
		HttpOnly: true,
		Secure:   s.opt.SecureCookies,
		// Lax: sent on the top-level redirect back from the identity
		// provider, never on cross-site subrequests or POSTs.
		SameSite: http.SameSiteLaxMode,
	})
}

// derive returns a value only the holder of the browser secret can compute.
func derive(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func csrfToken(secret, reqID string) string { return derive(secret, "csrf "+reqID) }

func pkceVerifier(secret, reqID string) string { return derive(secret, "upstream-pkce "+reqID) }

func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
