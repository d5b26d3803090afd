package authserver

import (
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// TestAllowsGrant: a client may use the grants it registered, but
// client_credentials only when the operator configured it, whatever a
// metadata document or a stored registration says.
func TestAllowsGrant(t *testing.T) {
	all := []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials}
	tests := []struct {
		kind   string
		grants []string
		grant  string
		want   bool
	}{
		{storage.ClientKindConfig, all, grantClientCredentials, true},
		{storage.ClientKindConfig, []string{grantAuthorizationCode}, grantClientCredentials, false},
		{storage.ClientKindCIMD, all, grantClientCredentials, false},
		{storage.ClientKindDynamic, all, grantClientCredentials, false},
		{"", all, grantClientCredentials, false},
		{storage.ClientKindCIMD, all, grantAuthorizationCode, true},
		{storage.ClientKindDynamic, all, grantRefreshToken, true},
		{storage.ClientKindDynamic, []string{grantAuthorizationCode}, grantRefreshToken, false},
	}
	for _, tt := range tests {
		c := &client{Client: storage.Client{Kind: tt.kind, GrantTypes: tt.grants}}
		if got := c.allowsGrant(tt.grant); got != tt.want {
			t.Errorf("%q client registered for %v: allowsGrant(%s) = %v, want %v", tt.kind, tt.grants, tt.grant, got, tt.want)
		}
	}
}
