package oauthclient

import (
	"errors"
	"fmt"

	"golang.org/x/oauth2"
)

// TokenError is an error response from the provider's token endpoint
// (RFC 6749, section 5.2). It carries the error code and description only:
// never the response body, which a misbehaving provider could fill with
// anything.
type TokenError struct {
	// Provider names the endpoint's owner (a sign-in provider or a
	// backend's token service).
	Provider    string
	StatusCode  int
	Code        string // e.g. "invalid_grant"
	Description string
}

// maxDescription bounds how much provider text ends up in logs.
const maxDescription = 300

func (e *TokenError) Error() string {
	s := fmt.Sprintf("oauthclient: %q: token endpoint answered %d", e.Provider, e.StatusCode)
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

// RequestError keeps the error code and a bounded description of a refused
// token request, never the body or anything sent (secrets travel in the
// body; transport errors from net/http name only the URL).
func RequestError(provider string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("oauthclient: %q: token request: %w", provider, err)
	}
	te := &TokenError{Provider: provider, Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		te.StatusCode = re.Response.StatusCode
	}
	if len(te.Description) > maxDescription {
		te.Description = te.Description[:maxDescription] + "..."
	}
	return te
}
