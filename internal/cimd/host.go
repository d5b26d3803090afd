package cimd

import (
	"errors"
	"net/netip"
	"strings"
)

// CanonicalHost returns host in the one form in which hosts are compared
// for client blocks: a DNS name in lower case, an IP address in its
// canonical form without brackets. Ports, schemes, paths, wildcards and
// anything else that is not a bare host are refused, as are names that
// client_id URLs cannot carry (IsClientIDURL's rules: ASCII, xn-- for
// internationalised names).
func CanonicalHost(host string) (string, error) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil && a.Zone() == "" {
		return a.Unmap().String(), nil
	}
	if strings.ContainsAny(host, "[]") || !validDNSName(host) {
		return "", errors.New("not a host name or an IP address (give the host alone: no scheme, port or path)")
	}
	return strings.ToLower(host), nil
}

// ClientIDHost returns the canonical host (CanonicalHost) of a client
// identifier URL, whatever its port; ok is false when id is not one
// (IsClientIDURL).
func ClientIDHost(id string) (host string, ok bool) {
	u, err := parseClientID(id)
	if err != nil {
		return "", false
	}
	h, err := CanonicalHost(u.Hostname())
	return h, err == nil
}

// BlockHosts lists the host blocks that refuse a client identifier URL:
// its canonical host and every domain above it (app.agents.example,
// agents.example, example). Whoever controls a domain makes names under it
// at will, so a block of a host covers its subdomains; an IP address is
// only itself. Nil when id is not a client identifier URL.
func BlockHosts(id string) []string {
	h, ok := ClientIDHost(id)
	if !ok {
		return nil
	}
	hosts := []string{h}
	if _, err := netip.ParseAddr(h); err == nil {
		return hosts
	}
	for i := strings.IndexByte(h, '.'); i >= 0; i = strings.IndexByte(h, '.') {
		h = h[i+1:]
		hosts = append(hosts, h)
	}
	return hosts
}

// HostCovers reports whether a block of host block refuses clients on
// host (both canonical): the same host, or a subdomain of it.
func HostCovers(block, host string) bool {
	if host == block {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return false // an address has no subdomains
	}
	return strings.HasSuffix(host, "."+block)
}
