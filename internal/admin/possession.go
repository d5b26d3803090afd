package admin

import (
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// checkPossession enforces a token's DPoP binding here as the gateway does
// at every MCP server (RFC 9449 §7): a bound token only with the DPoP
// scheme and a proof of its key for this very request, an unbound one only
// as Bearer. Without it a bound administrator's token, copied from a log or
// a proxy, would work here as a bearer token. It returns the refusal's
// challenge and status, or status 0 when the request may go on.
func (a *API) checkPossession(r *http.Request, scheme, raw string, c *tokens.AccessClaims) (oauth.BearerChallenge, int) {
	ch := oauth.BearerChallenge{ResourceMetadata: a.MetadataURL(), Scope: []string{Scope}}
	no := a.dpop.Possession(r.Context(), scheme, c.BoundKey(),
		dpop.Request{Header: r.Header.Values("DPoP"), Method: r.Method, URL: a.opt.Issuer + r.URL.EscapedPath(), AccessToken: raw})
	if no == nil {
		return ch, 0
	}
	if no.Err != nil {
		a.opt.Log.Error("admin API: checking a DPoP proof", "err", no.Err)
	}
	ch.Error, ch.ErrorDescription = no.Code, no.Description
	if no.Scheme == oauth.SchemeDPoP {
		ch.Scheme, ch.Algs = oauth.SchemeDPoP, dpop.AlgorithmNames()
	}
	return ch, no.Status
}
