package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// startWithCertIdP is startWithIdP with Drawbridge authenticating at the
// identity provider with a certificate: the provider knows registered,
// Drawbridge's configuration points at held's files (through ${NAME}, as
// an operator would mount them).
func startWithCertIdP(t *testing.T, entra bool, registered, held *oidctest.ClientCertificate) (*gwtest.Gateway, *oidctest.Provider) {
	t.Helper()
	idp := oidctest.Start(t, oidctest.Options{Entra: entra, TLS: entra, Users: []oidctest.User{{
		Username: "carol", Subject: "carol-sub", OID: "7d1c3b5e-0000-4000-8000-00000000c4a1",
		Email: "carol@example.com", Name: "Carol", Groups: []string{"finance"},
	}}})
	idp.SetAutoLogin("carol")
	const cert = `client_certificate: {cert_file: "${IDP_CERT}", key_file: "${IDP_KEY}"}`
	ident := fmt.Sprintf(`
identity:
  type: oidc
  oidc: {issuer: %q, client_id: drawbridge, %s}
`, idp.Issuer(), cert)
	if entra {
		ident = fmt.Sprintf(`
identity:
  type: entra
  entra: {tenant_id: %q, client_id: drawbridge, cloud: %q, %s}
`, idp.TenantID(), idp.BaseURL(), cert)
	}
	gw := gwtest.Start(t, gwtest.Options{Identity: ident, Env: map[string]string{"IDP_CERT": held.CertFile, "IDP_KEY": held.KeyFile}, IdPClient: idp.Client()})
	idp.AddCertificateClient("drawbridge", registered.Cert, gw.URL+"/callback")
	return gw, idp
}

// assertNoAssertionOrKey checks the gateway's log for the private key and
// for anything shaped like a JWT: a client assertion starts with
// eyJhbGciOi, the base64url of `{"alg":`.
func assertNoAssertionOrKey(t *testing.T, logs string, cc *oidctest.ClientCertificate) {
	t.Helper()
	if strings.Contains(logs, "eyJhbGciOi") {
		t.Error("the log contains something shaped like a JWT")
	}
	for _, line := range strings.Split(string(cc.KeyPEM), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(logs, line) {
			t.Fatal("the log contains private key material")
		}
	}
}

func TestGoSDKClientWithUpstreamCertificate(t *testing.T) {
	cc := oidctest.NewClientCertificate(t, nil)
	for _, entra := range []bool{false, true} {
		t.Run(map[bool]string{false: "generic OIDC", true: "Entra-like"}[entra], func(t *testing.T) {
			gw, idp := startWithCertIdP(t, entra, cc, cc)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			br := browser.New(gw.URL, idp.BaseURL())
			br.Client.Transport = idp.Client().Transport
			cs := connectSDK(t, ctx, gw.MCP, sdkOAuthHandler(t, br, ""))

			wantSub := "carol-sub"
			if entra {
				wantSub = "7d1c3b5e-0000-4000-8000-00000000c4a1"
			}
			if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, wantSub) {
				t.Errorf("hello_mcp = %q, want subject %s", got, wantSub)
			}
			tok := idp.RequestsTo("token")
			if len(tok) != 1 {
				t.Fatalf("%d token requests to the identity provider, want 1", len(tok))
			}
			p := tok[0].Params
			if p.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
				p.Get("client_assertion") != oidctest.Redacted || p.Get("client_id") != "drawbridge" {
				t.Errorf("token request parameters = %v", p)
			}
			if p.Has("client_secret") || tok[0].BasicAuthUser != "" {
				t.Error("the token request carried a client secret")
			}
			for _, r := range idp.Requests() {
				if r.Params.Has("resource") {
					t.Errorf("a request to the identity provider carried resource: %s %s", r.Method, r.Path)
				}
			}
			logs := gw.Logs.String()
			if !strings.Contains(logs, "identity provider client certificate") {
				t.Error("the certificate in use was not logged at startup")
			}
			assertNoAssertionOrKey(t, logs, cc)
		})
	}
}

