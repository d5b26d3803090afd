package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// JSON-RPC 2.0 error codes (§5.1).
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// Codes in the range JSON-RPC 2.0 leaves to the implementation for server
// errors (-32000 to -32099, §5.1), as MCP servers and the gateway use them.
const (
	// CodeSessionNotFound is what MCP servers answer for an unknown
	// session.
	CodeSessionNotFound = -32001
	// CodeRequestTooLarge: the request body is over the size limit.
	CodeRequestTooLarge = -32010
	// CodeForbidden: the caller may not use the server at all (address,
	// origin, connect policy).
	CodeForbidden = -32011
	// CodeToolNotApproved: the tool's definition changed, or is new, and
	// an administrator has not approved it (tool pinning).
	CodeToolNotApproved = -32012
	// CodeHeaderMismatch: MCP 2026-07-28 Streamable HTTP, "Server
	// Validation" (an MCP header disagrees with the body, or is missing).
	CodeHeaderMismatch = -32020
	// CodeRateLimited: a rate limit or quota refused the request.
	CodeRateLimited = -32029
)

// Error is a JSON-RPC error object (§5.1). Read refuses a body with one,
// whose message names members but never repeats a value from the body
// (which may hold a secret); the gateway answers every request it refuses
// itself with one (see ErrorResponse).
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	// Data tells programs more (how long to wait, which resource); it is
	// left out when nil.
	Data any `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("jsonrpc %d: %s", e.Code, e.Message) }

// errorResponse is a response object that carries an error (§5).
type errorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   *Error          `json:"error"`
}

// ErrorResponse encodes the response that answers the request with id by
// e: one JSON text and a newline. id is the request's id as Read encoded
// it; nil (or anything that is not one JSON value) gives a null id, which
// §5 prescribes when the id could not be read. HTML characters are not
// escaped, so a URI in Data reads as it was sent.
func ErrorResponse(id []byte, e *Error) []byte {
	if len(id) == 0 || !json.Valid(id) {
		id = []byte("null")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(errorResponse{JSONRPC: "2.0", ID: id, Error: e}); err != nil {
		// Only Data can fail to encode (a value JSON has no form for):
		// the error still reaches the client, without it.
		b.Reset()
		_ = enc.Encode(errorResponse{JSONRPC: "2.0", ID: id, Error: &Error{Code: e.Code, Message: e.Message}})
	}
	return b.Bytes()
}

func parseError(format string, args ...any) *Error {
	return &Error{Code: CodeParseError, Message: "Parse error: " + fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Message: "Invalid request: " + fmt.Sprintf(format, args...)}
}

func invalidParams(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParams, Message: "Invalid params: " + fmt.Sprintf(format, args...)}
}

// quoteName quotes a member name for an error message, clipped so that a
// long name cannot flood a log.
func quoteName(b []byte) string {
	const max = 64
	if len(b) > max {
		return fmt.Sprintf("%q…", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
