package cimd

import (
	"fmt"
	"net/netip"
	"strings"
)

// hostPolicy is the domain trust policy of draft §6.8 (and the MCP
// specification's "Trust Policies"): which hosts may serve client ID
// metadata documents at all.
type hostPolicy struct {
	allow, deny []string
}

func newHostPolicy(allow, deny []string) (hostPolicy, error) {
	var p hostPolicy
	var err error
	if p.allow, err = normalizePatterns(allow); err != nil {
		return p, fmt.Errorf("AllowDomains: %w", err)
	}
	if p.deny, err = normalizePatterns(deny); err != nil {
		return p, fmt.Errorf("DenyDomains: %w", err)
	}
	return p, nil
}

// normalizePatterns accepts "host.example.com" (that host only),
// "*.example.com" (any name under example.com at any depth, but not
// example.com itself) and IP literals, in any case. A bare "*" is refused: an
// empty allow list already means every host.
func normalizePatterns(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, raw := range in {
		p := strings.ToLower(strings.TrimSpace(raw))
		name, wild := strings.CutPrefix(p, "*.")
		if a, err := netip.ParseAddr(name); err == nil && !wild && a.Zone() == "" {
			out = append(out, a.String())
			continue
		}
		if !validDNSName(name) {
			return nil, fmt.Errorf("%q is not a host name, an IP address or a *.domain pattern", raw)
		}
		out = append(out, p)
	}
	return out, nil
}

// allowed reports whether host (u.Hostname(): no port, no brackets) may be
// fetched from. Deny wins over allow; an empty allow list allows every host.
// Ports play no part.
func (p hostPolicy) allowed(host string) bool {
	host = strings.ToLower(host)
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	if matchAny(p.deny, host) {
		return false
	}
	return len(p.allow) == 0 || matchAny(p.allow, host)
}

func matchAny(patterns []string, host string) bool {
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(p, "*"); ok {
			// suffix is ".example.com": a proper subdomain, at any depth.
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}
