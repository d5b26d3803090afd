package oidc

import "errors"

var (
	// ErrMissingSubject: the ID token lacks the claim configured as the
	// subject (for Entra ID, oid: is the profile scope requested?).
	ErrMissingSubject = errors.New("oidc: ID token has no subject claim")
	// ErrNonceMismatch: the ID token's nonce is not the one sent with the
	// authorization request (OIDC Core, section 3.1.3.7, step 11): the
	// response belongs to another login, or was replayed.
	ErrNonceMismatch = errors.New("oidc: ID token nonce does not match the authorization request")
)
