// Package attack holds Drawbridge's adversarial end-to-end suite: tests
// written from the attacker's side, each trying to get past one control of
// a real Drawbridge (the server wiring, SQLite, local users) on loopback.
// They are grouped by attacker, one file each:
//
//   - differential_test.go: a signed-in client whose requests are built so
//     that the gateway and the backend read them differently (duplicate and
//     case-variant members, batches, undecodable fields, trailing data), to
//     run a tool, read a resource or spend a quota the policy forbids. The
//     ground truth is what the backends executed, never what the gateway
//     answered: the Go SDK sample server and two recording backends with
//     other JSON parsers (first member wins and lenient; case-insensitive).
//   - client_test.go: a malicious client application (metadata documents,
//     dynamic registration, token endpoint tricks).
//   - internet_test.go: an unauthenticated client on the internet.
//   - user_test.go: a signed-in user against another user's grants,
//     sessions and consents.
//   - backend_test.go: a malicious or compromised backend.
//
// The package has no non-test code.
package attack
