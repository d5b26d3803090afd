package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
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
	Data    any    `json:"data,omitempty"`
}

type rpcErrorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   rpcError        `json:"error"`
}

// rpcErrorJSON encodes a JSON-RPC error response. id is the request's
// (canonical) id when known; JSON null otherwise.
func rpcErrorJSON(id []byte, code int, msg string, data any) []byte {
	if len(id) == 0 {
		id = []byte("null")
	}
	body, _ := jsonMarshal(rpcErrorResponse{JSONRPC: "2.0", ID: id, Error: rpcError{Code: code, Message: msg, Data: data}})
	return body
}

// writeRPCError answers with a JSON-RPC error body and an HTTP status, so
// both MCP clients (reading the body) and HTTP tooling (the status) see it.
func writeRPCError(w http.ResponseWriter, status int, id []byte, code int, msg string) {
	writeRPC(w, status, rpcErrorJSON(id, code, msg, nil))
}

// writeRPC answers with a JSON-RPC message the gateway made.
func writeRPC(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func itoa(n int) string { return strconv.Itoa(n) }

func quote(s string) string { return strconv.Quote(s) }
