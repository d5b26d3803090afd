package gateway

import (
	"context"
	"reflect"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// TestExchangeIdentity: the policy sees the same caller whether the
// exchange's scopes came from the token check or are read from the claims
// (an exchange made outside a request), and the scopes as ParseScope reads
// them (a repeat once).
func TestExchangeIdentity(t *testing.T) {
	c := &tokens.AccessClaims{Subject: "alice", Email: "a@example.com", Name: "A", Groups: []string{"g1"}, ClientID: "c1", Scope: "mcp  extra mcp"}
	want := policy.Identity{Subject: "alice", Email: "a@example.com", Name: "A", Groups: []string{"g1"}, ClientID: "c1", Scopes: []string{"mcp", "extra"}}
	checked := &exchange{claims: c, scopes: []string{"mcp", "extra"}}
	outside := exchangeOf(WithCaller(context.Background(), c))
	for name, x := range map[string]*exchange{"checked": checked, "outside a request": outside} {
		if got := x.identity(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
		if got := x.identity(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s, asked again: %+v", name, got)
		}
	}
}
