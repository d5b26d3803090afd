package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// errorBodyBytes caps how much of an error response a tool error quotes.
const errorBodyBytes = 4096

// Client sends the calls of one OpenAPI server.
type Client struct {
	// Base is the API's base URL: every request goes there and nowhere
	// else.
	Base *url.URL
	// HTTP sends the requests; redirects are never followed, whatever
	// its CheckRedirect says.
	HTTP *http.Client
	// Headers are added to every request (the server's headers setting).
	Headers map[string]string
	// Credential, if set, authenticates each request as the backend's own
	// credential for the caller (docs/backends.md).
	Credential backendauth.Credential
	// Caller finds who is calling in a request's context (the gateway's
	// verified claims).
	Caller func(context.Context) *tokens.AccessClaims
	// Timeout bounds one call, response body included.
	Timeout time.Duration
	// MaxResponseBytes caps the response body.
	MaxResponseBytes int64
	Log              *slog.Logger
}

// Call runs one tools/call: it builds the request from the arguments,
// sends it with the backend's credential and turns the answer into a
// result. Bad arguments and failed requests are tool errors (isError),
// which the model can read and correct (MCP "Error Handling").
func (c *Client) Call(ctx context.Context, t *Tool, raw json.RawMessage) *mcp.CallToolResult {
	args, err := t.decodeArgs(raw)
	if err != nil {
		return toolError(err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := t.newRequest(ctx, c.Base, args)
	if err != nil {
		return toolError(err.Error())
	}
	if msg := c.authenticate(ctx, req); msg != "" {
		return toolError(msg)
	}
	return c.send(t, req)
}

// authenticate adds the configured headers and the backend credential.
// They are set after the arguments' headers, so no argument can replace
// them (newParam already keeps Authorization and Cookie out of reach).
func (c *Client) authenticate(ctx context.Context, req *http.Request) string {
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	if c.Credential == nil {
		return ""
	}
	var caller *tokens.AccessClaims
	if c.Caller != nil {
		caller = c.Caller(ctx)
	}
	h, err := c.Credential.Headers(ctx, caller)
	if errors.Is(err, backendauth.ErrSignInAgain) {
		return "the sign-in at the identity provider has ended; sign in again"
	}
	if err != nil {
		c.Log.Error("backend credential unavailable", "err", err)
		return "the gateway could not get a credential for the API"
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	return ""
}

func (c *Client) send(t *Tool, req *http.Request) *mcp.CallToolResult {
	hc := *c.HTTP
	hc.CheckRedirect = noRedirects
	resp, err := hc.Do(req)
	if err != nil {
		c.Log.Warn("openapi call failed", "tool", t.Def.Name, "err", err)
		return toolError(fmt.Sprintf("the API could not be reached (%s %s)", req.Method, redactURL(req.URL.String())))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.MaxResponseBytes+1))
	if err != nil {
		return toolError(fmt.Sprintf("reading the API's response failed after %d bytes", len(data)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// An error answer is quoted, capped, whatever its size.
		return httpError(resp, data, int64(len(data)) > c.MaxResponseBytes)
	}
	if int64(len(data)) > c.MaxResponseBytes {
		return toolError(fmt.Sprintf("HTTP %d: the response is larger than the limit of %d bytes", resp.StatusCode, c.MaxResponseBytes))
	}
	return success(resp, data)
}

// success is a 2xx answer: its text, and for a JSON object the object as
// structuredContent too.
func success(resp *http.Response, data []byte) *mcp.CallToolResult {
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(data)}}}
	if len(data) == 0 {
		res.Content = []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("HTTP %d %s (no body)", resp.StatusCode, http.StatusText(resp.StatusCode))}}
	}
	if isJSON(resp.Header.Get("Content-Type")) {
		var obj map[string]any
		if json.Unmarshal(data, &obj) == nil && obj != nil {
			res.StructuredContent = obj
		}
	}
	return res
}

// httpError is a non-2xx answer as a tool error: the status and the
// start of the body.
func httpError(resp *http.Response, data []byte, cut bool) *mcp.CallToolResult {
	msg := fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if len(data) > errorBodyBytes {
		data, cut = data[:errorBodyBytes], true
	}
	if b := strings.TrimSpace(string(data)); b != "" {
		msg += "\n\n" + b
	}
	if cut {
		msg += " …(cut)"
	}
	return toolError(msg)
}

func toolError(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}
