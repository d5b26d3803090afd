package oidctest

import (
	"net/http"
	"net/url"
	"slices"
)

// Redacted replaces the value of a secret parameter in recorded requests.
const Redacted = "[REDACTED]"

// secretParams are never recorded in the clear.
var secretParams = []string{
	"client_secret", "client_assertion", "code", "code_verifier", "refresh_token",
	"password", "access_token", "id_token", "id_token_hint", "token", "subject_token", "actor_token", "assertion",
}

// Request is one HTTP request the provider received.
type Request struct {
	Method string
	Path   string
	// Params holds the query and form parameters. Values of secret parameters
	// (client_secret, code, code_verifier, refresh_token, ...) are Redacted;
	// their presence is still visible.
	Params url.Values
	// BasicAuthUser is the user name of HTTP Basic authentication (the client
	// ID for client_secret_basic); the password is not kept.
	BasicAuthUser string
}

// Requests returns every request received so far, oldest first.
func (p *Provider) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Request, len(p.requests))
	for i, r := range p.requests {
		r.Params = cloneValues(r.Params)
		out[i] = r
	}
	return out
}

// RequestsTo returns the requests to one endpoint: "authorize", "token",
// "discovery", "keys", "userinfo" or "login".
func (p *Provider) RequestsTo(endpoint string) []Request {
	path := map[string]string{
		"authorize": p.paths.authorize, "token": p.paths.token, "discovery": p.paths.discovery,
		"keys": p.paths.keys, "userinfo": p.paths.userinfo, "login": p.paths.login,
	}[endpoint]
	return slices.DeleteFunc(p.Requests(), func(r Request) bool { return r.Path != path })
}

func (p *Provider) record(r *http.Request, params url.Values) {
	rec := Request{Method: r.Method, Path: r.URL.Path, Params: cloneValues(params)}
	for _, k := range secretParams {
		for i := range rec.Params[k] {
			rec.Params[k][i] = Redacted
		}
	}
	if user, _, ok := r.BasicAuth(); ok {
		// RFC 6749, section 2.3.1: the client ID is form-encoded before it
		// goes into the header.
		if u, err := url.QueryUnescape(user); err == nil {
			user = u
		}
		rec.BasicAuthUser = user
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, rec)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
