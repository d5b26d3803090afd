// Package admin is the operator's view of Drawbridge, as a JSON API under
// /admin/api/: registered clients, blocked metadata-document clients,
// grants and consents, signing keys, the MCP servers and their health,
// tool definitions waiting for review (tool pinning), and the audit trail
// (query and verify). The actions behind it (actions.go, blocks.go,
// tools.go) are the one set of admin actions: the console calls them too,
// and so do the command line's client, block, grant and tool commands. Grants
// are revoked through the one revoker (internal/revoke).
//
// The API is an OAuth protected resource of its own (<public_url>/admin,
// scope "admin", with protected resource metadata like any MCP server), so
// an operator's tool gets a token the usual way. A token is accepted only
// if its subject or one of its groups is configured as an administrator.
package admin
