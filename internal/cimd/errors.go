package cimd

import (
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// Kind says why a client ID metadata document could not be used.
type Kind int

const (
	// KindInvalidClientID: the client_id is not a client identifier URL
	// (draft §3): not https, no path, a fragment, user information, dot
	// segments, or a host that is not a plain DNS name or IP literal.
	KindInvalidClientID Kind = iota + 1
	// KindForbidden: local policy refuses the host: the domain deny or allow
	// list, or the name resolves to an address that is not public (§6.5).
	KindForbidden
	// KindFetch: the document could not be retrieved: DNS or connection
	// failure, TLS failure, timeout, a status other than 200 (redirects
	// included, §4), a content type that is not JSON (§4.1), or a body over
	// the size limit (§6.6).
	KindFetch
	// KindInvalidDocument: a document was retrieved but is not acceptable
	// (§4.1 and RFC 7591 §2).
	KindInvalidDocument
)

func (k Kind) String() string {
	switch k {
	case KindInvalidClientID:
		return "invalid client_id"
	case KindForbidden:
		return "forbidden host"
	case KindFetch:
		return "fetch failed"
	case KindInvalidDocument:
		return "invalid document"
	}
	return "unknown"
}

// Error is every error Fetch and ParseDocument return.
//
// Description is written for the person looking at an OAuth error page and
// for error_description: it never quotes the response body, a value taken
// from the document, a resolved address or any other internal detail, so a
// hostile document cannot put its text on our pages. Err carries the cause
// for logs and may contain all of those.
type Error struct {
	Kind        Kind
	Description string
	Err         error
}

func (e *Error) Error() string {
	s := "cimd: " + e.Description
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// OAuthError is the protocol error to show. The client cannot be trusted,
// so it is always invalid_client; at /authorize it belongs on an error page,
// never in a redirect (RFC 6749 §4.1.2.1), and at the token endpoint callers
// use oauth.InvalidClient for the 401 that RFC 6749 §5.2 asks for.
func (e *Error) OAuthError() *oauth.Error {
	return oauth.NewError(oauth.ErrInvalidClient, e.Description)
}

func errorf(kind Kind, cause error, description string) *Error {
	return &Error{Kind: kind, Description: description, Err: cause}
}
