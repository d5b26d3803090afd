package gateway

import (
	"context"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// checkPossession enforces the token's DPoP binding (dpop.Checker's
// Possession). It returns a zero decision when the request may go on.
func (rt *route) checkPossession(ctx context.Context, r *http.Request, scheme, raw string, claims *tokens.AccessClaims) decision {
	no := rt.gw.dpop.Possession(ctx, scheme, claims.BoundKey(),
		dpop.Request{Header: r.Header.Values("DPoP"), Method: r.Method, URL: rt.requestURL(r), AccessToken: raw})
	if no == nil {
		return decision{}
	}
	if no.Err != nil {
		rt.gw.opt.Log.Error("checking a DPoP proof", "server", rt.Name, "err", no.Err)
	}
	return rt.challenge(no.Status, no.Scheme, no.Code, no.Description, claims)
}

// requestURL is the public URL of r, which htu must name: the server's
// resource URL, followed by whatever of the path lies beyond the endpoint
// (the legacy transport's message path). It is built from configuration,
// never from the request's Host header.
func (rt *route) requestURL(r *http.Request) string {
	return rt.Resource + strings.TrimPrefix(r.URL.EscapedPath(), rt.Path)
}
