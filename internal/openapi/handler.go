package openapi

import (
	"context"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Options configure an OpenAPI server's handler.
type Options struct {
	// Name and Title are the MCP server's implementation name and title.
	Name, Title string
	// Tools are the tools to serve (from Build).
	Tools []*Tool
	// Client sends the calls.
	Client *Client
}

// Version is what the server reports as its implementation version.
const Version = "drawbridge-openapi"

// Handler serves the tools as a Streamable HTTP MCP endpoint, built with
// the official SDK. It is stateless: a REST call needs nothing from a
// session, so nothing is held between requests, and the SDK then serves
// both protocol eras (initialize for 2025-11-25 and earlier clients,
// server/discover and per-request metadata for 2026-07-28).
func Handler(o Options) http.Handler {
	srv := mcp.NewServer(&mcp.Implementation{Name: o.Name, Title: o.Title, Version: Version}, &mcp.ServerOptions{
		Logger: o.Client.Log,
		// Only tools: the default would also advertise logging.
		Capabilities: &mcp.ServerCapabilities{},
	})
	for _, t := range o.Tools {
		srv.AddTool(t.Def, toolHandler(o.Client, t))
	}
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless: true,
		Logger:    o.Client.Log,
		// The gateway in front checks Origin and Host (DESIGN.md TR4);
		// requests reach this handler in-process with the public Host.
		DisableLocalhostProtection: true,
	})
}

func toolHandler(c *Client, t *Tool) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return c.Call(ctx, t, req.Params.Arguments), nil
	}
}
