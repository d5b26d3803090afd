package config

import (
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
)

// openAPI checks a server's openapi section (docs/openapi.md). What needs
// the document itself (operationIds in the filters, tool-name collisions)
// is checked when the server is built, which drawbridge check does too.
func (v *validator) openAPI(field string, s *Backend) {
	o := s.OpenAPI
	f := field + ".openapi"
	if o.Spec == "" {
		v.add("%s.spec: required (a file path or an http(s) URL)", f)
	} else if u, err := url.Parse(o.Spec); err == nil && u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && len(u.Scheme) > 1 {
		v.add("%s.spec: %q must be a file path or an http(s) URL", f, o.Spec)
	}
	if u, err := url.Parse(o.BaseURL); err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		v.add("%s.base_url: %q must be an http or https URL without user, query or fragment", f, o.BaseURL)
	}
	for _, l := range []struct {
		name    string
		entries []string
	}{{"include", o.Include}, {"exclude", o.Exclude}} {
		if err := opfilter.CheckFilterSyntax(l.entries); err != nil {
			v.add("%s.%s: %v", f, l.name, err)
		}
	}
	if o.Timeout.D() <= 0 {
		v.add("%s.timeout: must be positive", f)
	}
	if o.MaxResponseBytes <= 0 {
		v.add("%s.max_response_bytes: must be positive", f)
	}
	if r := o.Refresh.D(); r != 0 && r < MinOpenAPIRefresh {
		v.add("%s.refresh: %s: must be 0 (off) or at least %s", f, r, MinOpenAPIRefresh)
	}
	if s.Transport != DefaultServerTransport {
		v.add("%s.transport: an openapi server is served in-process over streamable-http", field)
	}
	if s.ForwardIdentity {
		v.add("%s.forward_identity: not supported for an openapi server (use auth mode identity_assertion)", field)
	}
}

func countSet(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}
