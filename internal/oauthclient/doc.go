// Package oauthclient is Drawbridge as a client of OAuth token endpoints:
// the upstream identity provider's (refreshing a user's tokens, token
// exchange, on-behalf-of) and the token services backends trust
// (client credentials, token exchange). It knows nothing of sign-in, so
// backend credentials and the token vault depend on it rather than on the
// login package.
//
// A TokenClient posts one form per request (RFC 6749, section 3.2) and
// authenticates the way its client is registered: a client secret (HTTP
// Basic or in the form), or a certificate (private_key_jwt: OIDC Core,
// section 9; RFC 7523, section 2.2) with a fresh ClientAssertion per
// request: iss = sub = the client ID, aud = the token endpoint URL, a
// random jti, nbf = iat = now and exp five minutes later. Toward Entra ID
// the header is the one Microsoft documents for certificate credentials
// (alg PS256, typ JWT, x5t#S256) and the key must be RSA; other endpoints
// get RS256 for RSA keys (PS256 if they list only that) or ES256 for P-256
// keys, with kid, x5t and x5t#S256.
//
// A refusal is a *TokenError carrying the error code and a bounded
// description (RFC 6749, section 5.2); NeedsSignIn tells the ones only a
// new sign-in can fix. Errors never contain tokens, client secrets,
// private keys, client assertions or a response body.
package oauthclient
