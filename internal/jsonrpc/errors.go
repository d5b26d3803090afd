package jsonrpc

import "fmt"

// JSON-RPC 2.0 error codes (§5.1) that Read answers with.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeInvalidParams  = -32602
)

// Error is why a body was refused: a JSON-RPC error code and a message that
// names members but never repeats a value from the body (which may hold a
// secret).
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("jsonrpc %d: %s", e.Code, e.Message) }

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
