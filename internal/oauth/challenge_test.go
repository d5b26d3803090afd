package oauth

import "testing"

func TestBearerChallenge(t *testing.T) {
	tests := []struct {
		c    BearerChallenge
		want string
	}{
		{BearerChallenge{ResourceMetadata: "https://gw/.well-known/oauth-protected-resource/mcp", Scope: []string{"a", "b"}},
			`Bearer scope="a b", resource_metadata="https://gw/.well-known/oauth-protected-resource/mcp"`},
		{BearerChallenge{Error: "insufficient_scope", Scope: []string{"w"}, ResourceMetadata: "https://gw/prm"},
			`Bearer error="insufficient_scope", scope="w", resource_metadata="https://gw/prm"`},
		{BearerChallenge{Error: "invalid_token", ErrorDescription: "bad \"token\"\n"},
			`Bearer error="invalid_token", error_description="bad \"token\""`},
		{BearerChallenge{}, `Bearer`},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}
