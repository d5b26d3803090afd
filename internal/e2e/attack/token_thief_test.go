package attack

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

// pushBackend is an MCP server whose GET stream sends an event each time
// the test asks.
type pushBackend struct {
	push   chan string
	opened chan struct{}
}

func startPushBackend(t *testing.T) (*pushBackend, string) {
	t.Helper()
	b := &pushBackend{push: make(chan string), opened: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		b.opened <- struct{}{}
		for {
			select {
			case <-r.Context().Done():
				return
			case data := <-b.push:
				if _, err := fmt.Fprintf(w, "event: message\ndata: %s\n\n", data); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(srv.Close)
	return b, srv.URL + "/mcp"
}

// TestRevokedGrantsOpenStream: a stream opened while the grant was good
// carries nothing the backend sends after the grant is revoked (signed
// out, or revoked by an administrator): the gateway ends it instead.
func TestRevokedGrantsOpenStream(t *testing.T) {
	b, upstream := startPushBackend(t)
	gw := gwtest.Start(t, gwtest.Options{Upstream: upstream})
	c := gwtest.RegisterClient(t, gw, nil)
	tok := c.Tokens(gwtest.User)
	at := tok["access_token"].(string)

	req, _ := http.NewRequest(http.MethodGet, gw.MCP, nil)
	req.Header.Set("Authorization", "Bearer "+at)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("opening the stream: %d", resp.StatusCode)
	}
	<-b.opened
	lines := bufio.NewReader(resp.Body)
	b.push <- "before"
	if got := nextData(lines); got != "before" {
		t.Fatalf("the event sent while the grant was good: %q", got)
	}

	// The user signs the client out: the grant is revoked.
	form := url.Values{"token": {tok["refresh_token"].(string)}, "client_id": {c.ID}}
	rresp, err := http.PostForm(gw.URL+"/revoke", form)
	if err != nil {
		t.Fatal(err)
	}
	_ = rresp.Body.Close()
	if got := gwtest.MCPCall(t, gw.MCP, "Bearer "+at); got.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after revocation the token still works for new requests: %d", got.StatusCode)
	}

	b.push <- "after"
	if got := nextData(lines); got != "" {
		t.Errorf("the open stream carried %q after the grant was revoked", got)
	}
}

// nextData reads the next event's data from an SSE stream, skipping
// comments; "" when the stream ends first.
func nextData(r *bufio.Reader) string {
	for {
		line, err := r.ReadString('\n')
		if d, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: "); ok {
			return d
		}
		if err != nil {
			return ""
		}
	}
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
