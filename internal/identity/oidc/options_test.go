package oidc_test

import (
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	valid := oidc.Options{Name: "corp", Issuer: "https://idp.example.com", ClientID: clientID, RedirectURL: redirectURL}
	tests := []struct {
		name    string
		edit    func(*oidc.Options)
		wantErr []string // all must appear; none means valid
	}{
		{name: "valid"},
		{name: "loopback http issuer", edit: func(o *oidc.Options) { o.Issuer = "http://127.0.0.1:5556/dex" }},
		{name: "localhost http redirect", edit: func(o *oidc.Options) { o.RedirectURL = "http://localhost:8080/cb" }},
		{name: "resource toward a non-Entra IdP", edit: func(o *oidc.Options) { o.ExtraAuthParams = map[string]string{"resource": "x"} }},
		{name: "everything missing", edit: func(o *oidc.Options) { *o = oidc.Options{} },
			wantErr: []string{"name is empty", "issuer: is empty", "client_id is empty", "redirect_url: is empty"}},
		{name: "http issuer", edit: func(o *oidc.Options) { o.Issuer = "http://idp.example.com" }, wantErr: []string{"issuer: must use https"}},
		{name: "relative issuer", edit: func(o *oidc.Options) { o.Issuer = "idp.example.com" }, wantErr: []string{"issuer: is not an absolute URL"}},
		{name: "issuer with query", edit: func(o *oidc.Options) { o.Issuer = "https://idp.example.com/?tenant=x" }, wantErr: []string{"query"}},
		{name: "http redirect", edit: func(o *oidc.Options) { o.RedirectURL = "http://drawbridge.example.com/cb" }, wantErr: []string{"redirect_url: must use https"}},
		{name: "reserved extra params", edit: func(o *oidc.Options) {
			o.ExtraAuthParams = map[string]string{"state": "x", "code_challenge_method": "plain"}
		}, wantErr: []string{`"state" is set by Drawbridge`, `"code_challenge_method" is set by Drawbridge`}},
		{name: "resource toward an Entra issuer", edit: func(o *oidc.Options) {
			o.Issuer = "https://login.microsoftonline.us/" + "2f4a9838-26b7-47ee-be60-ccc1fdec5953/v2.0"
			o.ExtraAuthParams = map[string]string{"resource": "x"}
		}, wantErr: []string{"AADSTS901002"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			if tt.edit != nil {
				tt.edit(&o)
			}
			_, err := oidc.New(o)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestNewEntraValidates(t *testing.T) {
	t.Parallel()
	valid := oidc.EntraOptions{Name: "entra", TenantID: "2F4A9838-26B7-47EE-BE60-CCC1FDEC5953", ClientID: clientID,
		ClientSecret: "s", RedirectURL: redirectURL}
	tests := []struct {
		name    string
		edit    func(*oidc.EntraOptions)
		wantErr []string
	}{
		{name: "valid"},
		{name: "national cloud", edit: func(o *oidc.EntraOptions) { o.Cloud = "https://login.microsoftonline.us/" }},
		{name: "common tenant", edit: func(o *oidc.EntraOptions) { o.TenantID = "common" }, wantErr: []string{"other tenants"}},
		{name: "organizations tenant", edit: func(o *oidc.EntraOptions) { o.TenantID = "Organizations" }, wantErr: []string{"other tenants"}},
		{name: "domain tenant", edit: func(o *oidc.EntraOptions) { o.TenantID = "contoso.onmicrosoft.com" }, wantErr: []string{"not a GUID"}},
		{name: "no tenant", edit: func(o *oidc.EntraOptions) { o.TenantID = "" }, wantErr: []string{"tenant_id is empty"}},
		{name: "http cloud", edit: func(o *oidc.EntraOptions) { o.Cloud = "http://login.microsoftonline.com" }, wantErr: []string{"cloud: must use https"}},
		{name: "cloud with a path", edit: func(o *oidc.EntraOptions) { o.Cloud = "https://login.microsoftonline.com/common" }, wantErr: []string{"cloud: must be a scheme and host"}},
		{name: "several problems", edit: func(o *oidc.EntraOptions) {
			o.TenantID, o.ClientID = "common", ""
			o.ExtraAuthParams = map[string]string{"resource": "https://graph.microsoft.com"}
		}, wantErr: []string{"other tenants", "client_id is empty", "AADSTS901002"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			if tt.edit != nil {
				tt.edit(&o)
			}
			_, err := oidc.NewEntra(o)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
}
