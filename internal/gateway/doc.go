// Package gateway is the resource server and reverse proxy in front of the
// MCP servers: it serves each server's protected resource metadata
// (RFC 9728), verifies the bearer token on every request (in memory, no
// storage), checks the scopes the server needs, and forwards the request to
// the backend with the backend's own credential — never the client's token
// or cookies.
//
// The forwarder (forward.go) is built on http.Transport rather than
// httputil.ReverseProxy: the backend request is made once from what admit
// read (the body that strict reading checked is what the backend gets,
// never read or decoded again), and answers are copied through pooled
// buffers. Streams are flushed write by write, so Server-Sent Events reach
// the client event by event; a finite answer leaves in one piece.
package gateway
