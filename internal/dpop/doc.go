// Package dpop checks DPoP proofs (RFC 9449): the signed JWTs a client
// sends in the DPoP header to show that it holds the private key an access
// token is bound to. The authorization server checks one at /token before
// binding the tokens it issues to the proof's key (cnf.jkt, RFC 9449 §6);
// the gateway checks one on every request that presents a bound token
// (RFC 9449 §7).
//
// The checks are those of RFC 9449 §4.3, in one place for both: exactly
// one DPoP header, a JWT of type dpop+jwt signed with an asymmetric
// algorithm from an allow list by the public key in its jwk header (never
// private key material), htm and htu naming the request (htu compared
// without query and fragment, after RFC 3986 §6 normalisation), iat inside
// a short window, jti used once (through the store, so that replicas share
// what has been seen), ath hashing the access token at the resource server,
// and optionally a server nonce (RFC 9449 §8).
//
// It is a package of its own rather than part of package tokens, which
// mints and verifies Drawbridge's own tokens: a proof is the client's token,
// with its own keys, errors and replay state.
package dpop
