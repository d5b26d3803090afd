// Package server wires Drawbridge together from its configuration: storage,
// keys, the identity provider, the authorization server, the gateway, the
// middleware chain (declared in one place, middleware.go) and the
// http.Server with its timeouts and graceful shutdown.
package server
