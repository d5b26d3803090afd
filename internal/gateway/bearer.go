package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// decision is the outcome of checking a request's access token.
type decision struct {
	claims *tokens.AccessClaims
	// status is 0 when the request may proceed, else 401, 403, 400 or 503.
	status int
	// challenge carries the error, for the scheme the client used.
	challenge oauth.BearerChallenge
	// others are the challenges of the other schemes offered.
	others []oauth.BearerChallenge
	// refused are the claims of a genuine token that was refused (for
	// another resource, expired, revoked, lacking a scope): who it was,
	// for the audit trail only, never to act on.
	refused *tokens.AccessClaims
	// scopes are the token's scopes as read for the scope check, kept for
	// the policy's view of the caller.
	scopes []string
}

// Authorization schemes (RFC 6750 §2.1, RFC 9449 §7.1).
const (
	schemeBearer = oauth.SchemeBearer
	schemeDPoP   = oauth.SchemeDPoP
)

// authorize decides whether r may reach the server: RS2 (401 with
// resource_metadata and scope), RS3 (403 insufficient_scope naming every
// scope needed), RS4 (only this issuer's tokens for this audience, only from
// the Authorization header), and for DPoP-bound tokens the proof of
// possession (dpop.go).
func (rt *route) authorize(ctx context.Context, r *http.Request) decision {
	scheme, raw, ok := oauth.AccessToken(r)
	if !ok {
		if r.URL.Query().Has("access_token") {
			return rt.challenge(http.StatusBadRequest, schemeBearer, oauth.ErrInvalidRequest, "send the access token in the Authorization header, never in the URL", nil)
		}
		// RFC 6750 §3.1: no error code when the request had no credentials.
		return rt.challenge(http.StatusUnauthorized, "", "", "", nil)
	}
	if scheme == schemeBearer && rt.RequireDPoP {
		return rt.challenge(http.StatusUnauthorized, schemeDPoP, oauth.ErrInvalidToken, "this server accepts only DPoP-bound access tokens", nil)
	}
	claims, err := rt.gw.opt.Verifier.Verify(ctx, raw, rt.Resource)
	if err != nil {
		return rt.challenge(http.StatusUnauthorized, scheme, oauth.ErrInvalidToken, describeTokenError(err), genuine(claims, err))
	}
	if d := rt.checkPossession(ctx, r, scheme, raw, claims); d.status != 0 {
		return d
	}
	have, _ := oauth.ParseScope(claims.Scope)
	if !oauth.ScopeSubset(rt.Scopes, have) {
		return rt.challenge(http.StatusForbidden, scheme, oauth.ErrInsufficientScope, "the access token lacks a scope this server requires", claims)
	}
	return decision{claims: claims, scopes: have}
}

// challenge builds a refusal whose error belongs to the challenge of
// scheme, with the challenges of the other schemes the server accepts:
// Bearer unless DPoP is required, and DPoP (RFC 9449 §7.1 lets both be
// offered at once). The challenge in error comes first, so that clients
// reading only the first see it.
func (rt *route) challenge(status int, scheme, code, description string, refused *tokens.AccessClaims) decision {
	d := decision{status: status, refused: refused}
	for i, s := range rt.schemes(scheme) {
		ch := oauth.BearerChallenge{Scheme: s, ResourceMetadata: rt.MetadataURL, Scope: rt.Scopes}
		if s == schemeDPoP {
			ch.Scheme, ch.Algs = schemeDPoP, dpop.AlgorithmNames()
		} else {
			ch.Scheme = "" // rendered as Bearer
		}
		if i == 0 {
			ch.Error, ch.ErrorDescription = code, description
			d.challenge = ch
			continue
		}
		d.others = append(d.others, ch)
	}
	return d
}

// schemes are the schemes challenged, first first: Bearer first unless
// the error is DPoP's.
func (rt *route) schemes(first string) []string {
	all := []string{schemeBearer, schemeDPoP}
	if rt.RequireDPoP {
		all = []string{schemeDPoP}
	}
	if first == schemeDPoP && !rt.RequireDPoP {
		all = []string{schemeDPoP, schemeBearer}
	}
	return all
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

// deny writes a 401, 403, 400 or 503 with its WWW-Authenticate challenges
// and a JSON body so that programs and people both see why.
func deny(w http.ResponseWriter, d decision) {
	w.Header().Set("WWW-Authenticate", d.challenge.String())
	for _, ch := range d.others {
		w.Header().Add("WWW-Authenticate", ch.String())
	}
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
	case d.challenge.Error == dpop.CodeInvalidProof:
		return "invalid_dpop_proof"
	case d.challenge.Error == oauth.ErrTemporarilyUnavailable:
		return "unavailable"
	}
	return "invalid_token"
}
