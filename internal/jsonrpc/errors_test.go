package jsonrpc

import (
	"math"
	"testing"

	sdkjsonrpc "github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestErrorResponse(t *testing.T) {
	type retry struct {
		Limit      string `json:"limit"`
		RetryAfter int    `json:"retry_after"`
	}
	for _, tt := range []struct {
		name string
		id   string
		err  Error
		want string
	}{
		{name: "no id is null", err: Error{Code: CodeForbidden, Message: "you may not use this server"},
			want: `{"jsonrpc":"2.0","id":null,"error":{"code":-32011,"message":"you may not use this server"}}`},
		{name: "numeric id", id: `7`, err: Error{Code: CodeInvalidParams, Message: "Task not found"},
			want: `{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Task not found"}}`},
		{name: "string id, quotes in the message", id: `"r-1"`, err: Error{Code: CodeInvalidParams, Message: `unknown tool "a"`},
			want: `{"jsonrpc":"2.0","id":"r-1","error":{"code":-32602,"message":"unknown tool \"a\""}}`},
		{name: "data in field order", id: `1`, err: Error{Code: CodeRateLimited, Message: "slow down", Data: retry{"calls", 60}},
			want: `{"jsonrpc":"2.0","id":1,"error":{"code":-32029,"message":"slow down","data":{"limit":"calls","retry_after":60}}}`},
		{name: "HTML characters are not escaped", id: `1`, err: Error{Code: CodeInvalidParams, Message: "a<b>&c", Data: map[string]string{"uri": "file:///a<b>&c"}},
			want: `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"a<b>&c","data":{"uri":"file:///a<b>&c"}}}`},
		{name: "an id that is not JSON is null", id: `{`, err: Error{Code: CodeParseError, Message: "Parse error"},
			want: `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`},
		{name: "data JSON cannot encode is left out", id: `2`, err: Error{Code: CodeInternalError, Message: "x", Data: math.Inf(1)},
			want: `{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"x"}}`},
	} {
		var id []byte
		if tt.id != "" {
			id = []byte(tt.id)
		}
		if got := string(ErrorResponse(id, &tt.err)); got != tt.want+"\n" {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// The codes MCP defines are the ones the MCP Go SDK's servers use, so that
// a client sees the same code from the gateway as from a backend.
func TestCodesAgreeWithTheSDK(t *testing.T) {
	for _, tt := range []struct {
		name      string
		ours, sdk int
	}{
		{"parse error", CodeParseError, sdkjsonrpc.CodeParseError},
		{"invalid request", CodeInvalidRequest, sdkjsonrpc.CodeInvalidRequest},
		{"invalid params", CodeInvalidParams, sdkjsonrpc.CodeInvalidParams},
		{"internal error", CodeInternalError, sdkjsonrpc.CodeInternalError},
		{"header mismatch", CodeHeaderMismatch, mcp.CodeHeaderMismatch},
	} {
		if tt.ours != tt.sdk {
			t.Errorf("%s: %d, the SDK has %d", tt.name, tt.ours, tt.sdk)
		}
	}
}