// TestUpstreamCertificateNotRegistered: Drawbridge signs with a certificate
// the identity provider does not have (say, a renewed one not yet
// uploaded). The provider refuses the token request; the user sees a
// sign-in failure, the log says why, and nothing secret is logged.
func TestUpstreamCertificateNotRegistered(t *testing.T) {
	registered, held := oidctest.NewClientCertificate(t, nil), oidctest.NewClientCertificate(t, nil)
	gw, idp := startWithCertIdP(t, false, registered, held)
	c := gwtest.RegisterClient(t, gw, nil)
	br := browser.New(gw.URL) // stops at the IdP: we drive it by hand
	c.Browser = br
	p, err := br.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
	if err != nil || p.Callback == nil || !strings.HasPrefix(p.Callback.String(), idp.BaseURL()) {
		t.Fatalf("authorize did not send the browser to the IdP: %v", err)
	}
	back, err := idp.Login(context.Background(), p.Callback.String(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	page, err := br.Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	if page.Resp.StatusCode != http.StatusBadGateway || page.Path() != "/callback" || page.Callback != nil {
		t.Fatalf("callback with a refused client assertion: %d %s (client callback %v)", page.Resp.StatusCode, page.Path(), page.Callback)
	}
	logs := gw.Logs.String()
	if !strings.Contains(logs, "upstream sign-in failed") || !strings.Contains(logs, "invalid_client") {
		t.Errorf("the log does not say the identity provider refused Drawbridge's credential:\n%s", logs)
	}
	if n := len(idp.RequestsTo("token")); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	assertNoAssertionOrKey(t, logs, held)
}

// TestStartRefusesBadClientCertificate: the certificate files are read when
// the server starts, and a problem stops it with the configuration key and
// the file in the message.
func TestStartRefusesBadClientCertificate(t *testing.T) {
	cc, other := oidctest.NewClientCertificate(t, nil), oidctest.NewClientCertificate(t, nil)
	missing := filepath.Join(t.TempDir(), "missing.key")
	notPEM := filepath.Join(t.TempDir(), "notpem.crt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, identity, certFile, keyFile string
		want                              []string
	}{
		{"missing key file", "oidc", cc.CertFile, missing, []string{"identity.oidc.client_certificate", missing, "no such file"}},
		{"not PEM", "entra", notPEM, cc.KeyFile, []string{"identity.entra.client_certificate", notPEM, "no PEM CERTIFICATE block"}},
		{"key of another certificate", "entra", cc.CertFile, other.KeyFile, []string{"identity.entra.client_certificate", "does not belong to the certificate"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ident := `{type: oidc, oidc: {issuer: "https://idp.example.com", client_id: drawbridge, client_certificate: {cert_file: "${CERT}", key_file: "${KEY}"}}}`
			if tt.identity == "entra" {
				ident = `{type: entra, entra: {tenant_id: "` + oidctest.DefaultTenantID + `", client_id: drawbridge, client_certificate: {cert_file: "${CERT}", key_file: "${KEY}"}}}`
			}
			yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "` + filepath.Join(dir, "db.sqlite") + `"}}
encryption_keys: [{id: k1, key: "${ENC}"}]
identity: ` + ident + `
servers: [{name: snippets, path: /mcp, upstream: "http://127.0.0.1:7071/mcp"}]
`
			vars := map[string]string{"ENC": tokens.GenerateKey(), "CERT": tt.certFile, "KEY": tt.keyFile}
			cfg, err := config.Parse([]byte(yaml), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
			if err != nil {
				t.Fatalf("the configuration itself is valid: %v", err)
			}
			srv, err := server.New(context.Background(), cfg, server.Options{})
			if err == nil {
				_ = srv.Close()
				t.Fatal("server.New accepted an unusable client certificate")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			assertNoAssertionOrKey(t, err.Error(), cc)
			assertNoAssertionOrKey(t, err.Error(), other)
		})
	}
}
