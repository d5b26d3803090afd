package gateway

import (
	"encoding/json"
	"net/http"
)

// JSON-RPC error codes the gateway answers with.
const (
	codeInvalidRequest = -32600
	codeInternalError  = -32603
	// codeSessionNotFound is what MCP servers use for an unknown session.
	codeSessionNotFound = -32001
	// codeHeaderMismatch: MCP 2026-07-28 Streamable HTTP, "Server Validation".
	codeHeaderMismatch = -32020
	// codeRequestTooLarge is in the implementation-defined server range.
	codeRequestTooLarge = -32010
	codeForbidden       = -32011
)

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcErrorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   rpcError        `json:"error"`
}

// writeRPCError answers with a JSON-RPC error body and an HTTP status, so
// both MCP clients (reading the body) and HTTP tooling (the status) see it.
// id is the request's id when known; JSON null otherwise.
func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, code int, msg string) {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	body, _ := jsonMarshal(rpcErrorResponse{JSONRPC: "2.0", ID: id, Error: rpcError{Code: code, Message: msg}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
