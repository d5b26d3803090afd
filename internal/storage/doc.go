// Package storage defines what Drawbridge keeps between requests and restarts,
// as one Store interface that every backend implements.
//
// The shape follows Dex: context first on every method, plain value structs,
// sentinel errors, and atomic operations for everything two requests could race
// on (consuming a code, rotating a refresh token, finishing a login). Secrets
// never reach a Store in the clear: codes and refresh tokens are stored as
// SHA-256 hashes, and anything that must be recovered (signing keys, upstream
// tokens) is sealed by the caller before it is written.
//
// Every backend runs the shared conformance suite in package storagetest.
// The two SQL backends (sqlite, postgres) share their SQL through package
// sqlstore; rules that need no SQL at all, such as the decision a refresh
// token rotation makes (Rotation.Decide), live here.
package storage
