package admin

import (
	"errors"
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
	ch := oauth.BearerChallenge{ResourceMetadata: a.MetadataURL(), Scope: []string{Scope}, Error: oauth.ErrInvalidToken}
	jkt := c.BoundKey()
	switch {
	case scheme == oauth.SchemeBearer && jkt == "":
		return ch, 0
	case scheme == oauth.SchemeBearer:
		ch.ErrorDescription = "the access token is DPoP-bound: present it with the DPoP scheme and a DPoP proof"
		return ch, http.StatusUnauthorized
	}
	ch.Scheme, ch.Algs = oauth.SchemeDPoP, dpop.AlgorithmNames()
	if jkt == "" {
		ch.ErrorDescription = "the access token is not DPoP-bound: present it with the Bearer scheme"
		return ch, http.StatusUnauthorized
	}
	p, err := a.dpop.Check(r.Context(), dpop.Request{Header: r.Header.Values("DPoP"), Method: r.Method,
		URL: a.opt.Issuer + r.URL.EscapedPath(), AccessToken: raw})
	switch {
	case errors.Is(err, dpop.ErrUnavailable):
		a.opt.Log.Error("admin API: checking a DPoP proof", "err", err)
		ch.Error, ch.ErrorDescription = oauth.ErrTemporarilyUnavailable, "try again shortly"
		return ch, http.StatusServiceUnavailable
	case err != nil:
		ch.Error, ch.ErrorDescription = dpop.CodeInvalidProof, err.Error()
		return ch, http.StatusUnauthorized
	}
	if err := p.Bound(jkt); err != nil {
		ch.ErrorDescription = err.Error()
		return ch, http.StatusUnauthorized
	}
	return ch, 0
}
