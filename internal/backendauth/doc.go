// Package backendauth gives each MCP backend its own credential, so that
// the client's token never has to leave the gateway (MCP "Token Handling":
// no token passthrough). A Credential adds headers to each proxied request:
// an identity assertion signed by Drawbridge, a token of the backend's own
// from an OAuth client-credentials grant, and so on; static secret headers
// from configuration are added by the gateway itself.
package backendauth

import (
	"context"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// Credential produces the headers that authenticate one request to a
// backend, given who the caller is.
type Credential interface {
	Headers(ctx context.Context, caller *tokens.AccessClaims) (http.Header, error)
}
