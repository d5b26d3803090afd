// Package audit records who did what: every authorization event (a client
// registered, a user signed in or failed to, consent given or denied,
// tokens issued, refreshed or revoked, a replay detected) and every MCP
// request through the gateway, with its decision.
//
// Events never hold a token, code, secret or password; tool arguments are
// recorded only when configured, with sensitive keys redacted.
//
// Records are sealed in a hash chain: each record's seal is an HMAC, keyed
// from an encryption key, over the previous seal, its sequence number and
// its payload. Editing, deleting or reordering a stored record breaks the
// chain at that point (Verify says where), and without the key nobody can
// forge a consistent replacement. Writing is batched off the request path.
package audit
