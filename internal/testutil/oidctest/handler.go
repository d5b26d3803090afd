package oidctest

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// maxBody bounds the form bodies this provider reads.
const maxBody = 1 << 20

// resourceRefused is the error Entra ID v2 gives for an RFC 8707 resource
// parameter: v2 endpoints take the resource from the scopes instead.
const resourceRefused = "AADSTS901002: The 'resource' request parameter is not supported."

// ServeHTTP is the provider's front door: it records the request, applies
// the checks this package adds, and hands the rest to the op library.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		dropConnection(w)
		return
	}
	params, err := readParams(r)
	if err != nil {
		http.Error(w, "unreadable request", http.StatusBadRequest)
		return
	}
	p.record(r, params)
	switch r.URL.Path {
	case p.paths.login:
		p.serveLogin(w, r)
		return
	case "/.well-known/openid-configuration":
		if p.opts.Entra { // discovery lives under the tenant issuer only
			http.NotFound(w, r)
			return
		}
	case p.paths.discovery: // Entra-like: the op library serves it at the root
		r = withPath(r, "/.well-known/openid-configuration")
	case p.paths.authorize:
		if oerr := p.checkAuthorize(params); oerr != nil {
			p.refuseAuthorize(w, r, params, oerr)
			return
		}
	case p.paths.token:
		if isIDJAGRequest(params) {
			p.serveIDJAG(w, r, params)
			return
		}
		if p.opts.Entra && params.Has("resource") {
			op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription(resourceRefused), nil)
			return
		}
		if oerr := p.checkAssertionClientID(params); oerr != nil {
			op.RequestError(w, r, oerr, nil)
			return
		}
		if p.opts.Entra && isOBO(params) {
			p.serveOBO(w, r, params)
			return
		}
	}
	p.handler.ServeHTTP(w, r)
}

// checkAuthorize applies the rules the op library leaves optional: PKCE
// with S256 is required (OAuth 2.1, section 4.1.1; "plain" is refused), and
// in Entra-like mode so is the absence of resource.
func (p *Provider) checkAuthorize(params url.Values) *oidc.Error {
	if p.opts.Entra && params.Has("resource") {
		return oidc.ErrInvalidRequest().WithDescription(resourceRefused)
	}
	if params.Get("code_challenge") == "" || params.Get("code_challenge_method") != string(oidc.CodeChallengeMethodS256) {
		return oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method=S256 is required")
	}
	return nil
}

// refuseAuthorize reports an authorization error the way RFC 6749, section
// 4.1.2.1 asks: redirected to the client when its redirect URI is registered,
// shown to the user otherwise (never redirect to an unverified URI).
func (p *Provider) refuseAuthorize(w http.ResponseWriter, r *http.Request, params url.Values, oerr *oidc.Error) {
	var target op.ErrAuthRequest // stays a nil interface unless redirecting is safe
	if p.registered(params.Get("client_id"), params.Get("redirect_uri")) {
		target = &oidc.AuthRequest{
			RedirectURI:  params.Get("redirect_uri"),
			ResponseType: oidc.ResponseType(params.Get("response_type")),
			State:        params.Get("state"),
		}
	}
	op.AuthRequestError(w, r, target, oerr, p.op)
}

func (p *Provider) registered(clientID, redirectURI string) bool {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	c, ok := p.store.clients[clientID]
	return ok && slices.Contains(c.redirectURIs, redirectURI)
}

// readParams returns the query and form parameters, leaving the body
// readable for the op library.
func readParams(r *http.Request) (url.Values, error) {
	params := r.URL.Query()
	if r.Method != http.MethodPost || r.Body == nil {
		return params, nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return params, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k, v := range form {
		params[k] = append(params[k], v...)
	}
	return params, nil
}

func withPath(r *http.Request, path string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = path, ""
	return r2
}

// dropConnection closes the connection without answering, which the client
// sees as a transport error, much like a refused or reset connection.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "provider is down", http.StatusServiceUnavailable)
		return
	}
	_ = conn.Close()
}
