// Package dpoptest is a DPoP client for tests (RFC 9449 §4): it holds a
// key and signs proofs for requests, and can break any part of a proof so
// that tests can show each check refusing it.
package dpoptest
