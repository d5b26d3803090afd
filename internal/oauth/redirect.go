package oauth

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// RedirectPolicy says which redirect URIs a client may register.
type RedirectPolicy struct {
	// AllowPrivateUseSchemes admits reverse-domain private-use URI schemes
	// (com.example.app:/cb, RFC 8252 §7.1) for native applications.
	AllowPrivateUseSchemes bool
}

// Application types (OpenID Connect Dynamic Client Registration §2).
const (
	AppTypeWeb    = "web"
	AppTypeNative = "native"
)

// InferApplicationType is the application type of a client that did not
// say: native when every redirect URI is a loopback or private-use one
// (RFC 8252 §7), otherwise web. Registration and metadata documents use
// the same rule.
func InferApplicationType(uris []string) string {
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil {
			return AppTypeWeb
		}
		if (u.Scheme == "https" || u.Scheme == "http") && !IsLoopbackHost(u.Hostname()) {
			return AppTypeWeb
		}
	}
	return AppTypeNative
}

// forbiddenSchemes can run code or read local files in a browser; they are
// refused whatever the policy says.
var forbiddenSchemes = map[string]bool{
	"javascript": true, "data": true, "file": true, "vbscript": true,
	"about": true, "blob": true, "filesystem": true, "ftp": true, "ws": true, "wss": true,
}

// ValidateRedirectURI checks a redirect URI at registration time: an absolute
// URI without fragment, user information or wildcard; https, or http to a
// loopback host (OAuth 2.1 §2.3.1, RFC 8252 §7.3); private-use schemes only
// when the policy allows them and only for native applications. Web
// applications may not use loopback hosts (OpenID Connect Registration §2,
// application_type): a web client redirecting to localhost is a native app
// in disguise, or a mistake.
func ValidateRedirectURI(raw, appType string, p RedirectPolicy) error {
	if raw == "" || len(raw) > 2048 {
		return fmt.Errorf("redirect URI must be 1 to 2048 bytes long")
	}
	if strings.ContainsAny(raw, "*#\\ \t\r\n") {
		return fmt.Errorf("redirect URI %q must not contain wildcards, fragments, backslashes or whitespace", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("redirect URI %q is not an absolute URI", raw)
	}
	if u.User != nil {
		return fmt.Errorf("redirect URI %q must not contain user information", raw)
	}
	if err := CheckHost(raw); err != nil {
		return err
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case forbiddenSchemes[scheme]:
		return fmt.Errorf("redirect URI scheme %q is not allowed", scheme)
	case scheme == "https" || scheme == "http":
		return checkWebRedirect(raw, scheme, u.Hostname(), appType)
	case !p.AllowPrivateUseSchemes:
		return fmt.Errorf("redirect URI scheme %q is not allowed: use https, or http on a loopback address", scheme)
	case appType != AppTypeNative:
		return fmt.Errorf("private-use URI scheme %q is only allowed for native applications", scheme)
	case !strings.Contains(scheme, "."):
		// RFC 8252 §7.1: a reverse domain name keeps schemes from colliding.
		return fmt.Errorf("private-use URI scheme %q must be a reverse domain name such as com.example.app", scheme)
	}
	return nil
}

// IsLoopbackHost reports whether host (without port or brackets) names the
// loopback interface: "localhost" or a loopback IP literal.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLoopbackLiteral reports whether host is a loopback IP literal; only these
// get port-agnostic matching (RFC 8252 §7.3), not the name "localhost".
func isLoopbackLiteral(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MatchRedirectURI reports whether requested equals one of the registered
// redirect URIs by simple string comparison (OAuth 2.1 §4.1.3), except that
// the port of an http URI on a loopback IP literal may differ (RFC 8252 §7.3):
// native apps listen on whatever port the system gives them.
func MatchRedirectURI(registered []string, requested string) bool {
	for _, r := range registered {
		if r == requested || loopbackMatch(r, requested) {
			return true
		}
	}
	return false
}

func loopbackMatch(registered, requested string) bool {
	a, err := url.Parse(registered)
	if err != nil {
		return false
	}
	b, err := url.Parse(requested)
	if err != nil {
		return false
	}
	return a.Scheme == "http" && b.Scheme == "http" &&
		isLoopbackLiteral(a.Hostname()) && a.Hostname() == b.Hostname() &&
		a.User == nil && b.User == nil &&
		a.EscapedPath() == b.EscapedPath() && a.RawQuery == b.RawQuery &&
		a.Fragment == "" && b.Fragment == "" && !strings.Contains(requested, "#")
}

func checkWebRedirect(raw, scheme, host, appType string) error {
	loopback := IsLoopbackHost(host)
	switch {
	case host == "":
		return fmt.Errorf("redirect URI %q has no host", raw)
	case appType == AppTypeWeb && loopback:
		return fmt.Errorf("redirect URI %q points to a loopback address, which only native applications may use", raw)
	case scheme == "http" && !loopback:
		return fmt.Errorf("redirect URI %q must use https unless it points to a loopback address", raw)
	}
	return nil
}

// CheckHost checks the authority of a URI, if it has one ("scheme://..."):
// a host that is a DNS-style name of ASCII letters, digits, "-", ".", "_"
// and "~" (RFC 3986 §2.3 unreserved characters), an IPv4 address, or an
// IPv6 address in brackets without a zone, then optionally ":" and a port
// of 1 to 5 digits. RFC 3986 §3.2.2 also lets a reg-name hold
// percent-encoding and sub-delims ("!$&'()*+,;="), and browsers accept
// Unicode: no DNS name needs them, they decode or normalise differently in
// different places (a look-alike, a dot hidden in %2e), and ";", ",", "'"
// and "*" would end or widen a Content-Security-Policy source when the
// redirect origin is put in form-action. So they are refused.
func CheckHost(raw string) error {
	_, rest, _ := strings.Cut(raw, ":")
	authority, ok := strings.CutPrefix(rest, "//")
	if !ok {
		return nil // no authority: a private-use scheme's path
	}
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	host, port, hasPort := splitHostPort(authority)
	if !validHostName(host) && !validIPLiteral(host) || hasPort && !validPort(port) {
		return fmt.Errorf("redirect URI %q: the host must be a plain DNS name or IP address (letters, digits, '-', '.', '_' or '~'; IPv6 in brackets), with an optional numeric port", raw)
	}
	return nil
}

// splitHostPort splits at the last ":" outside brackets.
func splitHostPort(authority string) (host, port string, hasPort bool) {
	i := strings.LastIndexByte(authority, ':')
	if i < 0 || i < strings.LastIndexByte(authority, ']') {
		return authority, "", false
	}
	return authority[:i], authority[i+1:], true
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

func validIPLiteral(h string) bool {
	if len(h) < 2 || h[0] != '[' || h[len(h)-1] != ']' {
		return false
	}
	a, err := netip.ParseAddr(h[1 : len(h)-1])
	return err == nil && a.Is6() && a.Zone() == ""
}

// validPort: 1 to 5 decimal digits, at most 65535 (an empty port, which
// RFC 3986 allows, is refused too).
func validPort(p string) bool {
	_, err := strconv.ParseUint(p, 10, 16)
	return err == nil && len(p) <= 5
}
