// Package console is Drawbridge's web console at /console: every signed-in
// user sees the agents (MCP clients) they approved and can revoke one, which
// ends its grants and tokens at once; administrators manage clients, grants
// and consents, see the MCP servers' health, rotate signing keys and read
// and verify the audit trail.
//
// The console is a first-party OAuth client of Drawbridge's own
// authorization server (client id "drawbridge-console", public, PKCE S256,
// consent skipped, for the resource <public_url>/console). Signing in runs
// the same /authorize, sign-in (local users or the upstream identity
// provider) and code redemption as any MCP client, so the console adds no
// second way of checking a password or talking to the identity provider. The
// code is redeemed in-process (authserver.Server.RedeemCode), the access
// token verified like any other, and the console then keeps its own session:
// a random cookie whose SHA-256 is stored (storage.ConsoleSessionStore)
// with the grant the sign-in created. Revoking that grant, or signing out,
// ends the session.
//
// Every page is rendered on the server from html/template, runs no script,
// loads nothing from elsewhere, and carries the headers of package webpage;
// every form carries a CSRF token derived from the session cookie.
// Administrators are decided by admin.API.IsAdmin, the rule the JSON API
// uses, and every change goes through admin.API's actions.
package console
