package dpop

import "errors"

// Error codes (RFC 9449 §12.2 registers both). A proof that fails a check
// is invalid_dpop_proof; a proof without the nonce the server requires is
// use_dpop_nonce (§8), which the client answers by retrying with the nonce
// from the DPoP-Nonce header.
const (
	CodeInvalidProof = "invalid_dpop_proof"
	CodeUseNonce     = "use_dpop_nonce"
)

// Errors from Check. Their texts are safe to send a client: none carries
// the proof or a token.
var (
	ErrMissing     = errors.New("a DPoP proof is required")
	ErrMultiple    = errors.New("send exactly one DPoP header")
	ErrMalformed   = errors.New("the DPoP proof is not a well-formed JWT")
	ErrType        = errors.New("the DPoP proof must have typ dpop+jwt")
	ErrAlgorithm   = errors.New("the DPoP proof's alg is not supported")
	ErrKey         = errors.New("the DPoP proof's jwk must be a public key of a supported type")
	ErrSignature   = errors.New("the DPoP proof's signature does not verify with its jwk")
	ErrClaims      = errors.New("the DPoP proof lacks a required claim (jti, htm, htu, iat)")
	ErrMethod      = errors.New("the DPoP proof's htm does not match the request method")
	ErrURL         = errors.New("the DPoP proof's htu does not match the request URL")
	ErrTime        = errors.New("the DPoP proof's iat is outside the accepted window")
	ErrReplayed    = errors.New("the DPoP proof was already used")
	ErrAccessHash  = errors.New("the DPoP proof's ath does not match the access token")
	ErrNonce       = errors.New("the DPoP proof's nonce is missing, stale or unknown")
	ErrKeyMismatch = errors.New("the DPoP proof's key is not the key the token is bound to")
	ErrUnavailable = errors.New("DPoP replay detection is unavailable")
)

// Code returns the OAuth error code for an error of Check: use_dpop_nonce
// for a missing or stale nonce, invalid_dpop_proof for every other failure.
func Code(err error) string {
	if errors.Is(err, ErrNonce) {
		return CodeUseNonce
	}
	return CodeInvalidProof
}
