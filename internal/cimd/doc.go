// Package cimd fetches and validates OAuth Client ID Metadata Documents
// (draft-ietf-oauth-client-id-metadata-document; MCP 2026-07-28 "Client
// Registration"): a client whose client_id is an https URL publishes its
// registration there, and the authorization server retrieves it on demand.
//
// The authorization server calls IsClientIDURL to route a client_id here and
// Fetch to get a validated, cached Document; everything else is policy about
// what Fetch will touch.
//
// # Threat model
//
// A client_id is typed by anyone, so Fetch makes our server send a request to
// a URL an attacker chose (server-side request forgery, §6.5). Defences:
//
//   - Only https, on a strictly parsed URL (§3); redirects are never followed
//     (§4), so the one URL checked is the one fetched.
//   - The host name is resolved once; every address must be public
//     (PublicAddr: no loopback, RFC 1918, link local and cloud metadata,
//     CGNAT, ULA, multicast, documentation, IPv4-in-IPv6 forms of those);
//     the connection goes to the checked address, never to the name, so DNS
//     rebinding cannot swap it; a socket-level check repeats the test.
//     Proxies from the environment are never used: they would connect for us.
//   - Domain allow and deny lists (§6.8) are applied before any DNS lookup.
//   - A whole-fetch timeout, a 5 KiB cap counted while reading (§6.6), a
//     JSON content type (§4.1), 200 only (§4), no cookies, no compression.
//   - Bounded caches and one request per URL at a time (singleflight), so a
//     flood of authorization requests becomes at most one fetch per URL per
//     cache lifetime, and a flood of new URLs cannot exhaust memory.
//   - Per-host limits (hostlimit.go): a flood of distinct URLs on one host,
//     or of names resolving to one address, becomes at most
//     Options.HostFetches requests per Options.HostWindow and
//     Options.HostConcurrency at once, so we cannot be aimed at a third
//     party. Requests made with Client (a document's jwks_uri) count too.
//
// The document itself is hostile input too: it must name itself (client_id
// equal to the URL byte for byte, §4.1), cannot carry a shared secret or a
// secret-based auth method (§4.1), may carry only public keys, and its
// redirect URIs follow the same rules as dynamic registration. Error
// descriptions never quote the response, so a document cannot put text on
// our error pages. The client_name stays self-asserted: the consent page
// shows it with the client_id host (§6.4), and warns when every redirect URI
// is loopback (Document.OnlyLoopbackRedirects), since any local program can
// receive those.
//
// # Caching and failures
//
// Documents are reused as HTTP caching allows (§4.4, RFC 9111), clamped to
// [MinCacheTTL, MaxCacheTTL]; no-store and no-cache responses are not reused.
// The draft says error responses and invalid documents MUST NOT be cached
// (§4.4). We keep a failure for Options.FailureTTL (one minute by default,
// configurable, negative to disable) only as a rate limit on refetching, so a
// client that answers slowly or badly cannot make us fetch on every request;
// the cost is that a fixed document may be refused for up to that long.
// Forget drops both kinds of entry at once. A refusal by a per-host limit
// is not remembered: it says nothing about the document.
//
// # Section numbers
//
// Sections cited in this package are those of draft -01, which keeps the
// numbering of -00 (the revision the MCP specification links) for every
// section cited here: §3 Client Identifier, §4 Client Information Discovery,
// §4.1 Client Metadata Document, §4.4 Metadata Caching, §4.5 Redirect URL
// Registration, §6.2 Client Authentication, §6.3 Changes in Client Metadata,
// §6.4 OAuth Phishing Attacks, §6.5 SSRF Attacks, §6.6 Maximum Response Size,
// §6.8 Client ID Domain Trust. The "no redirects" and "200 only" rules of §4
// are new in -01.
package cimd
