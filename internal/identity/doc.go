// Package identity authenticates the person behind an authorization request.
//
// Drawbridge never asks a user for a password on behalf of another system. It
// either checks a password against local users from the configuration
// (PasswordProvider), or sends the browser to an upstream OpenID Connect
// provider and validates what comes back (RedirectProvider). The
// authorization server does not care which: both end with a storage.Identity.
package identity
