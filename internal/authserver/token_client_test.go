package authserver

import (
	"net/http"
	"slices"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// TestMachineScopes: what a client_credentials token may carry. Leaving
// the client's scopes out gives the resource's scopes that are not
// sensitive, never admin; a listed scope is given only if the resource has
// it.
func TestMachineScopes(t *testing.T) {
	s := &Server{opt: Options{SensitiveScopes: []string{"deploy"}}}
	res := &Resource{Scopes: []string{"read", "deploy", "admin"}, Optional: []string{"write"}}
	tests := []struct {
		listed []string
		want   []string
	}{
		{nil, []string{"read"}},
		{[]string{}, nil},
		{[]string{"read"}, []string{"read"}},
		{[]string{"admin"}, []string{"admin"}},
		{[]string{"deploy", "read", "admin"}, []string{"read", "deploy", "admin"}},
		{[]string{"other", "write"}, nil},
	}
	for _, tt := range tests {
		if got := machineScopes(res, tt.listed, s.sensitive); !slices.Equal(got, tt.want) {
			t.Errorf("listed %#v: got %v, want %v", tt.listed, got, tt.want)
		}
	}
	// admin is sensitive even when the operator marked nothing.
	none := &Server{}
	if got := machineScopes(&Resource{Scopes: []string{"admin"}}, nil, none.sensitive); got != nil {
		t.Errorf("the admin API's scope without a listing: %v", got)
	}
}

// TestClientCredentialsGrant: machine clients get tokens for themselves
// (RFC 6749 §4.4): only clients the operator configured for the grant,
// never a refresh token, and a sensitive scope only when the client's
// configuration lists it.
func TestClientCredentialsGrant(t *testing.T) {
	h := newHarness(t)
	cc := func(id, secret string, kv ...string) func() *http.Request {
		return func() *http.Request {
			return withBasic(formRequest(PathToken, form(append([]string{"grant_type", grantClientCredentials}, kv...)...)), id, secret)
		}
	}
	tests := []struct {
		rule     string
		req      func() *http.Request
		status   int
		err      string
		resource string // of the token
		scope    string
	}{
		{"RFC 6749 §4.4: the resource's scopes that are not sensitive",
			cc(machine, machineKey, "resource", resSnippets), 200, "", resSnippets, "snippets"},
		{"RFC 6749 §3.3: a narrower scope on request",
			cc(deployer, deployerKey, "resource", resSnippets, "scope", "deploy"), 200, "", resSnippets, "deploy"},
		{"a sensitive scope the client's configuration lists",
			cc(deployer, deployerKey, "resource", resSnippets), 200, "", resSnippets, "snippets deploy"},
		{"a sensitive scope the configuration does not list is invalid_scope (nobody approves more)",
			cc(machine, machineKey, "resource", resSnippets, "scope", "snippets deploy"), 400, oauth.ErrInvalidScope, "", ""},
		{"the admin API's scope only when listed: refused",
			cc(machine, machineKey, "resource", resAdmin, "scope", admin.Scope), 400, oauth.ErrInvalidScope, "", ""},
		{"the admin API's scope only when listed: given",
			cc(deployer, deployerKey, "resource", resAdmin, "scope", admin.Scope), 200, "", resAdmin, admin.Scope},
		{"an optional (step-up) scope is not a machine client's",
			cc(machine, machineKey, "resource", resSnippets, "scope", "snippets:delete"), 400, oauth.ErrInvalidScope, "", ""},
		{"RFC 6749 §3.3: a malformed scope",
			cc(machine, machineKey, "resource", resSnippets, "scope", `"`), 400, oauth.ErrInvalidScope, "", ""},
		{"RFC 8707 §2: an unknown resource is invalid_target",
			cc(machine, machineKey, "resource", "https://mcp.example/other"), 400, oauth.ErrInvalidTarget, "", ""},
		{"RFC 8707 §2: no resource with several MCP servers is invalid_target",
			cc(machine, machineKey), 400, oauth.ErrInvalidTarget, "", ""},
		{"RFC 8707 §2: resource may repeat, but one at a time is this server's limit: invalid_target",
			cc(machine, machineKey, "resource", resSnippets, "resource", resFiles), 400, oauth.ErrInvalidTarget, "", ""},
		{"RFC 6749 §4.4: the client authenticates",
			cc(machine, "wrong", "resource", resSnippets), 401, oauth.ErrInvalidClient, "", ""},
		{"issue #13: a configured client not given the grant is unauthorized_client",
			cc(secretApp, secretAppKey, "resource", resSnippets), 400, oauth.ErrUnauthorizedClient, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			before := h.grants()
			rec := h.do(tt.req())
			wantAnswer(t, rec, tt.status, tt.err)
			if tt.status != http.StatusOK {
				if h.grants() != before {
					t.Error("a refused request stored a grant")
				}
				return
			}
			resp := tokenResponse(t, rec)
			c := h.accessClaims(resp.AccessToken, tt.resource)
			if resp.RefreshToken != "" {
				t.Error("RFC 6749 §4.4.3: a refresh token was issued")
			}
			// RFC 9068 §2.2: the client is the subject; its own short grant,
			// so revoking the client's grants cuts the token off.
			g := h.grant(c.GrantID)
			if c.Scope != tt.scope || resp.Scope != tt.scope || c.Subject != c.ClientID || g.ClientID != c.ClientID ||
				!g.ExpiresAt.Equal(h.clock().Add(accessTTL)) {
				t.Errorf("token %+v, grant %+v; want scope %q, the client as subject, a grant as long as the token", c, g, tt.scope)
			}
		})
	}
}
