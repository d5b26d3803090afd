package oidc

import (
	"errors"
	"fmt"
)

var (
	// ErrMissingSubject: the ID token lacks the claim configured as the
	// subject (for Entra ID, oid: is the profile scope requested?).
	ErrMissingSubject = errors.New("oidc: ID token has no subject claim")
	// ErrNonceMismatch: the ID token's nonce is not the one sent with the
	// authorization request (OIDC Core, section 3.1.3.7, step 11): the
	// response belongs to another login, or was replayed.
	ErrNonceMismatch = errors.New("oidc: ID token nonce does not match the authorization request")
)

// TokenError is an error response from the provider's token endpoint
// (RFC 6749, section 5.2). It carries the error code and description only:
// never the response body, which a misbehaving provider could fill with
// anything.
type TokenError struct {
	Provider    string
	StatusCode  int
	Code        string // e.g. "invalid_grant"
	Description string
}

// maxDescription bounds how much provider text ends up in logs.
const maxDescription = 300

func (e *TokenError) Error() string {
	s := fmt.Sprintf("oidc: provider %q: token endpoint answered %d", e.Provider, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// signInCodes are token endpoint errors that no retry can fix but a new
// sign-in can: the grant (refresh token, or the user's token presented as
// a grant) is invalid, expired or revoked (RFC 6749, section 5.2), or the
// user must interact with the provider first (OIDC Core, section 3.1.2.6;
// Entra ID answers on-behalf-of requests this way for MFA and consent).
var signInCodes = []string{"invalid_grant", "interaction_required", "consent_required", "login_required"}

// NeedsSignIn reports whether err is a token endpoint refusal that only a
// new sign-in by the user can resolve.
func NeedsSignIn(err error) bool {
	var te *TokenError
	if !errors.As(err, &te) {
		return false
	}
	for _, c := range signInCodes {
		if te.Code == c {
			return true
		}
	}
	return false
}
