package config

import (
	"fmt"
	"slices"
)

// Warnings lists settings that are valid but probably not what the
// operator wants. check prints them and serve logs them at start; neither
// refuses to run.
func (c *Config) Warnings() []string {
	var w []string
	if scopes, ok := c.upstreamScopes(); ok && !slices.Contains(scopes, "offline_access") {
		for _, s := range c.Backends {
			for _, field := range upstreamTokenFields(&s) {
				w = append(w, fmt.Sprintf("%s acts with the user's upstream tokens, but identity.%s.scopes "+
					"lacks offline_access: without an upstream refresh token users must sign in again each time "+
					"the provider's access token expires (add offline_access, or whatever your provider uses instead)",
					field, c.Identity.Type))
			}
		}
	}
	return append(w, c.pinningWarnings()...)
}

// pinningWarnings: a server that withholds new tools until an
// administrator approves them, with no administrators to do it.
func (c *Config) pinningWarnings() []string {
	if len(c.Admin.Users)+len(c.Admin.Groups) > 0 {
		return nil
	}
	var w []string
	for _, s := range c.Backends {
		if s.Pinning == "block" || (s.PinningApproval == "admin" && s.Pinning != "off" && s.Pinning != "warn") {
			w = append(w, fmt.Sprintf("servers[%s].pinning withholds new tools until an administrator approves them, "+
				"but admin names no users or groups: only 'drawbridge tools approve' can approve them "+
				"(name administrators in admin.users or admin.groups to use the console and the admin API)", s.Name))
		}
	}
	return w
}

// upstreamScopes returns the scopes requested at an OIDC or Entra sign-in.
func (c *Config) upstreamScopes() ([]string, bool) {
	switch c.Identity.Type {
	case "oidc":
		return c.Identity.OIDC.Scopes, true
	case "entra":
		return c.Identity.Entra.Scopes, true
	}
	return nil, false
}

// upstreamTokenFields names, as servers[name].auth.mode MODE (or
// servers[name].compose[member].auth.mode MODE), each credential of s that
// acts with the user's upstream tokens.
func upstreamTokenFields(s *Backend) []string {
	var out []string
	if s.Auth.UsesUpstreamTokens() {
		out = append(out, fmt.Sprintf("servers[%s].auth.mode %s", s.Name, s.Auth.Mode))
	}
	for _, m := range s.Compose {
		if m.Auth.UsesUpstreamTokens() {
			out = append(out, fmt.Sprintf("servers[%s].compose[%s].auth.mode %s", s.Name, m.Name, m.Auth.Mode))
		}
	}
	return out
}
