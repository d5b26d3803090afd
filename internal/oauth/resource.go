package oauth

import (
	"fmt"
	"net/url"
	"strings"
)

// CanonicalResource returns the canonical form of a resource indicator
// (RFC 8707 §2; MCP "Canonical Server URI"): an absolute http or https URI
// without fragment or user information, with the scheme and host in lower
// case, the default port removed and no trailing slash. Two resource
// indicators name the same resource when their canonical forms are equal.
func CanonicalResource(raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("resource is empty")
	}
	if len(raw) > 2048 {
		return "", fmt.Errorf("resource is longer than 2048 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("resource is not a URI")
	}
	switch {
	case !u.IsAbs() || u.Opaque != "":
		return "", fmt.Errorf("resource must be an absolute URI")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", fmt.Errorf("resource must not contain a fragment")
	case u.User != nil:
		return "", fmt.Errorf("resource must not contain user information")
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("resource must have a host")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", fmt.Errorf("resource must be an http or https URI")
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !isDefaultPort(scheme, port) {
		host += ":" + port
	}
	out := scheme + "://" + host + strings.TrimRight(u.EscapedPath(), "/")
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	return out, nil
}

func isDefaultPort(scheme, port string) bool {
	return (scheme == "https" && port == "443") || (scheme == "http" && port == "80")
}
