package server

import (
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
)

// TestSignInSetOn: the authorization server gets the one provider that
// signs users in, and back-channel logout only from a generic OIDC
// provider that has it on.
func TestSignInSetOn(t *testing.T) {
	on, off := true, false
	pw, up := &local.Provider{}, &oidc.Provider{}
	for _, tc := range []struct {
		name                    string
		in                      signIn
		typ                     string
		backChannel             *bool
		password, redirect, bcl bool
	}{
		{"local users", signIn{password: pw}, "local", &on, true, false, false},
		{"oidc with back-channel logout", signIn{upstream: up}, "oidc", &on, false, true, true},
		{"oidc without back-channel logout", signIn{upstream: up}, "oidc", &off, false, true, false},
		{"entra", signIn{upstream: up}, "entra", &on, false, true, false},
		{"nobody", signIn{}, config.IdentityNone, &on, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{}
			cfg.Identity.Type, cfg.Identity.OIDC.BackChannelLogout = tc.typ, tc.backChannel
			var o authserver.Options
			tc.in.setOn(cfg, &o)
			if (o.Password != nil) != tc.password || (o.Redirect != nil) != tc.redirect || (o.Logout != nil) != tc.bcl {
				t.Errorf("Password %v, Redirect %v, Logout %v; want set: %v, %v, %v",
					o.Password, o.Redirect, o.Logout, tc.password, tc.redirect, tc.bcl)
			}
			if (tc.in.ready() != nil) != tc.redirect {
				t.Errorf("ready() set: %v, want %v (only an upstream provider is checked)", tc.in.ready() != nil, tc.redirect)
			}
		})
	}
}

// TestNewVault: a vault is kept only when a backend acts with the user's
// upstream tokens and users sign in upstream.
func TestNewVault(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     string
		upstream *oidc.Provider
		want     bool
	}{
		{"upstream_token at an upstream provider", "upstream_token", &oidc.Provider{}, true},
		{"token_exchange at an upstream provider", "token_exchange", &oidc.Provider{}, true},
		{"entra_obo at an upstream provider", "entra_obo", &oidc.Provider{}, true},
		{"no backend needs one", "identity_assertion", &oidc.Provider{}, false},
		{"nobody signs in upstream", "upstream_token", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Backends: []config.Backend{{Name: "a"}, {Name: "b", Auth: config.BackendAuth{Mode: tc.mode}}}}
			if got := newVault(cfg, goldenOptions(), standInCore(), tc.upstream) != nil; got != tc.want {
				t.Errorf("vault made: %v, want %v", got, tc.want)
			}
		})
	}
}
