package config

import (
	"net/url"
	"strings"
)

// AssertionAudience is the aud of the identity assertions s's backend gets
// (auth mode identity_assertion): auth.audience, or by default the
// upstream's origin, which is what the backend knows itself by.
func (s *Backend) AssertionAudience() string {
	if s.Auth.Audience != "" {
		return s.Auth.Audience
	}
	u, err := url.Parse(s.Upstream)
	if err != nil {
		return s.Upstream
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
