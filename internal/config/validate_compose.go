package config

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"time"
)

// toolName is what a prefix and an override's name may hold: the
// characters MCP tool names are made of (MCP 2025-11-25, server/tools
// §Tool names: A-Z, a-z, 0-9, _, - and .), so that the names clients see
// stay valid.
var toolName = regexp.MustCompile(`^[A-Za-z0-9_.-]*$`)

// maxShownName is the longest tool name MCP allows (the same section).
const maxShownName = 128

// compose checks a composed server and its members
// (docs/virtual-servers.md). What needs the members' lists (names two
// members would both show, an include or override naming nothing) is
// checked when the server starts, which drawbridge check does too.
func (v *validator) compose(field string, s *Backend) {
	if s.Transport != DefaultServerTransport {
		v.add("%s.transport: a composed server is served over streamable-http", field)
	}
	if s.Auth.Mode != DefaultBackendAuth || len(s.Headers) > 0 || s.ForwardIdentity {
		v.add("%s: a composed server has no credential of its own: set auth, headers and forward_identity on each member", field)
	}
	names, shown := map[string]int{}, map[string]string{}
	for j := range s.Compose {
		m := &s.Compose[j]
		mf := fmt.Sprintf("%s.compose[%d]", field, j)
		v.member(mf, s, m)
		if k, dup := names[m.Name]; dup && m.Name != "" {
			v.add("%s.name: %q is also the name of %s.compose[%d]", mf, m.Name, field, k)
		} else {
			names[m.Name] = j
		}
		for _, orig := range slices.Sorted(maps.Keys(m.Overrides)) {
			o := m.Overrides[orig]
			if o.Name == "" {
				continue
			}
			if other, dup := shown[o.Name]; dup {
				v.add("%s.overrides.%s.name: %q is also the name an override gives %s", mf, orig, o.Name, other)
			}
			shown[o.Name] = fmt.Sprintf("%s of member %s", orig, m.Name)
		}
	}
}

// member checks one member of a composed server: as a server of its kind
// for what it shares with one, then its naming fields.
func (v *validator) member(field string, s *Backend, m *Member) {
	if !serverName.MatchString(m.Name) {
		v.add("%s.name: %q must be 1-63 of a-z, 0-9, _ and -", field, m.Name)
	}
	b := s.MemberServer(m)
	v.backend(field, &b)
	v.oneOf(field+".transport", m.Transport, "streamable-http", "sse", "stdio")
	if m.Transport == "sse" && m.Stdio.Mode == "shared" {
		v.add("%s.stdio.mode: an sse member opens one connection per client session, with that caller's credential; it cannot be shared", field)
	}
	for name := range m.Headers {
		if !validHeaderName(name) {
			v.add("%s.headers: %q is not a valid header name", field, name)
		}
	}
	if m.ForwardIdentity && (len(m.Command) > 0 || m.OpenAPI != nil) {
		v.add("%s.forward_identity: only for an upstream member (use auth mode identity_assertion)", field)
	}
	v.between(field+".timeout", m.Timeout, time.Second, time.Hour)
	v.backendAuth(field+".auth", &b)
	v.naming(field, m)
}

// naming checks a member's prefix, filters and overrides.
func (v *validator) naming(field string, m *Member) {
	if !toolName.MatchString(m.Prefix) || len(m.Prefix) > 64 {
		v.add("%s.prefix: %q must be at most 64 of A-Z, a-z, 0-9, _, - and . (what tool names are made of)", field, m.Prefix)
	}
	for _, l := range []struct {
		name  string
		globs []string
	}{{"include", m.Include}, {"exclude", m.Exclude}} {
		for k, g := range l.globs {
			if _, err := path.Match(g, ""); err != nil || g == "" {
				v.add("%s.%s[%d]: %q is not a valid glob (*, ?, [...])", field, l.name, k, g)
			}
		}
	}
	for _, orig := range slices.Sorted(maps.Keys(m.Overrides)) {
		o := m.Overrides[orig]
		if orig == "" {
			v.add("%s.overrides: a key is empty (it is the member's own name of a tool or prompt)", field)
		}
		if !toolName.MatchString(o.Name) || len(o.Name) > maxShownName {
			v.add("%s.overrides.%s.name: %q must be at most %d of A-Z, a-z, 0-9, _, - and .", field, orig, o.Name, maxShownName)
		}
		if o == (Override{}) {
			v.add("%s.overrides.%s: sets nothing (name, title or description)", field, orig)
		}
	}
}
