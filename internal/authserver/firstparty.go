package authserver

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// ErrNotFirstParty: RedeemCode was asked for a client that is not a public
// client from the configuration.
var ErrNotFirstParty = errors.New("authserver: not a first-party client")

// RedeemCode redeems an authorization code for a first-party client that
// runs inside Drawbridge itself (the web console), without a round trip
// through the network to our own token endpoint: the public URL may not be
// reachable from here (split-horizon DNS, a load balancer without
// hairpinning). It runs the authorization-code grant exactly as the token
// endpoint does (single use, client, redirect URI, PKCE verifier and
// resource binding, a grant recorded and audited) and returns the access
// token. r is the browser's request that brought the code, for the audit
// trail and its context.
func (s *Server) RedeemCode(r *http.Request, clientID, code, verifier, redirectURI string) (string, error) {
	c, ok := s.clients[clientID]
	if !ok || c.Kind != storage.ClientKindConfig || c.TokenEndpointAuthMethod != authNone {
		return "", ErrNotFirstParty
	}
	tr := &tokenRequest{client: c, form: url.Values{"grant_type": {grantAuthorizationCode}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {redirectURI}}}
	resp, oerr := s.codeGrant(r, tr)
	if oerr != nil {
		return "", oerr
	}
	return resp.AccessToken, nil
}
