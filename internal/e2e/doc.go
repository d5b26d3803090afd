// Package e2e proves Drawbridge against software nobody on the project
// wrote: the official MCP conformance suite (its authorization-server
// scenarios, run against Drawbridge's authorization server; its MCP server
// scenarios, run through the gateway to the Go SDK's conformance fixture
// and compared with a direct run, for the requirement sets of 2025-11-25
// and 2026-07-28; and its client-credentials scenarios, with Drawbridge as
// the client of a backend's authorization server), the official TypeScript
// SDK client and mcp-remote, each client both with a client ID metadata
// document and with dynamic registration. Each test starts a complete
// gateway (internal/testutil/gwtest), runs the Node program under Node 22
// and plays the user's browser with internal/testutil/browser whenever the
// program prints an authorization URL.
//
// The conformance results are published: TestConformanceScorecard holds
// them to docs/conformance-results.json and docs/conformance.md, whose
// tables are rendered from them and from the hand-written explanations in
// testdata/conformance-explanations.yaml (scorecard_test.go says how;
// scripts/conformance-scorecard refreshes both).
//
// The Node tools are installed by scripts/install-node-tools, which
// scripts/test-all runs; the tests find them through DRAWBRIDGE_NODE and
// DRAWBRIDGE_NODE_MODULES and skip without them, so a plain `go test ./...`
// on a fresh checkout still passes. The package has only tests (and this
// file); docs/clients.md's compatibility table and docs/conformance.md's
// generated tables are checked here too, without Node.
package e2e
