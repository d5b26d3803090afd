// Package vault keeps the upstream identity provider's tokens of each
// sign-in, so that a backend can act for the user later: its token is
// exchanged (RFC 8693, Entra ID on-behalf-of) or, where configured, passed
// on. It sits between the authorization server, which saves the tokens at
// the callback, and the backend credentials, which ask for a valid access
// token per request.
//
// At rest the tokens are sealed with AES-256-GCM under the configured
// encryption keys (tokens.Keyring): the newest key seals, every key opens,
// and Reseal re-encrypts what older keys sealed. The row's ID is the
// additional data, so a sealed value copied to another row does not open.
// One upstream session belongs to one grant (storage.Grant
// UpstreamSessionID); the store deletes it with the grant.
//
// An access token close to expiry is refreshed first, one refresh per grant
// at a time however many requests wait for it: in one process a
// singleflight, across replicas a lease written into the session by
// compare-and-swap, so that no two replicas present the same refresh
// token (a provider that rotates them would refuse the second). When the
// provider refuses the refresh for good (invalid_grant: the user signed out,
// the session was revoked), the grant ends and callers get ErrSignInAgain,
// which the gateway turns into a 401 challenge: the MCP client signs in
// again rather than seeing a backend error.
package vault
