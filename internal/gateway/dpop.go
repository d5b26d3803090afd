package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// checkPossession enforces DPoP binding (RFC 9449 §7): a bound token only
// with the DPoP scheme and a proof of its key for this very request; an
// unbound token only as Bearer, so that the scheme always says what the
// token is. It returns a zero decision when the request may go on.
func (rt *route) checkPossession(ctx context.Context, r *http.Request, scheme, raw string, claims *tokens.AccessClaims) decision {
	jkt := claims.BoundKey()
	switch {
	case scheme == schemeBearer && jkt != "":
		// §7.2 and §11.1: a bound token is worthless without its key,
		// which is the point: refuse it as a bearer token.
		return rt.challenge(http.StatusUnauthorized, schemeBearer, oauth.ErrInvalidToken,
			"the access token is DPoP-bound: present it with the DPoP scheme and a DPoP proof", claims)
	case scheme == schemeBearer:
		return decision{}
	case jkt == "":
		return rt.challenge(http.StatusUnauthorized, schemeDPoP, oauth.ErrInvalidToken,
			"the access token is not DPoP-bound: present it with the Bearer scheme", claims)
	}
	p, err := rt.gw.dpop.Check(ctx, dpop.Request{Header: r.Header.Values("DPoP"), Method: r.Method, URL: rt.requestURL(r), AccessToken: raw})
	switch {
	case errors.Is(err, dpop.ErrUnavailable):
		rt.gw.opt.Log.Error("checking a DPoP proof", "server", rt.Name, "err", err)
		return rt.challenge(http.StatusServiceUnavailable, schemeDPoP, oauth.ErrTemporarilyUnavailable, "try again shortly", claims)
	case err != nil:
		// §7.1: a proof that fails a check is invalid_dpop_proof, with 401.
		return rt.challenge(http.StatusUnauthorized, schemeDPoP, dpop.CodeInvalidProof, err.Error(), claims)
	}
	if err := p.Bound(jkt); err != nil {
		// §7.1 (Figure 13): the proof is good but of another key.
		return rt.challenge(http.StatusUnauthorized, schemeDPoP, oauth.ErrInvalidToken, err.Error(), claims)
	}
	return decision{}
}

// requestURL is the public URL of r, which htu must name: the server's
// resource URL, followed by whatever of the path lies beyond the endpoint
// (the legacy transport's message path). It is built from configuration,
// never from the request's Host header.
func (rt *route) requestURL(r *http.Request) string {
	return rt.Resource + strings.TrimPrefix(r.URL.EscapedPath(), rt.Path)
}
