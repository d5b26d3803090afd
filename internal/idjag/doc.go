// Package idjag verifies Identity Assertion JWT Authorization Grants
// (ID-JAG, draft-ietf-oauth-identity-assertion-authz-grant), the grant of
// MCP's enterprise-managed authorization extension (SEP-990).
//
// In a company the identity provider, not each user, decides which agent
// may reach which MCP server: the agent exchanges the user's ID token at the
// enterprise IdP (RFC 8693) for an ID-JAG naming Drawbridge (aud) and the
// MCP server (resource), and redeems it at Drawbridge's token endpoint with
// the RFC 7523 jwt-bearer grant. No browser, no consent screen.
//
// This package checks what the assertion itself says: its type, that a
// trusted IdP signed it (keys by jwks_uri or OpenID discovery, cached by
// go-oidc's remote key set), audience, lifetime, and the claims Drawbridge
// does not understand (cnf, authorization_details) being absent. What needs
// the request or the store — the authenticated client, the resource and
// scopes Drawbridge offers, the single use of jti — is the token endpoint's
// part (internal/authserver, token_jwtbearer.go).
package idjag
