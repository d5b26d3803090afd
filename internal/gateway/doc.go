// Package gateway is the resource server and reverse proxy in front of the
// MCP servers: it serves each server's protected resource metadata
// (RFC 9728), verifies the bearer token on every request (in memory, no
// storage), checks the scopes the server needs, and forwards the request to
// the backend with the backend's own credential — never the client's token
// or cookies.
//
// Responses stream: the proxy flushes every write (FlushInterval -1), so
// Server-Sent Events reach the client event by event.
package gateway
