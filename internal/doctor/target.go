package doctor

import (
	"errors"
	"net/url"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// parseTarget reads the URL the doctor is asked about: an absolute http or
// https URL with a host, no user information and no fragment.
func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("not a URL: " + quote(raw))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("the URL must start with https:// (or http:// for a local deployment)")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("the URL has no host")
	case u.User != nil:
		return nil, errors.New("the URL must not contain a user name or password")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("the URL must not contain a fragment (#…)")
	}
	return u, nil
}

// bare reports whether u is an origin without a path (https://host or
// https://host/).
func bare(u *url.URL) bool {
	return (u.Path == "" || u.Path == "/") && u.RawQuery == ""
}

// origin is scheme://host[:port] in lower case, without a default port:
// two URLs with the same origin reach the same server.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		host += ":" + p
	}
	return scheme + "://" + host
}

// loopback reports whether the URL's host is the loopback interface.
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && oauth.IsLoopbackHost(u.Hostname())
}

// absoluteHTTPS checks a URL a client must use: absolute, https (or http
// on loopback), with a host, no user information or fragment.
func absoluteHTTPS(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return errors.New("not an absolute URL")
	case u.Scheme != "https" && !(u.Scheme == "http" && oauth.IsLoopbackHost(u.Hostname())):
		return errors.New("not https")
	case u.User != nil || u.Fragment != "":
		return errors.New("has user information or a fragment")
	}
	return nil
}

// wellKnown inserts a well-known suffix between the host and the path of
// raw (RFC 9728 §3.1, RFC 8414 §3.1): https://h/p → https://h/.well-known/x/p.
func wellKnown(raw, suffix string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	return origin(raw) + "/.well-known/" + suffix + p
}

// rebase puts raw on the origin reached when raw is on the origin the
// server advertises and that one is wrong (see the public_url check), so
// that the other checks look at this deployment rather than at wherever
// the wrong URL points.
func (r *run) rebase(raw string) string {
	if r.advertised == "" || r.advertised == r.reached || origin(raw) != r.advertised {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	to, _ := url.Parse(r.reached)
	u.Scheme, u.Host = to.Scheme, to.Host
	return u.String()
}
