package authserver

import (
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// checkTokenProof checks the DPoP proof of a token request, if it has one
// (RFC 9449 §5), against the token endpoint's public URL, and returns its
// key's thumbprint: the tokens issued are bound to it. A request without
// a proof gets bearer tokens, unless what it redeems is bound (checked by
// each grant). When server nonces are on, every answer carries the current
// one (§8.2), so a client always holds a fresh nonce.
func (s *Server) checkTokenProof(w http.ResponseWriter, r *http.Request) (string, *oauth.Error) {
	if s.opt.DPoPNonces != nil {
		w.Header().Set("DPoP-Nonce", s.opt.DPoPNonces.Current())
	}
	h := r.Header.Values("DPoP")
	if len(h) == 0 {
		return "", nil
	}
	p, err := s.dpop.Check(r.Context(), dpop.Request{Header: h, Method: http.MethodPost, URL: s.url(PathToken)})
	switch {
	case errors.Is(err, dpop.ErrUnavailable):
		s.opt.Log.Error("token: checking a DPoP proof", "err", err)
		return "", unavailable()
	case err != nil:
		// §5: invalid_dpop_proof (400); §8: use_dpop_nonce (400) with
		// the nonce in the DPoP-Nonce header, set above.
		return "", oauth.NewError(dpop.Code(err), err.Error())
	}
	return p.JKT, nil
}

// refreshBinding is the key a new grant's refresh tokens are bound to:
// a public client's proof key (RFC 9449 §5). A confidential client's
// refresh tokens are bound to its credentials already, and stay unbound.
func refreshBinding(tr *tokenRequest) string {
	if tr.client.TokenEndpointAuthMethod == authNone {
		return tr.jkt
	}
	return ""
}
