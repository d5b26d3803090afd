package config

import (
	"errors"
	"strings"
	"testing"
)

const entraIdentity = `
identity:
  type: entra
  entra: {tenant_id: 8eaef023-2b34-4da1-9baa-8bc8c9d6a490, client_id: gw, client_secret: s, scopes: [openid, offline_access, "api://gw/access_as_user"]}
`

func parseServer(t *testing.T, identity, auth string) error {
	t.Helper()
	y := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
` + identity + `
servers:
  - name: s
    path: /mcp
    upstream: http://127.0.0.1:7071/mcp
    auth: ` + auth + "\n"
	_, err := Parse([]byte(y), env(map[string]string{"K": "v"}))
	return err
}

func TestBackendAuthValid(t *testing.T) {
	for _, auth := range []string{
		`{mode: headers, headers: {x-api-key: "${K}"}, header_files: {x-other: /run/secrets/key}}`,
		`{mode: token_exchange, audience: snippets-api}`,
		`{mode: token_exchange, scopes: [snippets], token_url: "https://sts.example.com/token", client_id: gw2, client_secret: x}`,
		`{mode: entra_obo, scopes: ["api://snippets/.default"]}`,
		`{mode: entra_obo, scopes: ["api://snippets/.default"], client_id: other, client_certificate: {cert_file: c.pem, key_file: k.pem}}`,
		`{mode: upstream_token, audience: "api://gw"}`,
	} {
		if err := parseServer(t, entraIdentity, auth); err != nil {
			t.Errorf("%s: %v", auth, err)
		}
	}
}

func TestBackendAuthProblems(t *testing.T) {
	local := `
identity:
  local:
    users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]
`
	oidcID := `
identity:
  type: oidc
  oidc: {issuer: "https://idp.example.com", client_id: gw, client_secret: s}
`
	for _, tc := range []struct{ identity, auth, want string }{
		{entraIdentity, `{mode: magic}`, `mode: "magic" is not one of`},
		{entraIdentity, `{mode: headers}`, "needs headers or header_files"},
		{entraIdentity, `{mode: headers, headers: {"bad name": x}}`, `"bad name" is not a valid header name`},
		{entraIdentity, `{mode: headers, headers: {x-k: "v"}, header_files: {x-k: /f}}`, "also set in headers"},
		{local, `{mode: token_exchange, audience: a}`, "needs identity.type oidc or entra"},
		{local, `{mode: upstream_token, audience: a}`, "needs identity.type oidc or entra"},
		{oidcID, `{mode: token_exchange}`, "needs audience, resource or scopes"},
		{oidcID, `{mode: token_exchange, audience: a, client_secret: x}`, "client_id: required with token_url"},
		{oidcID, `{mode: token_exchange, audience: a, token_url: "https://sts.example.com/t"}`, "client_id: required with token_url"},
		{oidcID, `{mode: token_exchange, audience: a, client_id: x}`, "client_secret: required (or client_certificate)"},
		{oidcID, `{mode: token_exchange, audience: a, token_url: "http://sts.example.com/t", client_id: c, client_secret: s}`, "must be an https URL"},
		{oidcID, `{mode: entra_obo, scopes: [a]}`, "needs identity.type entra"},
		{entraIdentity, `{mode: entra_obo}`, "scopes: required for entra_obo"},
		{entraIdentity, `{mode: entra_obo, scopes: [a], resource: "https://x"}`, "Entra ID v2 refuses resource"},
		{oidcID, `{mode: upstream_token}`, "audience: required for upstream_token"},
		{oidcID, `{mode: client_credentials, token_url: "https://sts.example.com/t", client_id: c}`, "client_secret: required"},
	} {
		err := parseServer(t, tc.identity, tc.auth)
		var p *Problems
		if !errors.As(err, &p) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a problem with %q", tc.auth, err, tc.want)
		}
	}
}
