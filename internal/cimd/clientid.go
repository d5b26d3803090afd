package cimd

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxClientIDLength bounds a client identifier URL. The authorization server
// refuses longer client_id values before looking them up, and the draft
// recommends short URLs because they are shown to users (§3).
const MaxClientIDLength = 512

// IsClientIDURL reports whether id is a client identifier URL that this
// package will fetch (draft §3): an https URL with a path other than "/",
// without fragment, user information or "." / ".." segments (percent-encoded
// ones included). A port and a query are allowed, as the draft allows them.
//
// It is stricter than the draft where that removes ambiguity without
// refusing real clients: the URL must be printable ASCII (internationalised
// names in their xn-- form) and start with the lower-case "https://"; it may
// not contain a backslash, nor an encoded slash or backslash in its path; its
// host must be a DNS name or an IP literal without zone, and a name whose
// last label starts with a digit (0x7f.1, 2130706433) is refused because
// resolvers may read it as an IPv4 address.
func IsClientIDURL(id string) bool {
	_, err := parseClientID(id)
	return err == nil
}

// parseClientID checks id as IsClientIDURL does and returns it parsed; the
// error's text says which rule failed and never quotes id.
func parseClientID(id string) (*url.URL, error) {
	if len(id) == 0 || len(id) > MaxClientIDLength {
		return nil, errors.New("client_id URL must be 1 to " + strconv.Itoa(MaxClientIDLength) + " bytes long")
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= 0x20 || c >= 0x7f || c == '\\' {
			return nil, errors.New("client_id URL must be printable ASCII without spaces or backslashes")
		}
	}
	// The scheme is compared as written: the document's client_id must
	// equal the URL by simple string comparison (§4.1), so we neither
	// normalise it nor accept spellings we would have to normalise.
	if !strings.HasPrefix(id, "https://") {
		return nil, errors.New(`client_id URL must use the "https" scheme`)
	}
	if strings.Contains(id, "#") {
		return nil, errors.New("client_id URL must not contain a fragment")
	}
	u, err := url.Parse(id)
	if err != nil || u.Opaque != "" {
		return nil, errors.New("client_id is not a valid URL")
	}
	if u.User != nil {
		return nil, errors.New("client_id URL must not contain a username or password")
	}
	if err := checkHost(u); err != nil {
		return nil, err
	}
	return u, checkPath(u.EscapedPath())
}

func checkHost(u *url.URL) error {
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return errors.New("client_id URL has an invalid port")
		}
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		// An IPv6 literal; zones (%25eth0) name local interfaces.
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" {
			return errors.New("client_id URL has an invalid IPv6 address")
		}
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return nil
	}
	if !validDNSName(host) {
		return errors.New("client_id URL must have a valid DNS host name or IP address")
	}
	return nil
}

// validDNSName: dot-separated labels of letters, digits, '-' and '_', each 1
// to 63 bytes, 253 in all, no trailing dot (a second spelling of the same
// name), and a last label that cannot be read as a number.
func validDNSName(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i] | 0x20
			if !(c >= 'a' && c <= 'z' || l[i] >= '0' && l[i] <= '9' || l[i] == '-' || l[i] == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return last[0] < '0' || last[0] > '9'
}

// checkPath requires a path component other than the root and refuses
// single-dot and double-dot segments (§3), also percent-encoded (%2e), since
// RFC 3986 §6.2.2.2 makes them equivalent and servers may remove them.
func checkPath(p string) error {
	if p == "" || p == "/" {
		return errors.New("client_id URL must contain a path, such as /client.json")
	}
	// An encoded slash or backslash makes segments that some servers split
	// and others do not.
	if l := strings.ToLower(p); strings.Contains(l, "%2f") || strings.Contains(l, "%5c") {
		return errors.New("client_id URL must not contain encoded slashes in its path")
	}
	for _, seg := range strings.Split(p, "/") {
		s := strings.ReplaceAll(strings.ToLower(seg), "%2e", ".")
		if s == "." || s == ".." {
			return errors.New("client_id URL must not contain . or .. path segments")
		}
	}
	return nil
}
