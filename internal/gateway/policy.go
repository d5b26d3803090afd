package gateway

import (
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// identityWith is the policy's view of the caller with the given scopes.
func identityWith(c *tokens.AccessClaims, scopes []string) policy.Identity {
	return policy.Identity{Subject: c.Subject, Email: c.Email, Name: c.Name, Groups: c.Groups, ClientID: c.ClientID, Scopes: scopes}
}

// identity is the policy's view of the exchange's caller, worked out once
// per request from the scopes the token check read.
func (x *exchange) identity() policy.Identity {
	if !x.haveID {
		x.id, x.haveID = identityWith(x.claims, x.scopes), true
	}
	return x.id
}
