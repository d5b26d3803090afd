// Package server assembles Drawbridge from its configuration and runs it.
//
// assemble.go reads top to bottom: the store, the keys and the revocation
// list, the token verifier, the audit trail and the limiter (core.go),
// then the identity provider, the vault, the backend credentials, the
// authorization server, the composed servers (compose.go, each member's
// client or in-process handler; listed once at start), the gateway, the
// admin API and the console, and
// the handler with the middleware chain (declared in one place,
// middleware.go). Each stage takes what the stages above it returned;
// each package's Options are built by a pure function of the
// configuration and those parts (authServerOptions, gatewayOptions, ...),
// checked by the golden files in testdata/options. What a stage opens is
// added to a cleanup (cleanup.go), so that a failing stage closes what the
// earlier ones opened.
//
// A Server keeps only what runs: the http.Server with its timeouts, TLS and
// graceful shutdown (serve.go), the background loops (background.go), the
// OpenAPI documents it can read again (openapi_reload.go: ReloadOpenAPI
// for SIGHUP, openapi.refresh timers, the admin API's reload action), and
// what Close closes.
package server
