// Package doctor diagnoses a running deployment from the outside, as an
// MCP client sees it: "the client says it connected but it does not
// work" is usually one of a dozen things, and each has a fix.
//
// Run is given nothing but a URL (an MCP endpoint, or a bare origin whose
// endpoint it discovers from the root protected resource metadata) and
// needs neither the configuration nor the database. It walks the path of
// a client: the address and its TLS certificate; the unauthenticated
// request and its 401 challenge (RFC 6750 §3, RFC 9728 §5.1); the
// protected resource metadata there and at both well-known locations
// (RFC 9728 §3); whether the URLs the server advertises are the ones it
// was reached at (public_url behind a load balancer); the scopes; the
// authorization server metadata (RFC 8414, OpenID Connect discovery) and
// the equality of its issuer; how a new client gets an id (client ID
// metadata documents, dynamic registration); CORS for browser-based
// clients; whether a Server-Sent Events stream reaches it event by event;
// and the clocks. Each check reports ok, warn, problem or skip, what it
// saw, and the fix, naming the clients affected where they differ.
//
// The doctor trusts nothing it reads: every request has a timeout, every
// body and header a size cap, documents are parsed strictly (one JSON
// object, no duplicate members), redirects are reported rather than
// followed, and text from the server is quoted before it is shown. It
// sends no credential anywhere, so after reporting a bad certificate it
// can go on without verifying it.
//
// The streaming check needs an endpoint that streams without a token:
// StreamHandler, which the server mounts at StreamPath. It sends one event
// at once and one after a delay; a buffering proxy on the way delivers
// them together. It lives here, beside its client, so that both halves of
// that small protocol change together.
package doctor
