// Package attack is Drawbridge's adversarial end-to-end suite: tests
// written from the attacker's side, each trying to get past one control of
// a real Drawbridge (the server wiring, SQLite, local users) on loopback.
// Files are named after the attacker:
//
//   - differential_test.go, headers_test.go: a signed-in client whose
//     requests are built so that the gateway and the backend read them
//     differently (repeated and case-variant members, batches, undecodable
//     fields, trailing data; headers under other spellings), to run a tool,
//     read a resource or spend a quota the policy forbids, or to pass the
//     backend an identity, session or host of its choosing. The ground truth
//     is what the backends executed or received, never what the gateway
//     answered: the Go SDK sample server and recording backends with other
//     JSON parsers (first member wins and lenient; case-insensitive).
//   - client_test.go, client_redirect_test.go: a malicious client
//     application (tokens without a user through a metadata document or a
//     registration; redirect URIs that smuggle text into pages).
//   - client_block_test.go: a metadata-document client that holds its token
//     request open (stalling its own key set) across an administrator's
//     block.
//   - concurrent_tokens_test.go: one authorization code or refresh token
//     presented many times at the same instant, on both stores.
//   - internet_lockout_test.go, internet_limits_test.go: a client on the
//     internet (locking users out, guessing passwords, many at once,
//     spreading requests over an IPv6 /64).
//   - offboard_test.go: a user whose grants an administrator revoked,
//     redeeming a code issued before.
//   - token_thief_test.go: someone holding a copied token (a DPoP-bound
//     administrator's token without its key; a revoked client's stream
//     left open).
//   - user_test.go: a signed-in user against another user's session.
//   - backend_test.go: a malicious or compromised backend.
//
// Attacks whose setup belongs to one feature are tested beside it in
// internal/server: consent per server (e2e_consent_test.go), blocked
// metadata-document clients (e2e_block_test.go), code replay and refresh
// token reuse (e2e_negative_test.go), and in
// internal/gateway (strict_test.go, headers_test.go). docs/security.md
// describes the attackers and what each control guarantees.
//
// The package has no non-test code.
package attack
