// Package oauth is the wire vocabulary of OAuth 2.1 as MCP uses it: metadata
// documents (RFC 8414, RFC 9728), registration documents (RFC 7591), error
// values (RFC 6749 §5.2), and the rules for scopes, resource indicators
// (RFC 8707), redirect URIs (RFC 8252) and PKCE (RFC 7636).
//
// It holds no HTTP handlers and no storage: everything here is a pure function
// or a plain type, so that each rule can be tested as a table and fuzzed.
package oauth
