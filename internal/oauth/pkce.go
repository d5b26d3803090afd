package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
)

// PKCE (RFC 7636). Only S256 is accepted: OAuth 2.1 §4.1.1 lets a server
// refuse "plain", and MCP requires S256.
const PKCEMethodS256 = "S256"

// ValidateCodeChallenge checks a code_challenge and its method as received at
// the authorization endpoint.
func ValidateCodeChallenge(challenge, method string) error {
	switch {
	case challenge == "":
		return fmt.Errorf("code_challenge is required")
	case method == "":
		// RFC 7636 §4.3 defaults to plain, which is refused.
		return fmt.Errorf("code_challenge_method is required and must be S256")
	case method != PKCEMethodS256:
		return fmt.Errorf("code_challenge_method %q is not supported; use S256", truncate(method, 16))
	}
	// A SHA-256 digest in unpadded base64url is always 43 characters.
	if len(challenge) != 43 {
		return fmt.Errorf("code_challenge must be 43 characters of base64url (S256)")
	}
	if _, err := base64.RawURLEncoding.DecodeString(challenge); err != nil {
		return fmt.Errorf("code_challenge must be 43 characters of base64url (S256)")
	}
	return nil
}

// VerifyCodeVerifier reports whether verifier matches an S256 challenge.
func VerifyCodeVerifier(verifier, challenge string) bool {
	if !validVerifier(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// validVerifier: 43 to 128 unreserved characters (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}

// S256Challenge returns the S256 challenge of a verifier.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
