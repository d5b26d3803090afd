package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

const dpopMachine = `
clients:
  - id: dpop-job
    secret: "${JOB_SECRET}"
    grant_types: [client_credentials]
`

// dpopPost posts to u (form: a token request; else an MCP initialize)
// with authz and the DPoP proofs, and returns the status, the JSON body
// and the response.
func dpopPost(t *testing.T, u string, form url.Values, basic [2]string, authz string, proofs ...string) (int, map[string]any, *http.Response) {
	t.Helper()
	var req *http.Request
	if form != nil {
		req, _ = http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"dpop","version":"1"}}}`
		req, _ = http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	if basic[0] != "" {
		req.SetBasicAuth(basic[0], basic[1])
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m == nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		m = map[string]any{"sse": string(b)}
	}
	return resp.StatusCode, m, resp
}

// wantErr checks a refusal's status and OAuth error code.
func wantErr(t *testing.T, what string, status int, body map[string]any, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || body["error"] != code {
		t.Errorf("%s: %d %v, want %d %s", what, status, body, wantStatus, code)
	}
}

// TestDPoPEndToEnd runs the whole flow with a DPoP key: authorize with
// dpop_jkt, redeem with a proof, call the MCP server with the bound
// token, refresh with a proof; and each way around it.
func TestDPoPEndToEnd(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	key := dpoptest.New(t)
	tokenURL := gw.URL + "/token"
	proof := func(method, u string, o dpoptest.Options) string { return key.Proof(t, method, u, o) }

	v := gwtest.NewVerifier()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"dpop_jkt": key.JKT(t)}), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("authorize: %v", err)
	}
	code := p.Callback.Query().Get("code")
	redeem := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {c.Redirect},
		"resource": {gw.MCP}, "client_id": {c.ID}}

	// Token endpoint refusals leave the code unspent: the proof is
	// checked first.
	tokenProofRefusals := map[string]string{
		"wrong htm": proof(http.MethodGet, tokenURL, dpoptest.Options{}),
		"wrong htu": proof(http.MethodPost, gw.URL+"/authorize", dpoptest.Options{}),
		"stale iat": proof(http.MethodPost, tokenURL, dpoptest.Options{IssuedAt: time.Now().Add(-5 * time.Minute)}),
	}
	for what, pr := range tokenProofRefusals {
		st, body, _ := dpopPost(t, tokenURL, redeem, [2]string{}, "", pr)
		wantErr(t, "token, "+what, st, body, http.StatusBadRequest, "invalid_dpop_proof")
	}
	good := proof(http.MethodPost, tokenURL, dpoptest.Options{})
	st, tok, _ := dpopPost(t, tokenURL, redeem, [2]string{}, "", good)
	if st != http.StatusOK || tok["token_type"] != "DPoP" {
		t.Fatalf("token: %d %v", st, tok)
	}
	at, rt := tok["access_token"].(string), tok["refresh_token"].(string)

	// The MCP call with the bound token and a proof.
	mcpProof := proof(http.MethodPost, gw.MCP, dpoptest.Options{Token: at})
	if st, body, _ := dpopPost(t, gw.MCP, nil, [2]string{}, "DPoP "+at, mcpProof); st != http.StatusOK {
		t.Fatalf("MCP call with DPoP: %d %v", st, body)
	}
	gatewayRefusals := []struct {
		what   string
		authz  string
		proof  string
		code   string
		status int
	}{
		{"replayed proof", "DPoP " + at, mcpProof, "invalid_dpop_proof", 401},
		{"bound token as Bearer", "Bearer " + at, "", "invalid_token", 401},
		{"no proof", "DPoP " + at, "", "invalid_dpop_proof", 401},
		{"wrong htu", "DPoP " + at, proof(http.MethodPost, gw.URL+"/other", dpoptest.Options{Token: at}), "invalid_dpop_proof", 401},
		{"wrong htm", "DPoP " + at, proof(http.MethodGet, gw.MCP, dpoptest.Options{Token: at}), "invalid_dpop_proof", 401},
		{"wrong ath", "DPoP " + at, proof(http.MethodPost, gw.MCP, dpoptest.Options{Token: "another"}), "invalid_dpop_proof", 401},
		{"stale iat", "DPoP " + at, proof(http.MethodPost, gw.MCP, dpoptest.Options{Token: at, IssuedAt: time.Now().Add(-5 * time.Minute)}), "invalid_dpop_proof", 401},
		{"key mismatch", "DPoP " + at, dpoptest.New(t).Proof(t, http.MethodPost, gw.MCP, dpoptest.Options{Token: at}), "invalid_token", 401},
	}
	for _, g := range gatewayRefusals {
		var proofs []string
		if g.proof != "" {
			proofs = []string{g.proof}
		}
		st, body, resp := dpopPost(t, gw.MCP, nil, [2]string{}, g.authz, proofs...)
		wantErr(t, "MCP, "+g.what, st, body, g.status, g.code)
		if !strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), "\n"), `error="`+g.code+`"`) {
			t.Errorf("MCP, %s: challenges %q lack error %s", g.what, resp.Header.Values("WWW-Authenticate"), g.code)
		}
	}

	// Refresh: a public client's refresh token needs the key.
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}}
	st, body, _ := dpopPost(t, tokenURL, refresh, [2]string{}, "")
	wantErr(t, "refresh without a proof", st, body, http.StatusBadRequest, "invalid_grant")
	st, body, _ = dpopPost(t, tokenURL, refresh, [2]string{}, "", dpoptest.New(t).Proof(t, http.MethodPost, tokenURL, dpoptest.Options{}))
	wantErr(t, "refresh with another key", st, body, http.StatusBadRequest, "invalid_grant")
	st, body, _ = dpopPost(t, tokenURL, refresh, [2]string{}, "", proof(http.MethodPost, tokenURL, dpoptest.Options{}))
	if st != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("refresh with the key: %d %v", st, body)
	}
	at2 := body["access_token"].(string)
	if st, body, _ := dpopPost(t, gw.MCP, nil, [2]string{}, "DPoP "+at2, proof(http.MethodPost, gw.MCP, dpoptest.Options{Token: at2})); st != http.StatusOK {
		t.Fatalf("MCP call with the refreshed token: %d %v", st, body)
	}
}

// TestDPoPCodeBoundToAnotherKey: a code issued for dpop_jkt cannot be
// redeemed with a proof of another key (RFC 9449 §10).
func TestDPoPCodeBoundToAnotherKey(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"dpop_jkt": dpoptest.New(t).JKT(t)}), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("authorize: %v", err)
	}
	redeem := url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")}, "code_verifier": {v},
		"redirect_uri": {c.Redirect}, "resource": {gw.MCP}, "client_id": {c.ID}}
	st, body, _ := dpopPost(t, gw.URL+"/token", redeem, [2]string{}, "", dpoptest.New(t).Proof(t, http.MethodPost, gw.URL+"/token", dpoptest.Options{}))
	wantErr(t, "redeem with another key", st, body, http.StatusBadRequest, "invalid_grant")
}

// TestDPoPClientCredentialsAndRequired: a machine client's DPoP-bound
// token on a server that requires DPoP, whose metadata says so; bearer
// tokens are refused there.
func TestDPoPClientCredentialsAndRequired(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "    require_dpop: true\n" + dpopMachine,
		Env: map[string]string{"JOB_SECRET": "job-secret-0123456789abcdef"}})
	key := dpoptest.New(t)
	cc := url.Values{"grant_type": {"client_credentials"}, "resource": {gw.MCP}}
	basic := [2]string{"dpop-job", "job-secret-0123456789abcdef"}
	st, bearer, _ := dpopPost(t, gw.URL+"/token", cc, basic, "")
	if st != http.StatusOK || bearer["token_type"] != "Bearer" {
		t.Fatalf("bearer token: %d %v", st, bearer)
	}
	st, body, resp := dpopPost(t, gw.MCP, nil, [2]string{}, "Bearer "+bearer["access_token"].(string))
	wantErr(t, "bearer token where DPoP is required", st, body, http.StatusUnauthorized, "invalid_token")
	if chs := resp.Header.Values("WWW-Authenticate"); len(chs) != 1 || !strings.HasPrefix(chs[0], "DPoP ") {
		t.Errorf("challenges %q, want only DPoP", chs)
	}
	st, tok, _ := dpopPost(t, gw.URL+"/token", cc, basic, "", key.Proof(t, http.MethodPost, gw.URL+"/token", dpoptest.Options{}))
	if st != http.StatusOK || tok["token_type"] != "DPoP" {
		t.Fatalf("DPoP token: %d %v", st, tok)
	}
	at := tok["access_token"].(string)
	if st, body, _ := dpopPost(t, gw.MCP, nil, [2]string{}, "DPoP "+at, key.Proof(t, http.MethodPost, gw.MCP, dpoptest.Options{Token: at})); st != http.StatusOK {
		t.Fatalf("MCP call: %d %v", st, body)
	}
	resp, err := http.Get(gw.URL + "/.well-known/oauth-protected-resource/mcp")
	if err != nil {
		t.Fatal(err)
	}
	prm := gwtest.DecodeBody(t, resp)
	resp.Body.Close()
	if prm["dpop_bound_access_tokens_required"] != true {
		t.Errorf("PRM %v lacks dpop_bound_access_tokens_required", prm)
	}
}

// TestDPoPNonceRequired: with tokens.dpop_nonce the first proof gets
// use_dpop_nonce and a nonce, and the retry with it succeeds.
func TestDPoPNonceRequired(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: dpopMachine + "tokens: {dpop_nonce: true}\n",
		Env: map[string]string{"JOB_SECRET": "job-secret-0123456789abcdef"}})
	key := dpoptest.New(t)
	cc := url.Values{"grant_type": {"client_credentials"}, "resource": {gw.MCP}}
	basic := [2]string{"dpop-job", "job-secret-0123456789abcdef"}
	st, body, resp := dpopPost(t, gw.URL+"/token", cc, basic, "", key.Proof(t, http.MethodPost, gw.URL+"/token", dpoptest.Options{}))
	wantErr(t, "proof without a nonce", st, body, http.StatusBadRequest, "use_dpop_nonce")
	nonce := resp.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("no DPoP-Nonce header")
	}
	st, body, _ = dpopPost(t, gw.URL+"/token", cc, basic, "", key.Proof(t, http.MethodPost, gw.URL+"/token", dpoptest.Options{Nonce: nonce}))
	if st != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("with the nonce: %d %v", st, body)
	}
}

// TestDPoPReplayAcrossReplicas: two replicas on one PostgreSQL database
// share what proofs have been seen.
func TestDPoPReplayAcrossReplicas(t *testing.T) {
	dsn, dir := gwtest.PostgresDSN(t), t.TempDir()
	opt := gwtest.Options{PostgresDSN: dsn, DataDir: dir, PublicURL: "http://127.0.0.1:9", ExtraYAML: dpopMachine,
		Env: map[string]string{"JOB_SECRET": "job-secret-0123456789abcdef"}}
	a, b := gwtest.Start(t, opt), gwtest.Start(t, opt)
	key := dpoptest.New(t)
	cc := url.Values{"grant_type": {"client_credentials"}, "resource": {a.MCP}}
	basic := [2]string{"dpop-job", "job-secret-0123456789abcdef"}
	tokenProof := key.Proof(t, http.MethodPost, a.URL+"/token", dpoptest.Options{})
	st, tok, _ := dpopPost(t, a.Direct+"/token", cc, basic, "", tokenProof)
	if st != http.StatusOK || tok["token_type"] != "DPoP" {
		t.Fatalf("token at a: %d %v", st, tok)
	}
	st, body, _ := dpopPost(t, b.Direct+"/token", cc, basic, "", tokenProof)
	wantErr(t, "token proof replayed at b", st, body, http.StatusBadRequest, "invalid_dpop_proof")

	at := tok["access_token"].(string)
	p := key.Proof(t, http.MethodPost, a.MCP, dpoptest.Options{Token: at})
	if st, body, _ := dpopPost(t, a.Direct+"/mcp", nil, [2]string{}, "DPoP "+at, p); st != http.StatusOK {
		t.Fatalf("MCP at a: %d %v", st, body)
	}
	st, body, _ = dpopPost(t, b.Direct+"/mcp", nil, [2]string{}, "DPoP "+at, p)
	wantErr(t, "MCP proof replayed at b", st, body, http.StatusUnauthorized, "invalid_dpop_proof")
	if st, body, _ := dpopPost(t, b.Direct+"/mcp", nil, [2]string{}, "DPoP "+at, key.Proof(t, http.MethodPost, b.MCP, dpoptest.Options{Token: at})); st != http.StatusOK {
		t.Fatalf("a fresh proof at b: %d %v", st, body)
	}
}
