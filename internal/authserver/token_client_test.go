package authserver

import (
	"slices"
	"testing"
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
