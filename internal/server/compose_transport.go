package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
)

// memberTransport sends a composed server's requests to an upstream
// member with the member's own headers and credential for the caller,
// whom it finds in the request's context (the gateway's Claims). The
// client's own credentials never reach a member (RS5): the gateway strips
// them before the composed server sees the request, and this transport
// removes whatever would carry one again.
type memberTransport struct {
	base            http.RoundTripper
	headers         map[string]string
	cred            backendauth.Credential
	needsUser       bool
	forwardIdentity bool
}

// errNoCaller: a credential that acts for the caller, with no caller.
var errNoCaller = errors.New("the member's credential acts for the caller, and the request has none")

// clientCredentials are the headers that carry a credential: only the
// member's own may be sent.
var clientCredentials = []string{"Authorization", "Dpop", "Cookie", "Proxy-Authorization"}

func (t *memberTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	caller := gateway.Claims(r.Context())
	out := r.Clone(r.Context())
	for _, h := range clientCredentials {
		out.Header.Del(h)
	}
	if t.forwardIdentity {
		gateway.SetIdentity(out.Header, caller)
	} else {
		gateway.SetIdentity(out.Header, nil)
	}
	for k, v := range t.headers {
		out.Header.Set(k, v)
	}
	if t.cred != nil {
		if t.needsUser && caller == nil {
			closeBody(r)
			return nil, errNoCaller
		}
		h, err := t.cred.Headers(r.Context(), caller)
		if err != nil {
			closeBody(r)
			return nil, fmt.Errorf("the member's credential: %w", err)
		}
		for k, v := range h {
			out.Header[k] = v
		}
	}
	return t.base.RoundTrip(out)
}

// closeBody closes a request's body, as a RoundTripper must even when it
// fails.
func closeBody(r *http.Request) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
}
