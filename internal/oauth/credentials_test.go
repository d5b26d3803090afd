package oauth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAccessToken(t *testing.T) {
	tests := []struct {
		hdr  []string
		want string
		ok   bool
	}{
		{[]string{"Bearer abc"}, "abc", true},
		{[]string{"bearer abc"}, "abc", true},
		{[]string{"BEARER  abc "}, "abc", true},
		{[]string{"Bearer"}, "", false},
		{[]string{"Bearer "}, "", false},
		{[]string{"Basic abc"}, "", false},
		{[]string{"Bearer a", "Bearer b"}, "", false},
		{[]string{"DPoP abc"}, "abc", true},
		{[]string{"dpop abc"}, "abc", true},
		{[]string{"DPoP"}, "", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		for _, h := range tt.hdr {
			r.Header.Add("Authorization", h)
		}
		_, got, ok := AccessToken(r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("AccessToken(%q) = %q, %v", tt.hdr, got, ok)
		}
	}
}
