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
//   - internet_lockout_test.go, internet_limits_test.go: a client on the
//     internet (locking users out, guessing passwords, spreading requests
//     over an IPv6 /64).
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
