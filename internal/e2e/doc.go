// Package e2e proves Drawbridge against software nobody on the project
// wrote: the official MCP conformance suite (its authorization-server
// scenarios, run against Drawbridge's authorization server, and its MCP
// server scenarios, run through the gateway to the Go SDK's conformance
// fixture and compared with a direct run), the official TypeScript SDK
// client and mcp-remote, each client both with a client ID metadata
// document and with dynamic registration. Each test starts a complete
// gateway (internal/testutil/gwtest), runs the Node program under Node 22
// and plays the user's browser with internal/testutil/browser whenever the
// program prints an authorization URL.
//
// The Node tools are installed by scripts/install-node-tools, which
// scripts/test-all runs; the tests find them through DRAWBRIDGE_NODE and
// DRAWBRIDGE_NODE_MODULES and skip without them, so a plain `go test ./...`
// on a fresh checkout still passes. The package has only tests (and this
// file); docs/clients.md's compatibility table is checked here too.
package e2e
