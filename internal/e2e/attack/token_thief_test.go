package attack

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// The attacker here copied an access token (from a log, a proxy, a crash
// dump) but not the key of the client it was issued to.

// dpopAdminToken signs alice (an administrator) in for the admin API with
// a DPoP proof of key at /token, and returns the bound access token.
func dpopAdminToken(t *testing.T, gw *gwtest.Gateway, key *dpoptest.Client) string {
	t.Helper()
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	res := gw.URL + "/admin"
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": res, "scope": "admin"}), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("admin authorization: %v", err)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {res}, "client_id": {c.ID}}
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", key.Proof(t, http.MethodPost, gw.URL+"/token", dpoptest.Options{}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := gwtest.DecodeBody(t, resp)
	at, _ := body["access_token"].(string)
	if resp.StatusCode != http.StatusOK || at == "" || body["token_type"] != "DPoP" {
		t.Fatalf("DPoP admin token: %d %v", resp.StatusCode, body)
	}
	return at
}

// adminWith calls the admin API's client list with an Authorization
// header and DPoP proofs, and returns the status.
func adminWith(t *testing.T, gw *gwtest.Gateway, authz string, proofs ...string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, gw.URL+"/admin/api/clients", nil)
	req.Header.Set("Authorization", authz)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestStolenDPoPTokenAtAdminAPI: an administrator's DPoP-bound token is
// worth nothing without its key at the admin API, as at every MCP server
// (docs/dpop.md: a bound token always needs its proof). The client that
// holds the key still gets in.
func TestStolenDPoPTokenAtAdminAPI(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {groups: [eng]}\n"})
	key := dpoptest.New(t)
	at := dpopAdminToken(t, gw, key)
	api := gw.URL + "/admin/api/clients"
	proof := func(k *dpoptest.Client, method, u string) string {
		return k.Proof(t, method, u, dpoptest.Options{Token: at})
	}

	if got := adminWith(t, gw, "Bearer "+at); got != http.StatusUnauthorized {
		t.Errorf("the bound token as a bearer token, no proof: %d, want 401", got)
	}
	if got := adminWith(t, gw, "DPoP "+at); got != http.StatusUnauthorized {
		t.Errorf("the bound token without a proof: %d, want 401", got)
	}
	if got := adminWith(t, gw, "DPoP "+at, proof(dpoptest.New(t), http.MethodGet, api)); got != http.StatusUnauthorized {
		t.Errorf("a proof of the thief's own key: %d, want 401", got)
	}
	if got := adminWith(t, gw, "DPoP "+at, proof(key, http.MethodPost, api)); got != http.StatusUnauthorized {
		t.Errorf("a proof for another method: %d, want 401", got)
	}
	if got := adminWith(t, gw, "DPoP "+at, proof(key, http.MethodGet, gw.URL+"/admin/api/grants")); got != http.StatusUnauthorized {
		t.Errorf("a proof for another URL: %d, want 401", got)
	}
	good := proof(key, http.MethodGet, api)
	if got := adminWith(t, gw, "DPoP "+at, good); got != http.StatusOK {
		t.Fatalf("the key's holder with a good proof: %d, want 200", got)
	}
	if got := adminWith(t, gw, "DPoP "+at, good); got != http.StatusUnauthorized {
		t.Errorf("the same proof replayed: %d, want 401", got)
	}
}
