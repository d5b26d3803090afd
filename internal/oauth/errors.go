package oauth

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Error codes from RFC 6749 §4.1.2.1 and §5.2, RFC 7591 §3.2.2, RFC 8707 §2,
// RFC 6750 §3.1 and RFC 7009 §2.2.1.
const (
	ErrInvalidRequest          = "invalid_request"
	ErrInvalidClient           = "invalid_client"
	ErrInvalidGrant            = "invalid_grant"
	ErrUnauthorizedClient      = "unauthorized_client"
	ErrUnsupportedGrantType    = "unsupported_grant_type"
	ErrInvalidScope            = "invalid_scope"
	ErrAccessDenied            = "access_denied"
	ErrUnsupportedResponseType = "unsupported_response_type"
	ErrServerError             = "server_error"
	ErrTemporarilyUnavailable  = "temporarily_unavailable"
	ErrInvalidTarget           = "invalid_target"
	ErrInvalidRedirectURI      = "invalid_redirect_uri"
	ErrInvalidClientMetadata   = "invalid_client_metadata"
	ErrInvalidToken            = "invalid_token"
	ErrInsufficientScope       = "insufficient_scope"
	ErrUnsupportedTokenType    = "unsupported_token_type"
)

// Error is an OAuth protocol error as sent to a client. Description must be
// safe to show to anyone: it never carries a token, code, secret or internal
// detail.
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// Status is the HTTP status for JSON error responses; 0 means 400.
	Status int `json:"-"`
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// HTTPStatus is the status the error is sent with.
func (e *Error) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// NewError returns an Error with status 400 (the description made safe
// by SafeDescription).
func NewError(code, description string) *Error {
	return &Error{Code: code, Description: SafeDescription(description)}
}

// WithStatus returns a copy of e sent with the given HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// InvalidClient is the error for failed client authentication. RFC 6749 §5.2
// requires 401 and a WWW-Authenticate challenge when the client used the
// Authorization header; callers add that header.
func InvalidClient(description string) *Error {
	return &Error{Code: ErrInvalidClient, Description: SafeDescription(description), Status: http.StatusUnauthorized}
}

// ServerError hides an internal failure behind a generic description.
func ServerError() *Error {
	return &Error{Code: ErrServerError, Description: "the authorization server hit an internal error", Status: http.StatusInternalServerError}
}

// WriteJSON sends e as a JSON error response that no cache may keep
// (RFC 6749 §5.1, §5.2).
func WriteJSON(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(e.HTTPStatus())
	_ = json.NewEncoder(w).Encode(e)
}

// MaxDescription bounds an error_description: it travels in the redirect
// URL next to state, and is read by a person.
const MaxDescription = 1024

// SafeDescription makes s a valid error_description, whose characters
// must be %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §4.1.2.1, §5.2): a double
// quote becomes a single one, a backslash a slash, any other character
// outside the set a question mark; and it is cut to MaxDescription bytes.
// NewError and InvalidClient apply it, so every description is one.
func SafeDescription(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '\\':
			b.WriteByte('/')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > MaxDescription {
		out = out[:MaxDescription-3] + "..."
	}
	return out
}
