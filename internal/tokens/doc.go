// Package tokens mints and verifies Drawbridge's access tokens, manages the
// keys that sign them, and makes the opaque values (codes, refresh tokens)
// that are stored only as hashes.
//
// Access tokens are JWTs in the RFC 9068 profile (typ "at+jwt"), signed
// ES256, with aud set to exactly one resource (the MCP server's URL). They
// carry the id of their grant ("gid"), so that a verifier can refuse a token
// of a revoked grant from an in-memory revocation list that is refreshed from
// storage every few seconds, without touching storage on the request path.
//
// Private signing keys are sealed with AES-256-GCM (Keyring) before they
// reach storage; the same keyring seals upstream identity-provider tokens.
package tokens
