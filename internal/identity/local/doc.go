// Package local is the "local" identity provider: users listed in the
// configuration, each with a password hash.
//
// It is meant for small deployments, demos and break-glass accounts; an
// organisation's directory belongs behind the oidc provider. Passwords are
// never stored or accepted in the clear: the configuration holds bcrypt or
// argon2id hashes, and `drawbridge hash-password` (HashPassword) makes new
// ones.
//
// Authenticate answers identity.ErrBadCredentials for an unknown username and
// for a wrong password alike, and it spends the same work on both: an unknown
// username is checked against a dummy hash with the cost parameters of the
// first configured user, so the response time does not tell an attacker which
// usernames exist (OWASP Authentication Cheat Sheet, "Authentication and Error
// Messages"). Users whose hashes use different parameters still take different
// times, so keep all hashes at the same cost.
package local
