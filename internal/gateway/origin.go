package gateway

import (
	"net/url"
	"strings"
)

// originAllowed applies TR4 / MCP Streamable HTTP "Security Warning": a
// browser request from a foreign origin is refused, which stops DNS
// rebinding and cross-site pages from driving a local session. Requests
// without an Origin header (non-browser clients) pass.
func (rt *route) originAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	if origin == "null" {
		return false
	}
	o := strings.ToLower(strings.TrimSuffix(origin, "/"))
	if o == rt.gw.origin {
		return true
	}
	for _, a := range rt.AllowedOrigins {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), o) {
			return true
		}
	}
	return false
}

// originOf returns scheme://host[:port] of a URL, lower-cased.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
