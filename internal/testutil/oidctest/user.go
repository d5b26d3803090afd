package oidctest

import (
	"maps"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// User is a person who can sign in at the test provider. There are no
// passwords: choosing the username on the login page is the sign-in.
type User struct {
	// Username is what the login page (and Provider.Login) takes; it is also
	// the preferred_username claim.
	Username string
	// Subject is the sub claim; default: Username.
	Subject string
	// OID is Entra ID's object ID claim; omitted when empty.
	OID    string
	Email  string
	Name   string
	Groups []string // the groups claim, omitted when empty
	Roles  []string // the roles claim (Entra app roles), omitted when empty
	// Claims are added to the ID token and userinfo last, replacing a claim
	// of the same name; e.g. {"groups": "one-group"} for a provider that
	// sends a single group as a string.
	Claims map[string]any
}

func (u User) subject() string {
	if u.Subject != "" {
		return u.Subject
	}
	return u.Username
}

// claims fills ui for the granted scopes. Email and profile claims follow
// OIDC Core, section 5.4; oid, tid, groups and roles are sent regardless of
// scope, as Entra ID does once an app is configured for them.
func (u User) claims(ui *oidc.UserInfo, scopes []string, entra bool, tenantID string) {
	ui.Subject = u.subject()
	if slices.Contains(scopes, oidc.ScopeProfile) {
		ui.Name = u.Name
		ui.PreferredUsername = u.Username
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Email != "" {
		ui.Email = u.Email
		ui.EmailVerified = true
	}
	if u.OID != "" {
		ui.AppendClaims("oid", u.OID)
	}
	if entra {
		ui.AppendClaims("tid", tenantID)
		ui.AppendClaims("ver", "2.0")
	}
	if len(u.Groups) > 0 {
		ui.AppendClaims("groups", slices.Clone(u.Groups))
	}
	if len(u.Roles) > 0 {
		ui.AppendClaims("roles", slices.Clone(u.Roles))
	}
	for k, v := range maps.All(u.Claims) {
		ui.AppendClaims(k, v)
	}
}
