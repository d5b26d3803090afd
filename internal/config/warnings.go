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
	w = append(w, c.pinningWarnings()...)
	return append(w, c.assertionAudienceWarnings()...)
}

// assertionAudienceWarnings: two backends that get identity assertions
// with the same audience accept each other's, so that either can replay a
// user's assertion at the other for as long as it lives. That happens by
// default to different upstreams on one origin (the default audience).
func (c *Config) assertionAudienceWarnings() []string {
	type holder struct{ field, upstream string }
	var order []string
	byAud := map[string][]holder{}
	add := func(b *Backend, field string) {
		if b.Auth.Mode != "identity_assertion" {
			return
		}
		aud := b.AssertionAudience()
		if _, ok := byAud[aud]; !ok {
			order = append(order, aud)
		}
		byAud[aud] = append(byAud[aud], holder{field, b.Upstream})
	}
	for i := range c.Backends {
		s := &c.Backends[i]
		add(s, fmt.Sprintf("servers[%s]", s.Name))
		for j := range s.Compose {
			m := s.MemberServer(&s.Compose[j])
			add(&m, fmt.Sprintf("servers[%s].compose[%s]", s.Name, s.Compose[j].Name))
		}
	}
	var w []string
	for _, aud := range order {
		hs := byAud[aud]
		for _, h := range hs[1:] {
			if h.upstream != hs[0].upstream {
				w = append(w, fmt.Sprintf("%s and %s get identity assertions with the same audience %q, so each "+
					"backend accepts the assertions made for the other and can replay a user's there while they last: "+
					"give each its own auth.audience", hs[0].field, h.field, aud))
			}
		}
	}
	return w
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
