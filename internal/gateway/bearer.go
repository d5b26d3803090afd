package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// decision is the outcome of checking a request's bearer token.
type decision struct {
	claims *tokens.AccessClaims
	// status is 0 when the request may proceed, else 401 or 403.
	status    int
	challenge oauth.BearerChallenge
	// refused are the claims of a genuine token that was refused (for
	// another resource, expired, revoked, lacking a scope): who it was,
	// for the audit trail only, never to act on.
	refused *tokens.AccessClaims
}

// authorize decides whether r may reach the server: RS2 (401 with
// resource_metadata and scope), RS3 (403 insufficient_scope naming every
// scope needed), RS4 (only this issuer's tokens for this audience, only from
// the Authorization header).
func (rt *route) authorize(ctx context.Context, r *http.Request) decision {
	ch := oauth.BearerChallenge{ResourceMetadata: rt.MetadataURL, Scope: rt.Scopes}
	raw, ok := bearerToken(r)
	if !ok {
		if r.URL.Query().Has("access_token") {
			ch.Error, ch.ErrorDescription = oauth.ErrInvalidRequest, "send the access token in the Authorization header, never in the URL"
			return decision{status: http.StatusBadRequest, challenge: ch}
		}
		// RFC 6750 §3.1: no error code when the request had no credentials.
		return decision{status: http.StatusUnauthorized, challenge: ch}
	}
	claims, err := rt.gw.opt.Verifier.Verify(ctx, raw, rt.Resource)
	if err != nil {
		ch.Error, ch.ErrorDescription = oauth.ErrInvalidToken, describeTokenError(err)
		return decision{status: http.StatusUnauthorized, challenge: ch, refused: genuine(claims, err)}
	}
	have, _ := oauth.ParseScope(claims.Scope)
	if !oauth.ScopeSubset(rt.Scopes, have) {
		ch.Error, ch.ErrorDescription = oauth.ErrInsufficientScope, "the access token lacks a scope this server requires"
		return decision{status: http.StatusForbidden, challenge: ch, refused: claims}
	}
	return decision{claims: claims}
}

// bearerToken extracts the token of an "Authorization: Bearer" header; the
// scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, tok, found := strings.Cut(h[0], " ")
	tok = strings.TrimSpace(tok)
	if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// genuine returns the claims of a refused token whose signature and issuer
// verified (tokens.Verifier returns them with the error of the check that
// failed after), and nil for any other token: only this server's own
// tokens may name a client in the audit trail.
func genuine(c *tokens.AccessClaims, err error) *tokens.AccessClaims {
	if c != nil && (errors.Is(err, tokens.ErrWrongAud) || errors.Is(err, tokens.ErrExpired) || errors.Is(err, tokens.ErrRevoked)) {
		return c
	}
	return nil
}

// describeTokenError turns a verification error into a description safe to
// send: the token's own error texts are written for that.
func describeTokenError(err error) string {
	for _, known := range []error{tokens.ErrExpired, tokens.ErrWrongAud, tokens.ErrWrongIssuer, tokens.ErrRevoked, tokens.ErrBadSignature} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return tokens.ErrMalformed.Error()
}

// deny writes a 401, 403 or 400 with its WWW-Authenticate challenge and a
// JSON body so that programs and people both see why.
func deny(w http.ResponseWriter, d decision) {
	w.Header().Set("WWW-Authenticate", d.challenge.String())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(d.status)
	code := d.challenge.Error
	if code == "" {
		code = oauth.ErrInvalidToken
	}
	body, _ := jsonMarshal(oauth.Error{Code: code, Description: orDefault(d.challenge.ErrorDescription, "an access token is required")})
	_, _ = w.Write(body)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// reason names a refusal for the audit trail.
func (d decision) reason() string {
	switch {
	case d.status == http.StatusForbidden:
		return "insufficient_scope"
	case d.challenge.Error == "":
		return "no_token"
	case d.challenge.Error == oauth.ErrInvalidRequest:
		return "token_in_query"
	}
	return "invalid_token"
}
