package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// startWithIdP runs a gateway whose users sign in at a real OpenID
// Connect provider (zitadel/oidc's op package, in-process).
func startWithIdP(t *testing.T, entra bool) (*gwtest.Gateway, *oidctest.Provider) {
	t.Helper()
	return startWithIdPYAML(t, entra, "")
}

// startWithIdPYAML is startWithIdP with extra configuration (see
// gwtest.Options.ExtraYAML).
func startWithIdPYAML(t *testing.T, entra bool, extraYAML string) (*gwtest.Gateway, *oidctest.Provider) {
	t.Helper()
	idp := oidctest.Start(t, oidctest.Options{Entra: entra, TLS: entra, Users: []oidctest.User{{
		Username: "carol", Subject: "carol-sub", OID: "7d1c3b5e-0000-4000-8000-00000000c4a1",
		Email: "carol@example.com", Name: "Carol", Groups: []string{"finance"},
	}}})
	idp.SetAutoLogin("carol")
	ident := fmt.Sprintf(`
identity:
  type: oidc
  oidc: {issuer: %q, client_id: drawbridge, client_secret: "${IDP_SECRET}"}
`, idp.Issuer())
	if entra {
		ident = fmt.Sprintf(`
identity:
  type: entra
  entra: {tenant_id: %q, client_id: drawbridge, client_secret: "${IDP_SECRET}", cloud: %q}
`, idp.TenantID(), idp.BaseURL())
	}
	const secret = "idp-client-secret-for-tests"
	gw := gwtest.Start(t, gwtest.Options{Identity: ident, ExtraYAML: extraYAML, Env: map[string]string{"IDP_SECRET": secret}, IdPClient: idp.Client()})
	idp.AddClient("drawbridge", secret, gw.URL+"/callback")
	return gw, idp
}

func TestGoSDKClientWithUpstreamOIDC(t *testing.T) {
	for _, entra := range []bool{false, true} {
		t.Run(map[bool]string{false: "generic OIDC", true: "Entra-like"}[entra], func(t *testing.T) {
			gw, idp := startWithIdP(t, entra)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			br := browser.New(gw.URL, idp.BaseURL())
			br.Client.Transport = idp.Client().Transport
			cs := connectSDK(t, ctx, gw.MCP, sdkOAuthHandler(t, br, ""))

			if got := gwtest.CallText(t, ctx, cs, "save_snippet", map[string]any{"snippetname": "n", "snippet": "from carol"}); got == "" {
				t.Error("save_snippet returned nothing")
			}
			if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": "n"}); !strings.Contains(got, "from carol") {
				t.Errorf("get_snippet = %q", got)
			}
			wantSub := "carol-sub"
			if entra {
				wantSub = "7d1c3b5e-0000-4000-8000-00000000c4a1" // Entra: the oid claim
			}
			if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, wantSub) {
				t.Errorf("hello_mcp = %q, want subject %s", got, wantSub)
			}
			for _, r := range idp.Requests() {
				if _, ok := r.Params["resource"]; ok {
					t.Errorf("a request to the identity provider carried resource: %s %s", r.Method, r.Path)
				}
			}
			authz := idp.RequestsTo("authorize")
			if len(authz) == 0 || authz[0].Params.Get("code_challenge_method") != "S256" || authz[0].Params.Get("nonce") == "" {
				t.Errorf("upstream authorization request lacks PKCE or nonce: %+v", authz)
			}
			be := gw.Backend
			be.Mu.Lock()
			defer be.Mu.Unlock()
			if len(be.Authorization) != 0 || len(be.Cookies) != 0 {
				t.Errorf("client credentials reached the backend")
			}
		})
	}
}

// TestUpstreamStateIsSingleUse replays the identity provider's redirect
// back to Drawbridge: the second callback must fail.
func TestUpstreamStateIsSingleUse(t *testing.T) {
	gw, idp := startWithIdP(t, false)
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
	first, err := br.Get(back.String())
	if err != nil || first.Path() != "/consent" {
		t.Fatalf("callback: %v %s", err, first.Path())
	}
	again, err := br.Get(back.String())
	if err != nil || again.Resp.StatusCode != http.StatusBadRequest || again.Path() != "/callback" {
		t.Fatalf("replayed callback: %v %d %s", err, again.Resp.StatusCode, again.Path())
	}
	// A callback in another browser is refused even with a fresh state.
	p, _ = br.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
	back, _ = idp.Login(context.Background(), p.Callback.String(), "carol")
	if other, _ := browser.New(gw.URL).Get(back.String()); other.Resp.StatusCode != http.StatusForbidden {
		t.Fatalf("callback in another browser: %d", other.Resp.StatusCode)
	}
}

// TestOAuthDebugNeverLogsState: with log.oauth_debug on, a full flow
// through an upstream identity provider logs each step but neither the
// client's state nor the state Drawbridge sent upstream, which binds the
// callback to the sign-in (whoever reads the log could otherwise complete
// or forge a callback).
func TestOAuthDebugNeverLogsState(t *testing.T) {
	gw, idp := startWithIdPYAML(t, false, "log: {oauth_debug: true}\n")
	c := gwtest.RegisterClient(t, gw, nil)
	state := "client-state-" + gwtest.NewVerifier()
	v := gwtest.NewVerifier()
	p, err := c.Browser.Get(c.AuthorizeURL(v, map[string]string{"state": state}))
	if err != nil || p.Callback == nil || !strings.HasPrefix(p.Callback.String(), idp.BaseURL()) {
		t.Fatalf("authorize did not send the browser to the IdP: %v", err)
	}
	upstream := p.Callback.Query().Get("state")
	_, upstreamSecret, _ := strings.Cut(upstream, ".")
	back, err := idp.Login(context.Background(), p.Callback.String(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	if p, err = c.Browser.Get(back.String()); err != nil || p.Path() != "/consent" {
		t.Fatalf("callback: %v", err)
	}
	if p, err = c.Browser.Consent(p, true); err != nil || p.Callback == nil || p.Callback.Query().Get("state") != state {
		t.Fatalf("consent: %v %+v", err, p)
	}
	if status, body := c.Redeem(p.Callback.Query().Get("code"), v); status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	logs := gw.Logs.String()
	for _, step := range []string{"authorize: request", "callback: from the identity provider", "token: issued"} {
		if !strings.Contains(logs, `step="`+step) {
			t.Errorf("the debug trace lacks %q", step)
		}
	}
	if got := strings.Count(logs, `params.state="[redacted, `); got != 2 {
		t.Errorf("the state was shown redacted %d times, want 2 (authorize, callback)", got)
	}
	for what, secret := range map[string]string{"the client's state": state, "the upstream state": upstream, "the upstream state's secret": upstreamSecret} {
		if len(secret) < 16 {
			t.Fatalf("%s is %q: the test would prove nothing", what, secret)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("%s reached the log", what)
		}
	}
}

func TestReadinessFollowsTheIdentityProvider(t *testing.T) {
	gw, idp := startWithIdP(t, false)
	get := func() (int, string) {
		resp, err := http.Get(gw.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	idp.SetDown(true)
	if status, body := get(); status != 503 || !strings.Contains(body, `"identity_provider":"unreachable"`) {
		t.Fatalf("IdP down: %d %s", status, body)
	}
	idp.SetDown(false)
	// The provider retries discovery after a short back-off; poll for it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := get()
		if status == 200 && strings.Contains(body, `"identity_provider":"ok"`) && strings.Contains(body, `"storage":"ok"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after the IdP came back: %d %s", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, body := get(); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
}
