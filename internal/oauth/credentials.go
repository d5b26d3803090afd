package oauth

import (
	"net/http"
	"strings"
)

// The Authorization schemes of access tokens (RFC 6750 §2.1, RFC 9449 §7.1).
const (
	SchemeBearer = "Bearer"
	SchemeDPoP   = "DPoP"
)

// AccessToken reads the scheme and token of a request's one Authorization
// header, "Bearer" or "DPoP" in any case (RFC 9110 §11.1); ok is false for
// none, several, another scheme or an empty token.
func AccessToken(r *http.Request) (scheme, token string, ok bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", "", false
	}
	s, tok, found := strings.Cut(h[0], " ")
	tok = strings.TrimSpace(tok)
	if !found || tok == "" {
		return "", "", false
	}
	switch {
	case strings.EqualFold(s, SchemeBearer):
		return SchemeBearer, tok, true
	case strings.EqualFold(s, SchemeDPoP):
		return SchemeDPoP, tok, true
	}
	return "", "", false
}
