package gateway

import (
	"net/http"
	"strconv"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
)

// writeRPCError is how the gateway answers a request it refuses itself: a
// JSON-RPC error response for MCP clients (which read the body) with an
// HTTP status for HTTP tooling. id is the refused request's id; nil when
// the body is not one request whose id is known.
func writeRPCError(w http.ResponseWriter, status int, id []byte, e *jsonrpc.Error) {
	writeJSON(w, status, jsonrpc.ErrorResponse(id, e))
}

// writeJSON writes an answer the gateway makes itself; like every such
// answer (refusals, a batch refused whole) it is never cached.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func itoa(n int) string { return strconv.Itoa(n) }

func quote(s string) string { return strconv.Quote(s) }
