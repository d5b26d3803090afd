package gateway

import (
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// identityOf is the policy's view of the caller.
func identityOf(c *tokens.AccessClaims) policy.Identity {
	scopes, _ := oauth.ParseScope(c.Scope)
	return policy.Identity{Subject: c.Subject, Email: c.Email, Name: c.Name, Groups: c.Groups, ClientID: c.ClientID, Scopes: scopes}
}
