package gateway

import (
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// identityWith is the policy's view of the caller with the given scopes.
func identityWith(c *tokens.AccessClaims, scopes []string) policy.Identity {
	return policy.Identity{Subject: c.Subject, Email: c.Email, Name: c.Name, Groups: c.Groups, ClientID: c.ClientID, Scopes: scopes}
}

// identity is the policy's view of the exchange's caller, worked out once
// per request from the scopes the token check read (or, in an exchange
// the token check did not fill, from the token's claims).
func (x *exchange) identity() policy.Identity {
	if !x.haveID {
		scopes := x.scopes
		if scopes == nil {
			scopes, _ = oauth.ParseScope(x.claims.Scope)
		}
		x.id, x.haveID = identityWith(x.claims, scopes), true
	}
	return x.id
}
