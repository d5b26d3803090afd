package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// identityOf is the policy's view of the caller.
func identityOf(c *tokens.AccessClaims) policy.Identity {
	scopes, _ := oauth.ParseScope(c.Scope)
	return policy.Identity{Subject: c.Subject, Email: c.Email, Name: c.Name, Groups: c.Groups, ClientID: c.ClientID, Scopes: scopes}
}

// checkPolicy applies the server's rules to a call. It answers the request
// itself when the call may not proceed: with a step-up challenge when only
// scopes are missing, else with the error a server gives for something
// that does not exist, so a denial tells nothing about what exists.
func (rt *route) checkPolicy(x *exchange) bool {
	m := x.msg
	if rt.Policy == nil || m == nil || !m.parsed || m.batch {
		return true
	}
	if _, named := nameOf(m); !named {
		return true
	}
	req := policy.Request{Method: m.Method}
	req.Name, _ = nameOf(m)
	if rt.Policy.NeedsArguments() && len(m.Params.Arguments) > 0 {
		_ = json.Unmarshal(m.Params.Arguments, &req.Arguments) // undecodable: conditions treat it as absent
	}
	d := rt.Policy.Check(identityOf(x.claims), req)
	x.rule = d.Rule
	if d.Allowed {
		return true
	}
	if len(d.MissingScopes) > 0 {
		x.reason = "insufficient_scope"
		deny(x.w, decision{status: http.StatusForbidden, challenge: oauth.BearerChallenge{
			Error: oauth.ErrInsufficientScope, ErrorDescription: "this call needs more scopes",
			Scope: oauth.ScopeUnion(rt.Scopes, d.NeedScopes), ResourceMetadata: rt.MetadataURL,
		}})
		return false
	}
	x.reason = "policy"
	writeRPCNotFound(x.w, m)
	return false
}

// writeRPCNotFound answers as the MCP Go SDK answers for an unknown tool,
// prompt or resource: JSON-RPC invalid params, inside a 200 response.
func writeRPCNotFound(w http.ResponseWriter, m *message) {
	id := m.ID
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	e := map[string]any{"code": -32602}
	switch m.Method {
	case "tools/call":
		e["message"] = fmt.Sprintf("unknown tool %q", m.Params.Name)
	case "prompts/get":
		e["message"] = fmt.Sprintf("unknown prompt %q", m.Params.Name)
	default:
		e["message"] = "Resource not found"
		e["data"] = map[string]string{"uri": m.Params.URI}
	}
	body, _ := jsonMarshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": e})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
