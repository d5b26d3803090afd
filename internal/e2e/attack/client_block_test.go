package attack

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// stallingKeys serves a metadata document whose client authenticates with
// private_key_jwt and a jwks_uri, and holds every request for the key set
// until release is closed: the attacker decides when its token request
// goes on.
type stallingKeys struct {
	*httptest.Server
	doc     map[string]any
	jwks    []byte
	asked   chan struct{} // one value per key-set request
	release chan struct{}
}

func startStallingKeys(t *testing.T, a *attacker) *stallingKeys {
	t.Helper()
	s := &stallingKeys{jwks: a.jwks, asked: make(chan struct{}, 8), release: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/agent.json":
			_ = json.NewEncoder(w).Encode(s.doc)
		case "/jwks.json":
			s.asked <- struct{}{}
			<-s.release
			_, _ = w.Write(s.jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	s.StartTLS()
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		s.Close()
	})
	s.doc = map[string]any{
		"client_id": s.URL + "/agent.json", "client_name": "Agent", "redirect_uris": []string{gwtest.Redirect},
		"grant_types": []string{"authorization_code"}, "token_endpoint_auth_method": "private_key_jwt",
		"jwks_uri": s.URL + "/jwks.json",
	}
	return s
}

func (s *stallingKeys) rootCAs() *x509.CertPool {
	return s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

// TestBlockHoldsAgainstTokenRequestHeldOpen: a metadata-document client
// that authenticates with a jwks_uri of its own can hold its token request
// open after the gateway looked it up, by answering for its keys slowly.
// An administrator blocks it meanwhile: the block is stored, then the
// client's grants are revoked, before the held request has stored its
// grant. Once the keys come, that request must not get a working token or
// leave a live grant. Ground truth: the backend receives nothing from the
// token, and the admin API lists no live grant of the client. A block of
// the client_id also deletes the client's unredeemed codes (invalid_grant);
// a block of its host does not, and the token endpoint's second look at
// the client, once the grant is stored, refuses it (invalid_client).
func TestBlockHoldsAgainstTokenRequestHeldOpen(t *testing.T) {
	for _, tc := range []struct {
		name   string
		block  func(id string) string
		status int
		error  string
	}{
		{"client_id", func(id string) string { return "client_id=" + url.QueryEscape(id) }, http.StatusBadRequest, "invalid_grant"},
		{"host", func(id string) string {
			u, _ := url.Parse(id)
			return "host=" + url.QueryEscape(u.Hostname())
		}, http.StatusUnauthorized, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) { blockHoldsAgainstTokenRequestHeldOpen(t, tc.block, tc.status, tc.error) })
	}
}

func blockHoldsAgainstTokenRequestHeldOpen(t *testing.T, block func(id string) string, status int, oauthErr string) {
	a := newAttacker(t)
	keys := startStallingKeys(t, a)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: gwtest.MetadataDocumentsYAML + "admin: {groups: [eng]}\n",
		MetadataRootCAs: keys.rootCAs()})
	id := keys.doc["client_id"].(string)
	c := &gwtest.Client{GW: gw, ID: id, Redirect: gwtest.Redirect, Browser: browser.New(gw.URL)}
	v := gwtest.NewVerifier()
	form := assertionForm(a.assertion(t, gw, id))
	form.Set("grant_type", "authorization_code")
	form.Set("code", signInCode(t, c, v))
	form.Set("code_verifier", v)
	form.Set("redirect_uri", c.Redirect)
	admin := adminToken(t, gw)

	type answer struct {
		status int
		body   map[string]any
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.PostForm(gw.URL+"/token", form)
		if err != nil {
			answered <- answer{}
			return
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		answered <- answer{resp.StatusCode, body}
	}()
	<-keys.asked // the client has been looked up; its keys are being fetched
	if status, m := adminRequest(t, gw, admin, http.MethodPost, "/admin/api/blocks?"+block(id)); status != http.StatusOK {
		t.Fatalf("block: %d %v", status, m)
	}
	close(keys.release)
	got := <-answered

	if tok, ok := got.body["access_token"].(string); ok {
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the blocked client's token at the MCP server: %d, want 401", resp.StatusCode)
		}
	} else if got.status != status || got.body["error"] != oauthErr {
		t.Errorf("token request held over the block: %d %v, want tokens that do not work or %d %s", got.status, got.body, status, oauthErr)
	}
	gw.Backend.Mu.Lock()
	reached := gw.Backend.Requests
	gw.Backend.Mu.Unlock()
	if reached != 0 {
		t.Errorf("the blocked client reached the backend: %d requests", reached)
	}
	status, m := adminRequest(t, gw, admin, http.MethodGet, "/admin/api/grants?client="+url.QueryEscape(id))
	if status != http.StatusOK {
		t.Fatalf("list grants: %d %v", status, m)
	}
	if live, _ := m["grants"].([]any); len(live) != 0 {
		t.Errorf("the blocked client has %d live grants, want none: %v", len(live), live)
	}
}

// adminToken signs alice (an administrator: group eng) in for the admin
// API and returns her access token.
func adminToken(t *testing.T, gw *gwtest.Gateway) string {
	t.Helper()
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	res := gw.URL + "/admin"
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": res, "scope": "admin"}), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("admin authorization: %v", err)
	}
	status, body := c.Token(url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {res}})
	if status != http.StatusOK {
		t.Fatalf("admin token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

func adminRequest(t *testing.T, gw *gwtest.Gateway, token, method, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, gw.URL+path, strings.NewReader(""))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}
